/**
 * One compose service -> one oci-containers container and the systemd
 * settings of its unit. Typed options where oci-containers has them, run flags
 * in extraOptions where it does not, and a diagnostic for every key that
 * cannot be honoured.
 */
import type { Diagnostic } from "../diagnostics/index.ts";
import { shellOperatorAt, splitShellWords, type Command, type Project, type Service } from "../model/index.ts";
import { addDependencyRelations, completionWait, dockerHealthWait, waitForContainer, type Gate } from "./dependencies.ts";
import { planDevices, planGpus } from "./devices.ts";
import { durationSeconds } from "./durations.ts";
import { addHealthcheckFlags, healthcheckDisabled, healthWaitSeconds } from "./healthcheck.ts";
import { MountError, serviceMounts } from "./mounts.ts";
import { buildUnit, containerUnit, service as serviceUnit } from "./naming.ts";
import { serviceNetworking } from "./networks.ts";
import { applyRestartPolicy } from "./restart.ts";
import { SERVICE_KEYS } from "./serviceKeys.ts";
import { shellCommand, shellQuote } from "./shell.ts";
import { addUnit, emptyUnit, type ContainerPlan, type Runtime } from "./types.ts";

export interface ContainerContext {
  runtime: Runtime;
  project: Project;
  variables: Readonly<Record<string, string>>;
  /** What dependents wait for, by service (see dependencyGates). */
  gates: ReadonlyMap<string, ReadonlySet<Gate>>;
  autoStart: boolean;
  useUpheldBy: boolean;
  checkSystemdMounts: boolean;
  defaultStopTimeout: string | undefined;
  podmanUser: string | undefined;
  report: (level: Diagnostic["level"], message: string, path: readonly (string | number)[]) => void;
  /** Stops the conversion with a located error. */
  fail: (message: string, path: readonly (string | number)[]) => never;
}


const PULL: Record<string, ContainerPlan["pull"]> = { always: "always", never: "never", missing: "missing", if_not_present: "missing", build: "never", refresh: "newer" };

export function planContainer(name: string, ctx: ContainerContext): ContainerPlan {
  const service = ctx.project.services[name]!;
  const at = ["services", name];
  const container = service.container_name!;
  const plan: ContainerPlan = {
    service: name,
    name: container,
    unitName: containerUnit(ctx.runtime, container),
    image: service.image ?? `${ctx.project.name}-${name}`,
    environment: environmentOf(name, service, ctx),
    environmentFiles: envFilePaths(service, true),
    ports: portsOf(service, ctx, at),
    volumes: [],
    labels: { "com.docker.compose.project": ctx.project.name!, "com.docker.compose.service": name, ...service.labels },
    cmd: [],
    networks: [],
    capabilities: capabilitiesOf(service),
    devices: [],
    privileged: service.privileged ?? false,
    dependsOn: [],
    logDriver: service.logging?.driver ?? "journald",
    autoStart: ctx.autoStart,
    autoRemoveOnStop: true,
    extraOptions: [],
    unit: emptyUnit(),
    host: { nvidiaToolkit: false, dockerSocket: false },
  };
  if (service.user !== undefined) plan.user = service.user;
  if (service.working_dir !== undefined) plan.workdir = service.working_dir;
  if (service.hostname !== undefined) plan.hostname = service.hostname;
  if (ctx.podmanUser !== undefined && ctx.runtime === "podman") plan.podmanUser = ctx.podmanUser;
  if (ctx.runtime === "podman") warnRuntimeDirectory(container, service, ctx, at);
  applyOptionalEnvFiles(plan, service);
  applyCommand(plan, service, ctx, at);
  applyPull(plan, service, ctx, at);
  applyMounts(plan, name, service, ctx);
  applyDockerSocket(plan, service, ctx, at);
  checkTmpfsModes(service, ctx, at);
  applyNetworking(plan, name, service, ctx);
  const keys = keysOf(service);
  applyFlags(plan, service, keys, ctx, at);
  applyDependencies(plan, name, ctx);
  applyGates(plan, service, ctx, at);
  applyUnit(plan, service, ctx, at);
  reportKeys(service, keys, ctx, at);
  return plan;
}

