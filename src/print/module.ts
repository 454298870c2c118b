/**
 * Plans -> the text of a NixOS module. Everything is built as a Nix syntax
 * tree and printed by `./nix`, so every string is escaped by one printer.
 * Output is deterministic: the same plans give byte-identical text.
 */
import type { ContainerPlan, OneshotPlan, Plan, Runtime, UnitPlan, VolumeEntry } from "../plan/index.ts";
import {
  apply,
  attrs,
  binding,
  bool,
  comment,
  int,
  interp,
  lambda,
  list,
  nul,
  printNix,
  ref,
  str,
  type Entry,
  type Expr,
} from "./nix/index.ts";

export interface ModuleOptions {
  /** Include the runtime setup block (enable the runtime, backend, podman DNS). */
  setup: boolean;
  /** `--enable-option`: the attribute path of an enable option guarding the whole module. */
  enableOption?: readonly string[] | undefined;
  /** The comment the file starts with (its text, without `#`), e.g. how it was generated. */
  header: string;
  /** Messages for NixOS `warnings` (conversions whose own output nobody reads). */
  warnings?: readonly string[];
}

/** Priority of our unit settings: above module defaults (100), below a user's mkForce (50). */
const OVERRIDE_PRIORITY = 90;

/** A list of plain strings: the items themselves, no node per string (the plan's arrays, uncopied). */
const strings = (items: readonly string[]) => list(items);
/** `{ key = value; ... }` from a record, in its order. */
function attrsOf<T>(record: Readonly<Record<string, T>>, value: (v: T) => Expr | string): Expr {
  return attrs(Object.entries(record).map(([key, v]) => binding(key, value(v))));
}
const isEmpty = (record: object): boolean => Object.keys(record).length === 0;
/** A set of plain strings (environment, labels): each value as it is, no string node per pair. */
const strAttrs = (record: Readonly<Record<string, string>>) => attrsOf(record, (v) => v);
const scalar = (v: string | number | boolean): Expr => (typeof v === "string" ? str(v) : typeof v === "number" ? int(v) : bool(v));
// Nodes are immutable: the same `lib.mkOverride 90` serves every value.
const MK_OVERRIDE = ref("lib.mkOverride");
const PRIORITY = int(OVERRIDE_PRIORITY);
const overridden = (v: string | number | boolean) => apply(MK_OVERRIDE, [PRIORITY, scalar(v)]);
const byName =
  <T>(key: (t: T) => string) =>
  (a: T, b: T): number => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
export function printModule(plans: readonly Plan[], options: ModuleOptions): string {
  const runtime = plans[0]?.runtime ?? "podman";
  const body: Entry[] = [];
  if (options.setup) body.push(...setupEntries(runtime, plans.length > 0 && plans.every((p) => p.podmanUser !== undefined)));
  for (const plan of plans) body.push(...planEntries(plan));
  const assertions = [...gpuAssertions(plans), ...rootlessAssertions(plans)];
  if (assertions.length) body.push(comment("What the host must provide"), binding("assertions", list(assertions)));
  body.push(...hostServices(plans));
  if (options.warnings?.length) body.push(comment("What khepri could not honour"), binding("warnings", strings(options.warnings)));
  const config = attrs(body);
  const module = options.enableOption?.length ? guarded(config, options.enableOption, plans) : config;
  return printNix(lambda({ params: ["config", "lib", "pkgs"], ellipsis: true }, module), options.header);
}

function guarded(config: Expr, optionPath: readonly string[], plans: readonly Plan[]): Expr {
  const what = plans.map((p) => p.project).join(", ");
  return attrs([
    binding(["options", ...optionPath, "enable"], apply(ref("lib.mkEnableOption"), [str(`the ${what} compose project${plans.length > 1 ? "s" : ""}`)])),
    binding("config", apply(ref("lib.mkIf"), [ref(["config", ...optionPath, "enable"].join(".")), config])),
  ]);
}

