// For every stack of ../shared/corpus that loads, and every example (examples/*/compose.yaml), for
// both runtimes: the generated module evaluates with nixpkgs' real lib and oci-containers.nix with no
// failed assertion, and the `podman run` / `docker run` line NixOS would execute carries what the
// compose file asked for. The expectations come from the normalized spec (`--format json`) of the
// same input: ports, mounts, environment, networks and aliases, healthcheck, image, command, labels,
// user, capabilities, and the network/volume/dependency units the container requires.
import fg from "fast-glob";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeTempDir, removeDir, runCli } from "./support/convert.ts";
import { BASE_ENV, corpusCases, corpusDir, haveCorpus } from "./support/corpus.ts";
import { type Backend, type NixosFacts, evalNixosModules, findNixosEvalEnv, shellWords } from "./support/nixos-eval.ts";
import { repoRoot, skipUnless } from "./support/shared.ts";

const { env: nixEnv, missing } = findNixosEvalEnv();

// ---- the spec, as much of it as is checked here ------------------------------------------------

interface SpecPort {
  target: number;
  published?: string;
  host_ip?: string;
  protocol?: string;
}
interface SpecVolume {
  type: string;
  source?: string;
  target: string;
  readOnly?: boolean;
}
interface SpecHealthcheck {
  test?: string[];
  disable?: boolean;
  interval?: string;
  timeout?: string;
  retries?: number;
}
interface SpecService {
  containerName?: string;
  image?: string;
  build?: unknown;
  ports?: SpecPort[];
  volumes?: SpecVolume[];
  environment?: Record<string, string | null>;
  networks?: Record<string, { aliases?: string[] } | null>;
  networkMode?: string;
  healthcheck?: SpecHealthcheck;
  dependsOn?: Record<string, { condition?: string; required?: boolean }>;
  labels?: Record<string, string>;
  user?: string;
  capAdd?: string[];
  cmd?: string | string[] | null;
  entrypoint?: string | string[] | null;
  privileged?: boolean;
  profiles?: string[];
  expose?: string[];
  environmentFiles?: { path: string; required?: boolean }[];
  devices?: { source: string; target?: string; permissions?: string }[];
  dns?: string[];
  extraHosts?: Record<string, string[]>;
  sysctls?: Record<string, string>;
  ulimits?: Record<string, { soft: number; hard: number } | number>;
  tmpfs?: string[];
  stopSignal?: string;
  hostname?: string;
  groupAdd?: string[];
  init?: boolean;
  securityOpt?: string[];
  shmSize?: string;
  volumesFrom?: string[];
  ipc?: string;
  logging?: { driver?: string; options?: Record<string, string> };
  deploy?: { resources?: { limits?: { memory?: string; cpus?: number | string } } };
  secrets?: { source: string; target?: string }[];
}
interface Spec {
  name: string;
  services: Record<string, SpecService>;
  networks: Record<string, { name?: string; external?: boolean }>;
  volumes: Record<string, { name?: string; external?: boolean }>;
}

// ---- the stacks ----------------------------------------------------------------------------------

interface Stack {
  /** shown in test names */
  label: string;
  dir: string;
  args: string[];
}

const stacks: Stack[] = [
  ...corpusCases
    .filter((c) => c.expectation.kind === "loads" && c.expectation.services !== 0)
    .map((c) => ({ label: c.rel, dir: path.dirname(path.join(corpusDir, c.rel)), args: ["-f", path.basename(c.rel), ...c.args] })),
  ...fg.sync("examples/*/compose.yaml", { cwd: repoRoot }).sort().map((rel) => ({ label: rel, dir: path.join(repoRoot, path.dirname(rel)), args: [] })),
];

// ---- reading a run line ------------------------------------------------------------------------