function portSpec(p: NonNullable<Service["ports"]>[number]): string {
  const host = p.host_ip ? (p.host_ip.includes(":") ? `[${p.host_ip}]` : p.host_ip) : "";
  const published = p.published ?? "";
  const hostPart = host || published ? `${host ? `${host}:` : ""}${published}:` : "";
  return `${hostPart}${p.target}/${p.protocol}`;
}

/** With the host's network there is nothing to publish: docker discards the ports, and says so. */
function portsOf(service: Service, ctx: ContainerContext, at: (string | number)[]): string[] {
  const ports = service.ports ?? [];
  if (ports.length && service.network_mode === "host") {
    ctx.report("warning", "ports have no effect with network_mode: host (the container uses the host's ports directly); left out", [...at, "ports"]);
    return [];
  }
  if (ctx.runtime === "podman") warnPort53(ports, ctx, at);
  return ports.map(portSpec);
}

/**
 * Directories of /run that the host itself uses on NixOS. oci-containers gives a podman container's
 * unit `RuntimeDirectory=<container name>`, and systemd removes /run/<name> when the unit stops: a
 * container named `log` would take /run/log (the volatile journal) with it.
 */
const HOST_RUN_DIRECTORIES = new Set([
  "agenix", "booted-system", "containers", "credentials", "cni", "current-system", "dbus", "docker", "initramfs",
  "keys", "libvirt", "lock", "log", "mount", "netns", "nix", "nscd", "opengl-driver", "podman", "runc", "secrets",
  "setuid", "sshd", "systemd", "udev", "user", "utmp", "wrappers",
]);

function warnRuntimeDirectory(container: string, service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  if (!HOST_RUN_DIRECTORIES.has(container)) return;
  const where = service.container_name !== undefined ? [...at, "container_name"] : at;
  ctx.report("warning", `the container name "${container}" is also a directory of the host's /run: oci-containers runs it with RuntimeDirectory=${container}, and systemd removes /run/${container} when the container stops; choose another container_name`, where);
}

/**
 * podman's own DNS for a network (aardvark-dns, dns_enabled by default) listens on port 53 of the
 * network's gateway; publishing host port 53 on all addresses clashes with it ("address already in use").
 * One host address (`127.0.0.1:53:53/udp`, a LAN address) leaves the gateway's port free.
 */
function warnPort53(ports: NonNullable<Service["ports"]>, ctx: ContainerContext, at: (string | number)[]): void {
  for (let i = 0; i < ports.length; i++) {
    const { published, host_ip } = ports[i]!;
    if (published === undefined) continue;
    if (host_ip && host_ip !== "0.0.0.0" && host_ip !== "::" && host_ip !== "[::]") continue;
    const [low, high = low] = published.split("-").map(Number) as [number, number?];
    if (low <= 53 && 53 <= high!) {
      ctx.report("warning", `publishing port 53 on podman clashes with podman's own DNS server (aardvark-dns) on the network gateway (the container fails to start: "address already in use"); publish it on one host address instead, e.g. "192.168.1.2:53:53/udp"`, [...at, "ports", i]);
    }
  }
}

/** `CAP_SYS_ADMIN` and `SYS_ADMIN` name the same capability. */
const capabilityName = (cap: string) => (cap.startsWith("CAP_") ? cap.slice(4) : cap);

function capabilitiesOf(service: Service): Record<string, boolean> {
  const caps: Record<string, boolean> = {};
  const add = service.cap_add;
  if (add) for (let i = 0; i < add.length; i++) caps[capabilityName(add[i]!)] = true;
  const drop = service.cap_drop;
  if (drop) for (let i = 0; i < drop.length; i++) caps[capabilityName(drop[i]!)] = false;
  return caps;
}

function environmentOf(name: string, service: Service, ctx: ContainerContext): Record<string, string> {
  const env: Record<string, string> = {};
  const environment = service.environment;
  let missing: string[] | undefined;
  for (const key in environment) {
    // `- KEY` without a value: compose passes the variable through from its own environment.
    const resolved = environment[key] ?? ctx.variables[key];
    if (resolved === undefined) (missing ??= []).push(key);
    else env[key] = resolved;
  }
  // one line for the service, not one per key (a stack may pass dozens through)
  if (missing) {
    const keys = missing.join(", ");
    ctx.report("note", `${missing.length > 1 ? `${keys} have` : `${keys} has`} no value here and ${missing.length > 1 ? "are" : "is"} not set in the environment; left out`, ["services", name, "environment", missing[0]!]);
  }
  return env;
}