/**
 * Turning the runtime on, as defaults a user's own settings win over. The
 * backend is set plainly: a configuration that says otherwise conflicts, which
 * is the point (the module was generated for this runtime).
 */
function setupEntries(runtime: Runtime, rootless: boolean): Entry[] {
  const byDefault = (value: Expr) => apply(ref("lib.mkDefault"), [value]);
  const entries: Entry[] = [comment("Runtime")];
  if (runtime === "podman" && rootless) {
    // root's podman network settings and firewall rule serve rootful containers only
    entries.push(binding(["virtualisation", "podman", "enable"], byDefault(bool(true))));
  } else if (runtime === "podman") {
    entries.push(
      binding(["virtualisation", "podman"], attrs([
        binding("enable", byDefault(bool(true))),
        // Containers find each other by name only with DNS on their networks.
        binding(["defaultNetwork", "settings", "dns_enabled"], byDefault(bool(true))),
      ])),
      comment("Container DNS on podman networks: iptables matches podman+, nftables podman*."),
      binding(["networking", "firewall", "interfaces", "podman+", "allowedUDPPorts"], list([int(53)])),
      binding(["networking", "firewall", "interfaces", "podman*", "allowedUDPPorts"], list([int(53)])),
    );
  } else {
    entries.push(binding(["virtualisation", "docker", "enable"], byDefault(bool(true))));
  }
  entries.push(binding(["virtualisation", "oci-containers", "backend"], str(runtime)));
  return entries;
}

/**
 * What the host must provide for some container, as assertions: an NVIDIA GPU request cannot be
 * served without NVIDIA's container toolkit (its CDI spec), and the container would fail at start.
 * (`attrByPath`: NixOS before 24.05 has no such option.)
 */
function gpuAssertions(plans: readonly Plan[]): Expr[] {
  const gpuContainers = plans.flatMap((p) => p.containers.filter((c) => c.host.nvidiaToolkit).map((c) => c.name)).sort();
  if (!gpuContainers.length) return [];
  const enabled = apply(ref("lib.attrByPath"), [list([str("hardware"), str("nvidia-container-toolkit"), str("enable")]), bool(false), ref("config")]);
  const message = `khepri: container${gpuContainers.length > 1 ? "s" : ""} ${gpuContainers.join(", ")} use${gpuContainers.length > 1 ? "" : "s"} NVIDIA GPUs, which need hardware.nvidia-container-toolkit.enable = true (NVIDIA's CDI spec and runtime hook)`;
  return [attrs([binding("assertion", enabled), binding("message", str(message))])];
}

/**
 * What the host must run for some container, whatever the setup block (`--no-setup`, and the NixOS
 * module, which leaves it out): a container binding /var/run/docker.sock on podman needs podman's
 * docker-compatible API there. A default: a configuration saying otherwise wins.
 */
function hostServices(plans: readonly Plan[]): Entry[] {
  if (!plans.some((p) => p.containers.some((c) => c.host.dockerSocket))) return [];
  return [
    comment("A container binds the docker socket: podman serves its docker-compatible API there."),
    binding(["virtualisation", "podman", "dockerSocket", "enable"], apply(ref("lib.mkDefault"), [bool(true)])),
  ];
}

function planEntries(plan: Plan): Entry[] {
  const entries: Entry[] = [comment(`Containers of the ${plan.project} project`)];
  const containers = [...plan.containers].sort(byName((c) => c.name));
  for (const c of containers) {
    entries.push(binding(["virtualisation", "oci-containers", "containers", c.name], containerAttrs(c)));
    entries.push(binding(["systemd", "services", c.unitName], unitAttrs(c.unit, true)));
  }
  const groups: [OneshotPlan["kind"], string][] = [["network", "Networks"], ["volume", "Volumes"], ["build", "Builds"]];
  for (const [kind, title] of groups) {
    const units = plan.oneshots.filter((o) => o.kind === kind).sort(byName((o) => o.unitName));
    if (!units.length) continue;
    entries.push(comment(title));
    for (const unit of units) entries.push(binding(["systemd", "services", unit.unitName], oneshotAttrs(unit, plan)));
  }
  if (plan.rootTarget) {
    entries.push(comment("Root target: starting it starts the project (up), stopping it stops everything (down)."));
    const target: Entry[] = [binding(["unitConfig", "Description"], str(plan.rootTarget.description))];
    if (plan.rootTarget.wantedBy.length) target.push(binding("wantedBy", strings(plan.rootTarget.wantedBy)));
    entries.push(binding(["systemd", "targets", plan.rootTarget.name], attrs(target)));
  }
  return entries;
}