/** Values of an option given as `-x value`, `-x=value`, `--opt value` or `--opt=value`. */
function optionValues(argv: readonly string[], ...names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const name of names) {
      if (a === name && i + 1 < argv.length) out.push(argv[i + 1]!);
      else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
    }
  }
  return out;
}

/** `[ip:][published:]target[/protocol]` as docker and podman read `-p`. */
function parsePublish(value: string): { ip?: string; published?: string; target: string; protocol: string } {
  const [spec, protocol = "tcp"] = value.split("/") as [string, string?];
  const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(spec);
  const rest = ipv6 ? ipv6[2]! : spec;
  const parts = rest.split(":");
  const target = parts.pop()!;
  const published = parts.length ? parts.pop() : undefined;
  const ip = ipv6 ? ipv6[1] : parts.length ? parts.join(":") : undefined;
  return { ip, published: published || undefined, target, protocol };
}

/** The container path of a `-v` value: `target`, `source:target` or `source:target:options`. */
function volumeParts(value: string): { source?: string; target: string } {
  const parts = value.split(":");
  return parts.length === 1 ? { target: parts[0]! } : { source: parts[0], target: parts[1]! };
}

/** `--mount type=...,source=...,target=...` as a map. */
function mountFields(value: string): Record<string, string> {
  return Object.fromEntries(value.split(",").map((kv) => [kv.split("=")[0]!, kv.slice(kv.indexOf("=") + 1)]));
}

/** The network names (and aliases) a run line attaches to, in podman's and docker's spellings. */
function networksOf(argv: readonly string[]): { name: string; aliases: string[] }[] {
  const aliasesFlags = optionValues(argv, "--network-alias");
  return optionValues(argv, "--network", "--net").map((value) => {
    if (value.startsWith("name=")) {
      // docker: name=N,alias=A,alias=B
      const fields = value.split(",");
      return {
        name: fields[0]!.slice("name=".length),
        aliases: fields.filter((f) => f.startsWith("alias=")).map((f) => f.slice("alias=".length)),
      };
    }
    // podman: N:alias=A,alias=B   (or a plain N, with --network-alias flags)
    const colon = value.indexOf(":");
    if (colon < 0 || value.startsWith("container:") || value.startsWith("ns:")) return { name: value, aliases: aliasesFlags };
    const opts = value.slice(colon + 1).split(",");
    return {
      name: value.slice(0, colon),
      aliases: opts.filter((f) => f.startsWith("alias=")).map((f) => f.slice("alias=".length)),
    };
  });
}

// ---- the checks --------------------------------------------------------------------------------

/** A command or entrypoint as argv; "skip" for forms whose shell-word splitting is not checked here. */
function words(v: string | string[] | null | undefined): string[] | undefined | "skip" {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length > 0 ? v : "skip";
  return /^[^'"\\$`]*$/.test(v) ? v.split(/\s+/).filter(Boolean) : "skip";
}

/** What podman stores as the healthcheck test for `--health-cmd=<value>` (podman's makeHealthCheckFromCli). */
function podmanHealthTest(value: string): string[] {
  let arr: string[];
  let isArr = true;
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) throw new Error("not a list of strings");
    arr = parsed;
  } catch {
    const space = value.indexOf(" ");
    arr = space < 0 ? [value] : [value.slice(0, space), value.slice(space + 1)];
    isArr = false;
  }
  const first = (arr[0] ?? "").toUpperCase();
  if (first === "CMD" || first === "NONE") return value.split(/\s+/).filter(Boolean);
  if (first === "CMD-SHELL") return arr;
  return isArr && arr.length > 1 ? ["CMD", ...arr] : ["CMD-SHELL", arr.join(" ")];
}