/** The paths of the service's required (or optional) env files. */
function envFilePaths(service: Service, required: boolean): string[] {
  return (service.env_file ?? []).filter((file) => !!file.required === required).map((file) => file.path);
}

/**
 * `env_file: {path, required: false}`: compose skips a missing one, but the
 * runtime's --env-file fails on it. Whether it exists is only known on the
 * host when the container starts, so the unit gathers the ones present there
 * into one file (readable by root only) that is always passed.
 */
function applyOptionalEnvFiles(plan: ContainerPlan, service: Service): void {
  const optional = envFilePaths(service, false);
  if (!optional.length) return;
  const gathered = `/run/khepri/${plan.name}.optional.env`;
  // removed when the unit stops (also after a failed start), and /run/khepri with the last of them
  plan.unit.postStop.push(`rm -f ${shellQuote(gathered)}\nrmdir /run/khepri 2>/dev/null || true`);
  plan.environmentFiles.push(gathered);
  plan.unit.preStart.push(
    [
      `install -d -m 0700 /run/khepri`,
      `(umask 077; : > ${shellQuote(gathered)})`,
      `for f in ${optional.map(shellQuote).join(" ")}; do`,
      `  if [ -r "$f" ]; then cat "$f" >> ${shellQuote(gathered)}; echo >> ${shellQuote(gathered)}; fi`,
      `done`,
    ].join("\n"),
  );
}

/**
 * compose splits a string command into words (no shell); docker and podman differ on multi-word entrypoints.
 * `at` and `key` locate the command (its path is made only for a message: this runs for every container).
 */
function words(command: Command | undefined, ctx: ContainerContext, at: readonly (string | number)[], key: string): string[] | undefined {
  // null is "not set" (the image's own), as in compose-go; [] or "" clears it.
  if (command === undefined || command === null) return undefined;
  if (Array.isArray(command)) return command;
  let split: { words: string[]; operatorAt: number };
  try {
    split = { words: splitShellWords(command), operatorAt: shellOperatorAt(command) };
  } catch (error) {
    return ctx.fail((error as Error).message, [...at, key]);
  }
  if (split.operatorAt >= 0) {
    const rest = command.slice(split.operatorAt);
    ctx.report("warning", `"${rest}" is dropped: a string command is split into words, not run by a shell (as docker compose does); write ["sh", "-c", "..."] for shell syntax`, [...at, key]);
  }
  return split.words;
}

function applyCommand(plan: ContainerPlan, service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  const cmd = words(service.command, ctx, at, "command") ?? [];
  const entrypoint = words(service.entrypoint, ctx, at, "entrypoint");
  plan.cmd = cmd;
  if (entrypoint === undefined) return;
  if (entrypoint.length === 0) {
    plan.entrypoint = "";
  } else if (ctx.runtime === "podman") {
    plan.entrypoint = entrypoint.length === 1 ? entrypoint[0]! : JSON.stringify(entrypoint);
  } else {
    // docker run --entrypoint takes one executable; its arguments lead the command.
    plan.entrypoint = entrypoint[0]!;
    plan.cmd = [...entrypoint.slice(1), ...cmd];
  }
}

function applyPull(plan: ContainerPlan, service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  const policy = service.pull_policy;
  if (service.build && (!service.image || policy === "build" || policy === undefined)) {
    // The image comes from the build unit; a registry pull would fail or fetch something else.
    plan.pull = "never";
    return;
  }
  if (!policy) return;
  // docker run --pull knows always|missing|never; "always" re-pulls only what changed, which is podman's "newer".
  const newer = ctx.runtime === "docker" ? "always" : "newer";
  const pull = PULL[policy];
  if (pull) {
    plan.pull = pull === "newer" ? newer : pull;
    return;
  }
  plan.pull = newer;
  ctx.report("note", `pull_policy "${policy}" has no schedule here: the image is checked for a newer version at each start`, [...at, "pull_policy"]);
}