function volumeEntry(v: VolumeEntry): Expr {
  if (typeof v === "string") return str(v);
  // A non-secret file (compose `configs: content`) from the store, mounted read-only.
  return interp([apply(ref("pkgs.writeText"), [str(v.storeText.name), str(v.storeText.text)]), `:${v.target}:ro`]);
}

function containerAttrs(c: ContainerPlan): Expr {
  const e: Entry[] = [binding("image", str(c.image))];
  if (!isEmpty(c.environment)) e.push(binding("environment", strAttrs(c.environment)));
  if (c.environmentFiles.length) e.push(binding("environmentFiles", strings(c.environmentFiles)));
  if (c.ports.length) e.push(binding("ports", strings(c.ports)));
  if (c.volumes.length) e.push(binding("volumes", list(c.volumes.map(volumeEntry))));
  if (!isEmpty(c.labels)) e.push(binding("labels", strAttrs(c.labels)));
  if (c.cmd.length) e.push(binding("cmd", strings(c.cmd)));
  if (c.entrypoint !== undefined) e.push(binding("entrypoint", str(c.entrypoint)));
  if (c.user !== undefined) e.push(binding("user", str(c.user)));
  if (c.workdir !== undefined) e.push(binding("workdir", str(c.workdir)));
  if (c.hostname !== undefined) e.push(binding("hostname", str(c.hostname)));
  if (c.networks.length) e.push(binding("networks", strings(c.networks)));
  if (!isEmpty(c.capabilities)) e.push(binding("capabilities", attrsOf(c.capabilities, bool)));
  if (c.devices.length) e.push(binding("devices", strings(c.devices)));
  if (c.privileged) e.push(binding("privileged", bool(true)));
  if (c.pull) e.push(binding("pull", str(c.pull)));
  if (c.dependsOn.length) e.push(binding("dependsOn", strings(c.dependsOn)));
  if (c.logDriver !== "journald") e.push(binding("log-driver", str(c.logDriver)));
  if (!c.autoStart) e.push(binding("autoStart", bool(false)));
  if (!c.autoRemoveOnStop) e.push(binding("autoRemoveOnStop", bool(false)));
  if (c.podmanSdnotify) e.push(binding(["podman", "sdnotify"], str(c.podmanSdnotify)));
  if (c.podmanUser) e.push(binding(["podman", "user"], str(c.podmanUser)));
  if (c.extraOptions.length) e.push(binding("extraOptions", strings(c.extraOptions)));
  return attrs(e);
}

const script = (lines: readonly string[]) => str(lines.join("\n") + "\n");