function checkService(problems: string[], spec: Spec, name: string, svc: SpecService, facts: NixosFacts, backend: Backend) {
  const say = (what: string) => problems.push(`${name}: ${what}`);
  const containerName = svc.containerName;
  if (!containerName) return say("the spec gives no containerName");
  const container = facts.containers[containerName];
  if (!container) return say(`no virtualisation.oci-containers.containers.${containerName} (have ${Object.keys(facts.containers).join(", ")})`);
  const unitName = container.serviceName;
  const unit = facts.services[unitName];
  if (!unit) return say(`no systemd unit ${unitName}`);
  const argv = shellWords(unit.script);
  const run = argv.indexOf("run");
  if (argv[0] !== "exec" || argv[1] !== backend || run !== 2) say(`the unit does not exec ${backend} run: ${argv.slice(0, 4).join(" ")}`);
  const line = `\n      ${argv.join(" ")}`;

  if (!argv.includes(`--name=${containerName}`)) say(`no --name=${containerName}${line}`);

  // image, then what the container runs: entrypoint and command
  const image = svc.image ?? `${spec.name}-${name}`;
  const imageAt = argv.lastIndexOf(image);
  if (imageAt < 0) say(`image ${image} is not on the run line${line}`);
  const entrypoint = words(svc.entrypoint);
  const command = words(svc.cmd);
  if (imageAt >= 0 && entrypoint !== "skip" && command !== "skip") {
    const given = optionValues(argv, "--entrypoint");
    // podman takes a JSON array; docker takes one executable and the rest goes before the command
    const ep = given.length === 0 ? [] : backend === "podman" && given[0]!.startsWith("[") ? (JSON.parse(given[0]!) as string[]) : [given[0]!];
    const runs = [...ep, ...argv.slice(imageAt + 1)];
    const want = [...(entrypoint ?? []), ...(command ?? [])];
    if (entrypoint === undefined && given.length > 0) say(`--entrypoint ${given[0]} though the compose file sets none`);
    if (JSON.stringify(runs) !== JSON.stringify(want)) say(`runs ${JSON.stringify(runs)}, want entrypoint+command ${JSON.stringify(want)}`);
  }

  // ports
  const published = optionValues(argv, "-p", "--publish").map(parsePublish);
  for (const p of svc.ports ?? []) {
    const ok = published.some(
      (q) =>
        q.target === String(p.target) &&
        q.protocol === (p.protocol ?? "tcp") &&
        (p.published === undefined || q.published === p.published) &&
        (p.host_ip === undefined || q.ip === p.host_ip),
    );
    if (!ok) say(`port ${JSON.stringify(p)} is not published: -p ${optionValues(argv, "-p", "--publish").join(" -p ")}`);
  }

  // mounts
  const vs = optionValues(argv, "-v", "--volume").map(volumeParts);
  const mounts = optionValues(argv, "--mount").map(mountFields);
  const tmpfs = optionValues(argv, "--tmpfs").map((t) => t.split(":")[0]!);
  for (const v of svc.volumes ?? []) {
    if (v.type === "tmpfs") {
      if (!tmpfs.includes(v.target) && !mounts.some((m) => m.type === "tmpfs" && (m.target ?? m.destination ?? m.dst) === v.target)) {
        say(`tmpfs ${v.target} is not mounted${line}`);
      }
      continue;
    }
    let source: string | undefined = v.source;
    if (v.type === "volume" && v.source) source = spec.volumes[v.source]?.name ?? v.source;
    const ok =
      vs.some((m) => m.target === v.target && (source === undefined || m.source === source)) ||
      mounts.some((m) => (m.target ?? m.destination ?? m.dst) === v.target && (source === undefined || (m.source ?? m.src) === source));
    if (!ok) say(`${v.type} ${source ?? "(anonymous)"} -> ${v.target} is not mounted: -v ${optionValues(argv, "-v", "--volume").join(" -v ")}`);
    if (v.type === "volume" && v.source && !spec.volumes[v.source]?.external) {
      const volumeUnit = `${backend}-volume-${source}`;
      if (!facts.services[volumeUnit]) say(`no unit ${volumeUnit} creating volume ${source}`);
      else if (!unit.requires.includes(`${volumeUnit}.service`)) say(`${volumeUnit}.service is not in requires: ${unit.requires.join(" ")}`);
    }
  }

  // environment
  const envs = optionValues(argv, "-e", "--env");
  for (const [key, value] of Object.entries(svc.environment ?? {})) {
    if (value === null) continue;
    if (!envs.includes(`${key}=${value}`)) say(`-e ${key}=${value} is missing (have -e ${envs.filter((e) => e.startsWith(`${key}=`)).join(" ") || "nothing for it"})`);
  }

  // labels
  const labels = optionValues(argv, "-l", "--label");
  for (const [key, value] of Object.entries(svc.labels ?? {})) {
    if (!labels.includes(`${key}=${value}`)) say(`-l ${key}=${value} is missing`);
  }

  // networks
  const attached = networksOf(argv);
  if (svc.networkMode) {
    const mode = svc.networkMode;
    let want = mode;
    if (mode.startsWith("service:")) want = `container:${spec.services[mode.slice("service:".length)]?.containerName}`;
    if (!attached.some((n) => n.name === want)) say(`network_mode ${mode}: no --network=${want}; have ${JSON.stringify(attached)}`);
  } else {
    for (const [key, options] of Object.entries(svc.networks ?? {})) {
      const net = spec.networks[key];
      const netName = net?.name ?? key;
      const found = attached.find((n) => n.name === netName);
      if (!found) {
        say(`not attached to network ${netName}: have ${JSON.stringify(attached)}`);
        continue;
      }
      for (const alias of options?.aliases ?? []) {
        if (!found.aliases.includes(alias)) say(`network ${netName}: alias ${alias} is missing (have ${found.aliases.join(", ")})`);
      }
      if (!net?.external) {
        const networkUnit = `${backend}-network-${netName}`;
        if (!facts.services[networkUnit]) say(`no unit ${networkUnit} creating network ${netName}`);
        else if (!unit.requires.includes(`${networkUnit}.service`)) say(`${networkUnit}.service is not in requires: ${unit.requires.join(" ")}`);
      }
    }
  }

  // healthcheck
  const hc = svc.healthcheck;
  const healthCmd = optionValues(argv, "--health-cmd");
  if (hc && (hc.disable || hc.test?.[0] === "NONE")) {
    if (!argv.includes("--no-healthcheck")) say(`healthcheck disabled but no --no-healthcheck${line}`);
  } else if (hc?.test && hc.test.length > 0) {
    const [kind, ...args] = hc.test;
    if (healthCmd.length !== 1) say(`healthcheck ${JSON.stringify(hc.test)}: want one --health-cmd, have ${healthCmd.length}${line}`);
    else {
      const got = healthCmd[0]!;
      // what the runtime will store as the test, compared with what compose asked for
      const stored = backend === "podman" ? podmanHealthTest(got) : ["CMD-SHELL", got];
      let ok: boolean;
      if (kind === "CMD-SHELL") ok = JSON.stringify(stored) === JSON.stringify(["CMD-SHELL", args.join(" ")]);
      else if (backend === "podman") ok = JSON.stringify(stored) === JSON.stringify(["CMD", ...args]);
      // docker's CLI can only say CMD-SHELL: the words must come back the same through /bin/sh
      else ok = JSON.stringify(shellWords(got)) === JSON.stringify(args);
      if (!ok) say(`healthcheck ${JSON.stringify(hc.test)} became --health-cmd=${got}, which ${backend} stores as ${JSON.stringify(stored)}`);
    }
    if (hc.interval && !optionValues(argv, "--health-interval").includes(hc.interval)) say(`--health-interval=${hc.interval} is missing`);
    if (hc.timeout && !optionValues(argv, "--health-timeout").includes(hc.timeout)) say(`--health-timeout=${hc.timeout} is missing`);
    if (hc.retries !== undefined && !optionValues(argv, "--health-retries").includes(String(hc.retries))) say(`--health-retries=${hc.retries} is missing`);
  }

  // user, capabilities, privileged
  if (svc.user && !optionValues(argv, "-u", "--user").includes(svc.user)) say(`--user ${svc.user} is missing`);
  for (const cap of svc.capAdd ?? []) {
    if (!optionValues(argv, "--cap-add").some((c) => c.replace(/^CAP_/, "") === cap.replace(/^CAP_/, ""))) say(`--cap-add=${cap} is missing`);
  }
  if (svc.privileged && !argv.includes("--privileged")) say("--privileged is missing");

  // the other run options the corpus uses, each as docker/podman spell it
  const flag = (names: string[], want: string, what: string) => {
    if (!optionValues(argv, ...names).includes(want)) say(`${what}: no ${names[0]}=${want} (have ${optionValues(argv, ...names).join(", ") || "none"})`);
  };
  for (const port of svc.expose ?? []) flag(["--expose"], port, "expose");
  for (const file of svc.environmentFiles ?? []) if (file.required !== false) flag(["--env-file"], file.path, "env_file");
  for (const d of svc.devices ?? []) {
    if (!optionValues(argv, "--device").some((v) => v === d.source || v.startsWith(`${d.source}:${d.target ?? d.source}`))) say(`device ${d.source} is missing`);
  }
  for (const server of svc.dns ?? []) flag(["--dns"], server, "dns");
  for (const [host, ips] of Object.entries(svc.extraHosts ?? {})) for (const ip of ips) flag(["--add-host"], `${host}:${ip}`, "extra_hosts");
  for (const [key, value] of Object.entries(svc.sysctls ?? {})) flag(["--sysctl"], `${key}=${value}`, "sysctls");
  for (const [name, limit] of Object.entries(svc.ulimits ?? {})) {
    const want = typeof limit === "number" ? `${name}=${limit}` : `${name}=${limit.soft}:${limit.hard}`;
    flag(["--ulimit"], want, "ulimits");
  }
  for (const t of svc.tmpfs ?? []) {
    if (!optionValues(argv, "--tmpfs").some((v) => v === t || v.split(":")[0] === t.split(":")[0])) say(`tmpfs ${t} is missing`);
  }
  if (svc.stopSignal) flag(["--stop-signal"], svc.stopSignal, "stop_signal");
  if (svc.hostname) flag(["-h", "--hostname"], svc.hostname, "hostname");
  for (const g of svc.groupAdd ?? []) flag(["--group-add"], g, "group_add");
  if (svc.init && !argv.includes("--init")) say("init: no --init");
  for (const o of svc.securityOpt ?? []) flag(["--security-opt"], o, "security_opt");
  if (svc.shmSize) flag(["--shm-size"], svc.shmSize, "shm_size");
  if (svc.ipc) {
    const want = svc.ipc.startsWith("service:") ? `container:${spec.services[svc.ipc.slice("service:".length)]?.containerName}` : svc.ipc;
    flag(["--ipc"], want, "ipc");
  }
  for (const from of svc.volumesFrom ?? []) {
    const [source, mode] = from.split(":");
    const container = from.startsWith("container:") ? from.split(":")[1]! : (spec.services[source!]?.containerName ?? source!);
    if (!optionValues(argv, "--volumes-from").some((v) => v === container || v === `${container}:${mode}`)) say(`volumes_from ${from}: no --volumes-from=${container}`);
  }
  if (svc.logging?.driver) flag(["--log-driver"], svc.logging.driver, "logging.driver");
  for (const [key, value] of Object.entries(svc.logging?.options ?? {})) flag(["--log-opt"], `${key}=${value}`, "logging.options");
  const limits = svc.deploy?.resources?.limits;
  if (limits?.memory) flag(["-m", "--memory"], limits.memory, "deploy.resources.limits.memory");
  if (limits?.cpus !== undefined) flag(["--cpus"], String(limits.cpus), "deploy.resources.limits.cpus");
  for (const secret of svc.secrets ?? []) {
    const target = secret.target?.startsWith("/") ? secret.target : `/run/secrets/${secret.target ?? secret.source}`;
    if (!vs.some((m) => m.target === target) && !mounts.some((m) => (m.target ?? m.destination ?? m.dst) === target)) say(`secret ${secret.source} is not mounted at ${target}`);
  }

  // dependencies start first
  for (const dep of Object.keys(svc.dependsOn ?? {})) {
    const depContainer = spec.services[dep]?.containerName;
    if (!depContainer || !facts.containers[depContainer]) continue;
    const depUnit = `${facts.containers[depContainer]!.serviceName}.service`;
    if (!unit.after.includes(depUnit)) say(`depends_on ${dep}: ${depUnit} is not in after`);
  }
}