function applyMounts(plan: ContainerPlan, name: string, service: Service, ctx: ContainerContext): void {
  let mounts;
  try {
    mounts = serviceMounts(ctx.runtime, name, service, ctx.project, ctx.variables);
  } catch (error) {
    if (error instanceof MountError) ctx.fail(error.message, error.path);
    throw error;
  }
  plan.volumes = mounts.volumes;
  for (let i = 0; i < mounts.extraOptions.length; i++) plan.extraOptions.push(mounts.extraOptions[i]!);
  addRequiredUnits(plan, mounts.units);
  for (let i = 0; i < mounts.issues.length; i++) {
    const issue = mounts.issues[i]!;
    ctx.report(issue.level, issue.message, issue.path);
  }
  if (mounts.createHostPaths.length) {
    plan.unit.preStart.push(mounts.createHostPaths.map((p) => `[ -e ${shellQuote(p)} ] || mkdir -p ${shellQuote(p)}`).join("\n"));
  }
  if (ctx.checkSystemdMounts && mounts.bindSources.length) {
    const paths = mounts.bindSources.filter((source) => {
      if (!UNIT_FILE_UNSAFE.test(source)) return true;
      ctx.report("warning", `${JSON.stringify(source)} is left out of RequiresMountsFor (--check-systemd-mounts): a unit file's path list cannot hold quotes, backslashes or control characters`, ["services", name, "volumes"]);
      return false;
    });
    plan.unit.requiresMountsFor.push(...paths.map(unitFilePath));
  }
}

/** What a path in a unit file's space-separated list cannot hold (a newline would start a new directive). */
const UNIT_FILE_UNSAFE = /["'\\\x00-\x1f\x7f-\x9f\u2028\u2029]/;

/** A path in a unit file's list: quoted when it holds a space (systemd unquotes each word), `%` (a specifier) doubled. */
function unitFilePath(source: string): string {
  const escaped = source.replaceAll("%", "%%");
  return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}

/** Where docker serves its API; containers that manage others (traefik, portainer, ...) bind it. */
const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

/**
 * On podman the docker socket exists only with podman's docker-compatible API service, which
 * NixOS runs with `virtualisation.podman.dockerSocket.enable` (rootful podman; a rootless user's
 * socket is under /run/user/<uid>).
 */
function applyDockerSocket(plan: ContainerPlan, service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  if (ctx.runtime !== "podman") return;
  const volumes = service.volumes;
  if (!volumes) return;
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i]!;
    if (v.type !== "bind" || !v.source || !DOCKER_SOCKETS.includes(v.source)) continue;
    if (ctx.podmanUser !== undefined) {
      ctx.report("warning", `${v.source} is the rootful docker socket; rootless podman serves its docker-compatible API at /run/user/<uid>/podman/podman.sock (systemctl --user enable podman.socket): bind that instead`, [...at, "volumes", i]);
    } else {
      plan.host.dockerSocket = true;
      ctx.report("note", `${v.source}: podman serves its docker-compatible API there with virtualisation.podman.dockerSocket.enable, which the module sets (lib.mkDefault true)`, [...at, "volumes", i]);
    }
    return;
  }
}

/**
 * `tmpfs: {mode: 1777}` is the decimal number 1777, which docker (and khepri, faithfully) use as
 * mode 0o3361. A number above 0o777 (511), written only with the digits 0-7, that as a mode gives
 * the group or others a permission its owner lacks, was meant as octal (0o1777 = 1023 was not).
 */
function checkTmpfsModes(service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  const volumes = service.volumes;
  if (!volumes) return;
  for (let i = 0; i < volumes.length; i++) {
    const mode = volumes[i]!.tmpfs?.mode;
    if (typeof mode !== "number" || mode <= 0o777 || !/^[0-7]+$/.test(String(mode))) continue;
    const owner = (mode >> 6) & 7;
    if (((((mode >> 3) & 7) | (mode & 7)) & ~owner) === 0) continue;
    ctx.report(
      "warning",
      `tmpfs mode ${mode} is a decimal number, which is mode 0o${mode.toString(8)}; you almost certainly meant 0o${mode} (write it so in YAML)`,
      [...at, "volumes", i, "tmpfs", "mode"],
    );
  }
}