function unitAttrs(u: UnitPlan, override: boolean, extra: Entry[] = []): Expr {
  const value = override ? overridden : scalar;
  const e: Entry[] = [];
  if (u.description) e.push(binding("description", str(u.description)));
  e.push(...extra);
  if (!isEmpty(u.serviceConfig)) e.push(binding("serviceConfig", attrsOf(u.serviceConfig, value)));
  const unitConfig = Object.entries(u.unitConfig).map(([key, v]) => binding(key, value(v)));
  if (u.requiresMountsFor.length) unitConfig.push(binding("RequiresMountsFor", strings(u.requiresMountsFor)));
  if (unitConfig.length) e.push(binding("unitConfig", attrs(unitConfig)));
  if (u.preStart.length) e.push(binding("preStart", script(u.preStart)));
  if (u.postStart.length) e.push(binding("postStart", script(u.postStart)));
  // Our preStop (compose pre_stop hooks) must run before oci-containers' own `stop`.
  if (u.preStop.length) e.push(binding("preStop", override ? apply(ref("lib.mkBefore"), [script(u.preStop)]) : script(u.preStop)));
  if (u.postStop.length) e.push(binding("postStop", script(u.postStop)));
  for (let i = 0; i < UNIT_LISTS.length; i++) {
    const key = UNIT_LISTS[i]!;
    const items = u[key];
    // (the plan's lists hold no repeats: see UnitPlan)
    if (items.length) e.push(binding(key, strings(items)));
  }
  return attrs(e);
}

/** The unit's dependency lists, in the order they are written. */
const UNIT_LISTS = ["after", "requires", "wants", "bindsTo", "upheldBy", "partOf", "wantedBy"] as const;

function oneshotAttrs(o: OneshotPlan, { runtime, podmanUser }: Plan): Expr {
  const serviceConfig: Record<string, string | number | boolean> = { Type: "oneshot", RemainAfterExit: true, ...o.unit.serviceConfig };
  const unit: UnitPlan = { ...o.unit, serviceConfig, preStop: o.stopScript ? [o.stopScript.trimEnd()] : o.unit.preStop };
  const extra: Entry[] = [
    binding("path", list([ref(`config.virtualisation.${runtime}.package`)])),
    binding("script", str(o.script)),
  ];
  const own = unitAttrs(unit, false, extra);
  return podmanUser === undefined ? own : apply(ref("lib.mkMerge"), [list([own, ...rootlessUnit(podmanUser)])]);
}

/** `config.users.users.<user>.<key>`, or `fallback` when the option or user is not there. */
const userSetting = (user: string, key: string, fallback: Expr) =>
  apply(ref("lib.attrByPath"), [list([str("users"), str("users"), str(user), str(key)]), fallback, ref("config")]);

/**
 * What oci-containers gives a rootless container's unit, for a network, volume or build unit run
 * as the same user: the user's runtime directory (its podman's state), started by the user's
 * manager, which lingering keeps running without a login. (A user without a uid gives
 * `/run/user/`, never an evaluation error: NixOS reads every unit's `after` for its own
 * assertions, and the one below must be the message the user sees.)
 */
function rootlessUnit(user: string): Expr[] {
  const uid = apply(ref("toString"), [userSetting(user, "uid", nul())]);
  const manager = interp(["user@", uid, ".service"]);
  const lingering = list([str("linger-users.service")]);
  // `linger` is null unless set (nixpkgs 25.05 on), and absent before 24.05
  const lingers = apply(ref("builtins.elem"), [userSetting(user, "linger", nul()), list([bool(true)])]);
  return [
    attrs([
      binding(["environment", "XDG_RUNTIME_DIR"], interp(["/run/user/", uid])),
      binding("requires", list([manager])),
      binding("after", list([manager])),
    ]),
    apply(ref("lib.mkIf"), [lingers, attrs([binding("after", lingering), binding("wants", lingering)])]),
  ];
}

/** Rootless units need the user's static uid (its runtime directory and user@<uid>.service). */
function rootlessAssertions(plans: readonly Plan[]): Expr[] {
  const users = [...new Set(plans.flatMap((p) => (p.podmanUser === undefined ? [] : [p.podmanUser])))].sort();
  return users.map((user) => {
    const uid = userSetting(user, "uid", nul());
    const message = `khepri: rootless podman runs as ${user}, who needs a static uid (users.users.${user}.uid; isNormalUser = true, with subUidRanges/subGidRanges or autoSubUidGidRange) for /run/user/<uid> and user@<uid>.service`;
    return attrs([binding("assertion", apply(ref("builtins.isInt"), [uid])), binding("message", str(message))]);
  });
}