// ---- the tests ---------------------------------------------------------------------------------

let evaluations = 0;
let evalMs = 0;
const suiteStart = performance.now();

test("nixos-corpus: the NixOS evaluation environment is there", () => {
  skipUnless(nixEnv !== undefined, `nixos-corpus: all ${stacks.length * 2} evaluations`, missing ?? "");
});

test("nixos-corpus: there are stacks to evaluate", () => {
  if (skipUnless(haveCorpus, "nixos-corpus: corpus", `${corpusDir} is absent`)) return;
  assert.ok(stacks.length >= 80, `${stacks.length} stacks`);
});

for (const stack of nixEnv ? stacks : []) {
  for (const backend of ["podman", "docker"] as Backend[]) {
    test(`nixos-corpus: ${backend}: ${stack.label}`, () => {
      const json = runCli(["convert", ...stack.args, "--format", "json", "-o", "-"], { cwd: stack.dir, env: BASE_ENV });
      assert.is(json.code, 0, json.stderr);
      const spec = Object.values((JSON.parse(json.stdout) as { compositions: Record<string, Spec> }).compositions)[0]!;

      const dir = makeTempDir("khepri-nixos-corpus-");
      try {
        const moduleFile = path.join(dir, "module.nix");
        const nix = runCli(["convert", ...stack.args, "--runtime", backend, "-o", "-", "-q"], { cwd: stack.dir, env: BASE_ENV });
        assert.is(nix.code, 0, nix.stderr);
        writeFileSync(moduleFile, nix.stdout);
        const started = performance.now();
        // A host set up for what the stacks ask of it: GPU stacks assert NVIDIA's container toolkit.
        const facts = evalNixosModules(nixEnv!, [moduleFile], { backend, extraConfig: "{ hardware.nvidia-container-toolkit.enable = true; }" });
        evalMs += performance.now() - started;
        evaluations++;
        assert.equal(facts.failedAssertions, []);
        assert.equal(facts.warnings, [], "nixos-rebuild would print these warnings");

        const problems: string[] = [];
        const declared = Object.keys(facts.containers).sort();
        const wanted = Object.values(spec.services).map((svc) => svc.containerName ?? "").sort();
        if (JSON.stringify(declared) !== JSON.stringify(wanted)) problems.push(`containers ${declared.join(", ")}; want one per service: ${wanted.join(", ")}`);
        for (const [name, svc] of Object.entries(spec.services)) checkService(problems, spec, name, svc, facts, backend);
        assert.ok(problems.length === 0, `${problems.length} problem(s):\n${problems.join("\n")}`);
      } finally {
        removeDir(dir);
      }
    });
  }
}

test("nixos-corpus: timing", () => {
  if (evaluations === 0) return;
  console.log(
    `nixos-corpus: ${evaluations} evaluations, ${(evalMs / 1000).toFixed(1)} s in nix-instantiate, ${((performance.now() - suiteStart) / 1000).toFixed(1)} s in all`,
  );
});

test.run();