function applyNetworking(plan: ContainerPlan, name: string, service: Service, ctx: ContainerContext): void {
  const net = serviceNetworking(ctx.runtime, name, service, ctx.project);
  plan.networks = net.networks;
  addRequiredUnits(plan, net.units);
  for (let i = 0; i < net.issues.length; i++) {
    const issue = net.issues[i]!;
    ctx.report("warning", issue.message, issue.path);
  }
}

/** The container needs these units (a network's, a volume's) started first. */
function addRequiredUnits(plan: ContainerPlan, units: readonly string[]): void {
  for (let i = 0; i < units.length; i++) {
    const unit = serviceUnit(units[i]!);
    addUnit(plan.unit.after, unit);
    addUnit(plan.unit.requires, unit);
  }
}

/** `service:X` in ipc/pid names X's container. */
function namespaceMode(mode: string, project: Project): string {
  return mode.startsWith("service:") ? `container:${project.services[mode.slice(8)]!.container_name}` : mode;
}

/** SERVICE_KEYS' keys, and each one's place among them, made once (not once per service). */
const KEY_LIST = Object.keys(SERVICE_KEYS) as (keyof Service)[];
const KEY_ORDER = new Map(KEY_LIST.map((key, i) => [key, i]));

/**
 * The keys a service sets, in SERVICE_KEYS order (the order its flags and messages come in).
 * Found from the service's own few keys: testing all ~90 keys on every service, each a
 * different shape of object, was slow.
 */
function keysOf(service: Service): (keyof Service)[] {
  // Their places, kept in order as they are found (an insertion sort: a service sets a few keys):
  // numbers compared directly, no comparison function to call per pair.
  const places: number[] = [];
  for (const key in service) {
    const place = KEY_ORDER.get(key as keyof Service);
    if (place === undefined || service[key as keyof Service] === undefined) continue;
    let j = places.length;
    while (j > 0 && places[j - 1]! > place) {
      places[j] = places[j - 1]!;
      j--;
    }
    places[j] = place;
  }
  const found: (keyof Service)[] = [];
  for (let i = 0; i < places.length; i++) found.push(KEY_LIST[places[i]!]!);
  return found;
}

function applyFlags(plan: ContainerPlan, service: Service, keys: (keyof Service)[], ctx: ContainerContext, at: (string | number)[]): void {
  const flags = plan.extraOptions;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const flagsOf = SERVICE_KEYS[key].flags;
    if (!flagsOf) continue;
    const value = service[key];
    const out = (flagsOf as (v: unknown, r: Runtime) => string[] | { unsupported: string })(value, ctx.runtime);
    if (Array.isArray(out)) for (let i = 0; i < out.length; i++) flags.push(out[i]!);
    else ctx.report("warning", `${key} is not supported with ${ctx.runtime}: ${out.unsupported}; ignored`, [...at, key]);
  }
  if (service.ipc) flags.push(`--ipc=${namespaceMode(service.ipc, ctx.project)}`);
  if (service.pid) flags.push(`--pid=${namespaceMode(service.pid, ctx.project)}`);
  const volumesFrom = service.volumes_from;
  if (volumesFrom) for (let i = 0; i < volumesFrom.length; i++) {
    const from = volumesFrom[i]!;
    const [source, mode] = from.startsWith("container:") ? [from.slice(10).split(":")[0]!, from.slice(10).split(":")[1]] : [ctx.project.services[from.split(":")[0]!]!.container_name!, from.split(":")[1]];
    flags.push(`--volumes-from=${source}${mode ? `:${mode}` : ""}`);
  }
  const unsupported = addHealthcheckFlags(flags, service.healthcheck, ctx.runtime);
  if (unsupported) for (let i = 0; i < unsupported.length; i++) ctx.report("warning", `healthcheck.${unsupported[i]} is not supported by ${ctx.runtime}; ignored`, [...at, "healthcheck", unsupported[i]!]);
  const logOptions = service.logging?.options;
  for (const k in logOptions) if (logOptions[k] !== null) flags.push(`--log-opt=${k}=${logOptions[k]}`);
  applyDeploy(flags, service, ctx, at);
  applyDevices(plan, service, ctx, at);
  if (service.stop_grace_period) flags.push(`--stop-timeout=${Math.ceil(durationSeconds(service.stop_grace_period))}`);
}

/** deploy keys only swarm reads. */
const SWARM_DEPLOY_KEYS = ["mode", "endpoint_mode", "placement", "update_config", "rollback_config", "labels"] as const;

/** A deploy setting's path, made only for a message (most deploy sections have none). */
const deployPath = (at: readonly (string | number)[], ...setting: string[]) => [...at, "deploy", ...setting];

function applyDeploy(flags: string[], service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  const deploy = service.deploy;
  if (!deploy) return;
  const limits = deploy.resources?.limits;
  const reservations = deploy.resources?.reservations;
  if (limits?.cpus !== undefined && service.cpus === undefined) flags.push(`--cpus=${limits.cpus}`);
  if (limits?.memory !== undefined && service.mem_limit === undefined) flags.push(`--memory=${limits.memory}`);
  if (limits?.pids !== undefined && service.pids_limit === undefined) flags.push(`--pids-limit=${limits.pids}`);
  if (reservations?.memory !== undefined && service.mem_reservation === undefined) flags.push(`--memory-reservation=${reservations.memory}`);
  // docker compose too passes no CPU reservation to a container outside swarm: a note, not a warning
  if (reservations?.cpus !== undefined) ctx.report("note", "deploy.resources.reservations.cpus has no run flag (docker compose ignores it too); ignored", deployPath(at, "resources", "reservations", "cpus"));
  if (reservations?.generic_resources) ctx.report("warning", "generic_resources are swarm-only; ignored", deployPath(at, "resources", "reservations", "generic_resources"));
  if (deploy.replicas !== undefined && deploy.replicas !== 1) ctx.report("warning", `replicas: ${deploy.replicas} — one container per service is run`, deployPath(at, "replicas"));
  for (let i = 0; i < SWARM_DEPLOY_KEYS.length; i++) {
    const key = SWARM_DEPLOY_KEYS[i]!;
    if (deploy[key] === undefined) continue;
    // `mode: replicated` is the default, what runs here anyway
    if (key === "mode" && deploy.mode === "replicated") ctx.report("note", "deploy.mode: replicated is the default: one container per replica, as here", deployPath(at, key));
    else ctx.report("warning", `deploy.${key} is swarm-only; ignored`, deployPath(at, key));
  }
}

/** `devices`, `gpus` and `deploy.resources.reservations.devices` (see devices.ts). */
function applyDevices(plan: ContainerPlan, service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  const devices = planDevices(service.devices, service.group_add, at);
  if (service.gpus) planGpus(ctx.runtime, service.gpus, "gpus", devices, at);
  const reserved = service.deploy?.resources?.reservations?.devices;
  if (reserved) planGpus(ctx.runtime, reserved, "reservations", devices, at);
  plan.devices = devices.devices;
  for (let i = 0; i < devices.flags.length; i++) plan.extraOptions.push(devices.flags[i]!);
  for (let i = 0; i < devices.issues.length; i++) ctx.report(devices.issues[i]!.level, devices.issues[i]!.message, devices.issues[i]!.path);
  if (devices.nvidia) {
    plan.host.nvidiaToolkit = true;
    ctx.report("note", "NVIDIA GPUs reach the container through NVIDIA's container toolkit: the module asserts hardware.nvidia-container-toolkit.enable", [...at, service.gpus ? "gpus" : service.devices ? "devices" : "deploy"]);
  }
}

function applyDependencies(plan: ContainerPlan, name: string, ctx: ContainerContext): void {
  addDependencyRelations(plan, ctx.runtime, ctx.project, ctx.useUpheldBy);
  const service = ctx.project.services[name]!;
  // `network_mode: container:X` naming one of this project's containers needs it running first;
  // a container of another project is not ours to depend on (compose2nix emitted a dangling dependsOn).
  const shares = service.network_mode;
  if (shares?.startsWith("container:")) {
    const other = Object.values(ctx.project.services).find((s) => s.container_name === shares.slice(10));
    if (other && !plan.dependsOn.includes(other.container_name!)) plan.dependsOn.push(other.container_name!);
  }
  if (service.build) {
    const unit = serviceUnit(buildUnit(ctx.runtime, service.container_name!));
    addUnit(plan.unit.after, unit);
    addUnit(plan.unit.requires, unit);
  }
}

/** What dependents wait for: the unit is ready only when healthy / done. */
function applyGates(plan: ContainerPlan, service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  const gates = ctx.gates.get(plan.service);
  if (!gates) return;
  if (gates.has("healthy")) {
    if (healthcheckDisabled(service.healthcheck)) {
      ctx.report("warning", "a dependent waits for this service to be healthy, but its healthcheck is disabled: the dependent will never start", [...at, "healthcheck"]);
    } else if (!service.healthcheck?.test) {
      ctx.report("note", "a dependent waits for this service to be healthy: that relies on the image's own HEALTHCHECK, since the compose file sets no test", [...at, "image"]);
    }
    if (ctx.runtime === "podman") {
      plan.podmanSdnotify = "healthy";
      // oci-containers waits forever for readiness (TimeoutStartSec=0); give up when docker would.
      plan.unit.serviceConfig.TimeoutStartSec = healthWaitSeconds(service.healthcheck);
    } else plan.unit.postStart.push(dockerHealthWait(plan.name, service.healthcheck));
  }
  if (gates.has("completed")) {
    // Keep the exited container until its exit code has been read.
    plan.autoRemoveOnStop = false;
    plan.unit.postStart.push(completionWait(ctx.runtime, plan.name));
  }
}

function applyUnit(plan: ContainerPlan, service: Service, ctx: ContainerContext, at: (string | number)[]): void {
  applyRestartPolicy(plan.unit, service);
  const grace = service.stop_grace_period ?? ctx.defaultStopTimeout;
  if (grace) {
    if (!service.stop_grace_period) plan.extraOptions.push(`--stop-timeout=${Math.ceil(durationSeconds(grace))}`);
    // systemd must outlast the runtime's own stop timeout, or it kills the container mid-shutdown.
    plan.unit.serviceConfig.TimeoutStopSec = Math.ceil(durationSeconds(grace)) + 30;
  }
  if (service.post_start) hooks(plan, service.post_start, "postStart", ctx, [...at, "post_start"]);
  if (service.pre_stop) hooks(plan, service.pre_stop, "preStop", ctx, [...at, "pre_stop"]);
}

function hooks(plan: ContainerPlan, list: NonNullable<Service["post_start"]>, into: "postStart" | "preStop", ctx: ContainerContext, at: (string | number)[]): void {
  if (list.length && into === "postStart" && ctx.runtime === "docker") plan.unit.postStart.push(waitForContainer("docker", plan.name));
  list.forEach((hook, i) => {
    const cmd = words(hook.command, ctx, [...at, i], "command") ?? [];
    const args = [ctx.runtime, "exec"];
    if (hook.user) args.push(`--user=${hook.user}`);
    if (hook.privileged) args.push("--privileged");
    if (hook.working_dir) args.push(`--workdir=${hook.working_dir}`);
    for (const [k, v] of Object.entries(hook.environment ?? {})) if (v !== null) args.push(`--env=${k}=${v}`);
    plan.unit[into].push(shellCommand([...args, plan.name, ...cmd]));
  });
}

/** Keys that cannot be honoured get a warning, keys without effect a note: nothing is dropped silently. */
function reportKeys(service: Service, keys: (keyof Service)[], ctx: ContainerContext, at: (string | number)[]): void {
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const rule = SERVICE_KEYS[key];
    const value = service[key];
    if (key === "scale" && value === 1) continue;
    if (rule.handling === "unsupported") ctx.report("warning", `${key} is not supported: ${rule.becomes}; ignored`, [...at, key]);
    else if (rule.handling === "no-effect") ctx.report("note", `${key} has no effect here: ${rule.becomes}`, [...at, key]);
  }
  const links = service.links;
  if (links) links.forEach((link, i) => {
    const [target, alias] = link.split(":");
    if (alias && alias !== target) ctx.report("warning", `link alias "${alias}" is not created; reach the service as "${target}"`, [...at, "links", i]);
  });
}
