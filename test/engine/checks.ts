// What each booted stack must show on the engine, read back with `inspect` and `exec`: the
// expectations come from khepri's normalized spec of the same compose file (`--format json`) and
// from compose's own rules (env_file parsed as compose does), never from the generated run line.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDotenv } from "../../src/load/dotenv.ts";
import type { Runtime } from "./engines.ts";
import { run, tail } from "./process.ts";
import type { Prepared, Spec, SpecService } from "./stacks.ts";
import type { UnitSystem } from "./units.ts";

export interface Checked {
  /** what was checked, one short phrase each */
  checked: string[];
  /** what was not checked, with why */
  skipped: string[];
  problems: string[];
}

export interface Inspect {
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; Health?: { Status: string } };
  Config: { Env?: string[]; Healthcheck?: { Test?: string[] } | null; Labels?: Record<string, string> | null };
  HostConfig: { PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null> | null; Tmpfs?: Record<string, string> | null; NetworkMode?: string };
  Mounts?: { Type: string; Name?: string; Source: string; Destination: string }[];
  NetworkSettings: { Networks?: Record<string, { Aliases?: string[] | null; IPAddress?: string }> | null };
}

export async function inspect(runtime: Runtime, container: string): Promise<Inspect | undefined> {
  const ran = await run(runtime, ["container", "inspect", container], { timeoutMs: 20_000 });
  if (ran.code !== 0) return undefined;
  return (JSON.parse(ran.stdout) as Inspect[])[0];
}

/** The engine's network name of a compose network key. */
const networkName = (spec: Spec, key: string) => spec.networks[key]?.name ?? `${spec.name}_${key}`;
const volumeName = (spec: Spec, key: string) => spec.volumes[key]?.name ?? `${spec.name}_${key}`;

/** Variables the engines add to every container by themselves. */
const ENGINE_ENV = new Set(["PATH", "HOSTNAME", "HOME", "TERM", "container"]);

/** The environment compose gives a service: env_file entries in order, then `environment`. */
export function composeEnvironment(svc: SpecService, stackDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const file of svc.environmentFiles ?? []) {
    const p = path.isAbsolute(file.path) ? file.path : path.join(stackDir, file.path);
    if (!existsSync(p)) continue;
    Object.assign(env, parseDotenv(readFileSync(p, "utf8")));
  }
  for (const [k, v] of Object.entries(svc.environment ?? {})) if (v !== null) env[k] = v;
  return env;
}

/** The containers of the stack's active units, inspected (those not running are left for checkStillRunning). */
export async function inspectRunning(runtime: Runtime, prepared: Prepared, system: UnitSystem, completes: string[]): Promise<Map<string, Inspect>> {
  const seen = new Map<string, Inspect>();
  for (const [name, svc] of Object.entries(prepared.spec.services)) {
    const unit = [...system.units.values()].find((u) => u.container === svc.containerName);
    if (!unit || unit.state !== "active" || completes.includes(name)) continue;
    const info = await inspect(runtime, svc.containerName!);
    if (info?.State.Running) seen.set(name, info);
  }
  return seen;
}

/** Every container of an active unit is running (the one-shots in `completes` ran to completion). */
export async function checkStillRunning(runtime: Runtime, prepared: Prepared, system: UnitSystem, completes: string[], out: Checked): Promise<void> {
  let n = 0;
  for (const [name, svc] of Object.entries(prepared.spec.services)) {
    const container = svc.containerName!;
    const unit = [...system.units.values()].find((u) => u.container === container);
    if (!unit || unit.state !== "active") continue;
    const info = await inspect(runtime, container);
    if (completes.includes(name)) {
      if (info?.State.Running) out.problems.push(`${name}: should have run to completion but is still running`);
      continue;
    }
    if (!info) out.problems.push(`${name}: container ${container} is gone 5 s after its unit started: ${tail(unit.main?.output() ?? "", 4)}`);
    else if (!info.State.Running) out.problems.push(`${name}: container ${container} is ${info.State.Status} (exit ${info.State.ExitCode}) 5 s after its unit started`);
    else n++;
  }
  out.checked.push(`${n} container(s) running 5 s after start`);
}

export function checkNetworks(spec: Spec, running: Map<string, Inspect>, out: Checked): void {
  let n = 0;
  for (const [name, info] of running) {
    const svc = spec.services[name]!;
    if (svc.networkMode) {
      out.skipped.push(`${name}: networks not compared (network_mode ${svc.networkMode})`);
      continue;
    }
    const attached = info.NetworkSettings.Networks ?? {};
    for (const [key, cfg] of Object.entries(svc.networks ?? {})) {
      const net = networkName(spec, key);
      const got = attached[net];
      if (!got) {
        out.problems.push(`${name}: not attached to network ${net} (attached: ${Object.keys(attached).join(", ") || "none"})`);
        continue;
      }
      n++;
      for (const alias of [name, ...(cfg?.aliases ?? [])]) {
        if (!(got.Aliases ?? []).includes(alias)) out.problems.push(`${name}: alias ${alias} missing on ${net} (has ${JSON.stringify(got.Aliases)})`);
      }
      if (cfg?.ipv4Address && got.IPAddress !== cfg.ipv4Address) out.problems.push(`${name}: IP on ${net} is ${got.IPAddress}, compose asks ${cfg.ipv4Address}`);
    }
  }
  out.checked.push(`${n} network attachment(s) with aliases`);
}

/** From one running container per network (one that has a shell), every service name and alias on it resolves. */
export async function checkDns(runtime: Runtime, spec: Spec, running: Map<string, Inspect>, out: Checked): Promise<void> {
  const byNetwork = new Map<string, { service: string; names: string[] }[]>();
  for (const [name, svc] of Object.entries(spec.services)) {
    if (svc.networkMode) continue;
    for (const [key, cfg] of Object.entries(svc.networks ?? {})) {
      const list = byNetwork.get(key) ?? [];
      list.push({ service: name, names: [name, ...(cfg?.aliases ?? [])] });
      byNetwork.set(key, list);
    }
  }
  let lookups = 0;
  const notes = new Set<string>();
  for (const [key, members] of byNetwork) {
    const from = members.find((m) => running.has(m.service));
    if (!from) continue;
    const container = spec.services[from.service]!.containerName!;
    // podman: ask this network's own aardvark-dns (on its gateway). podman 4.3 gives a container on
    // several networks one nameserver per network, and the first answers NXDOMAIN for names that
    // only the others know; busybox (like glibc) does not fall through on NXDOMAIN.
    let server = "";
    if (runtime === "podman" && Object.keys(running.get(from.service)!.NetworkSettings.Networks ?? {}).length > 1) {
      const gw = await run("podman", ["network", "inspect", "--format", "{{range .Subnets}}{{.Gateway}} {{end}}", networkName(spec, key)]);
      server = gw.stdout.trim().split(/\s+/)[0] ?? "";
      if (server) notes.add(from.service);
    }
    const names = members.filter((m) => running.has(m.service)).flatMap((m) => m.names);
    lookups += names.length;
    // one exec for all names; a name gets three tries a second apart (the DNS servers reload
    // their records asynchronously after a container joins or leaves the network)
    const script = [
      'for n in "$@"; do',
      '  try=0',
      '  until out=$(nslookup "$n" $S 2>&1) && ! printf "%s" "$out" | grep -q "can.t find"; do',
      '    try=$((try + 1)); if [ "$try" -ge 3 ]; then printf "UNRESOLVED %s: %s\\n" "$n" "$(printf "%s" "$out" | tr "\\n" " " | tail -c 200)"; break; fi; sleep 1',
      "  done",
      "done",
    ].join("\n");
    const ran = await run(runtime, ["exec", "-e", `S=${server}`, container, "sh", "-c", script, "sh", ...names], { timeoutMs: 60_000 });
    if (ran.code !== 0) out.problems.push(`DNS on ${networkName(spec, key)}: exec in ${from.service} failed: ${tail(ran.stderr + ran.stdout, 3)}`);
    for (const line of ran.stdout.split("\n").filter((l) => l.startsWith("UNRESOLVED"))) out.problems.push(`DNS on ${networkName(spec, key)}: ${from.service} cannot resolve ${line.slice("UNRESOLVED ".length)}`);
  }
  out.checked.push(`${lookups} DNS lookup(s)`);
  if (runtime === "podman" && notes.size) out.skipped.push(`DNS asked of each network's own server for ${[...notes].join(", ")} (podman 4.3 multi-network containers: the first nameserver answers NXDOMAIN for the other networks' names)`);
}

export function checkMounts(spec: Spec, running: Map<string, Inspect>, stackDir: string, out: Checked): void {
  let n = 0;
  for (const [name, info] of running) {
    const mounts = info.Mounts ?? [];
    const tmpfs = Object.keys(info.HostConfig.Tmpfs ?? {});
    for (const v of spec.services[name]!.volumes ?? []) {
      n++;
      if (v.type === "tmpfs") {
        if (!tmpfs.includes(v.target) && !mounts.some((m) => m.Destination === v.target)) out.problems.push(`${name}: no tmpfs at ${v.target}`);
        continue;
      }
      const m = mounts.find((x) => x.Destination === v.target);
      if (!m) {
        out.problems.push(`${name}: nothing mounted at ${v.target} (${v.type} ${v.source ?? ""})`);
        continue;
      }
      if (v.type === "volume" && v.source && m.Name !== volumeName(spec, v.source)) out.problems.push(`${name}: ${v.target} is volume ${m.Name}, want ${volumeName(spec, v.source)}`);
      if (v.type === "bind" && v.source) {
        const want = path.isAbsolute(v.source) ? v.source : path.join(stackDir, v.source);
        if (m.Source !== want) out.problems.push(`${name}: ${v.target} binds ${m.Source}, want ${want}`);
      }
    }
    for (const t of spec.services[name]!.tmpfs ?? []) {
      n++;
      const target = t.split(":")[0]!;
      if (!tmpfs.includes(target) && !mounts.some((m) => m.Destination === target)) out.problems.push(`${name}: no tmpfs at ${target}`);
    }
  }
  out.checked.push(`${n} mount(s)`);
}

export function checkEnvironment(spec: Spec, running: Map<string, Inspect>, stackDir: string, out: Checked): void {
  let n = 0;
  for (const [name, info] of running) {
    const want = composeEnvironment(spec.services[name]!, stackDir);
    const got: Record<string, string> = {};
    for (const kv of info.Config.Env ?? []) {
      const eq = kv.indexOf("=");
      got[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    for (const [k, v] of Object.entries(want)) {
      n++;
      if (got[k] !== v) out.problems.push(`${name}: env ${k} is ${JSON.stringify(got[k])}, compose sets ${JSON.stringify(v)}`);
    }
    for (const k of Object.keys(got)) if (!(k in want) && !ENGINE_ENV.has(k)) out.problems.push(`${name}: env ${k}=${JSON.stringify(got[k])} is set but compose sets no ${k}`);
  }
  out.checked.push(`${n} environment variable(s)`);
}

export function checkPorts(spec: Spec, running: Map<string, Inspect>, out: Checked): void {
  let n = 0;
  for (const [name, info] of running) {
    const bindings = info.HostConfig.PortBindings ?? {};
    for (const p of spec.services[name]!.ports ?? []) {
      n++;
      const key = `${p.target}/${p.protocol ?? "tcp"}`;
      const got = bindings[key];
      if (!got || got.length === 0) {
        out.problems.push(`${name}: port ${key} not published (have ${Object.keys(bindings).join(", ") || "none"})`);
        continue;
      }
      if (p.published && !p.published.includes("-") && !got.some((b) => b.HostPort === p.published)) out.problems.push(`${name}: ${key} published on ${got.map((b) => b.HostPort).join(",")}, want ${p.published}`);
      if (p.host_ip && !got.some((b) => b.HostIp === p.host_ip)) out.problems.push(`${name}: ${key} bound to ${got.map((b) => b.HostIp).join(",")}, want ${p.host_ip}`);
    }
  }
  out.checked.push(`${n} published port(s)`);
}

export function checkHealthchecks(spec: Spec, running: Map<string, Inspect>, out: Checked): void {
  let n = 0;
  for (const [name, info] of running) {
    const hc = spec.services[name]!.healthcheck;
    if (!hc || hc.disable || !hc.test || hc.test[0] === "NONE") continue;
    n++;
    if (!info.Config.Healthcheck?.Test?.length) out.problems.push(`${name}: the engine has no healthcheck for it`);
  }
  out.checked.push(`${n} healthcheck(s) present`);
}

/** Container labels as compose sets them, and the labels of the project's volumes and networks. */
export async function checkLabels(runtime: Runtime, spec: Spec, running: Map<string, Inspect>, out: Checked): Promise<void> {
  let n = 0;
  for (const [name, info] of running) {
    for (const [k, v] of Object.entries(spec.services[name]!.labels ?? {})) {
      n++;
      const got = info.Config.Labels?.[k];
      if (got !== v) out.problems.push(`${name}: label ${k} is ${JSON.stringify(got)}, compose sets ${JSON.stringify(v)}`);
    }
  }
  for (const [kind, table] of [["volume", spec.volumes], ["network", spec.networks]] as const) {
    for (const [key, res] of Object.entries(table)) {
      const labels = (res as { labels?: Record<string, string> }).labels;
      if (res.external || !labels) continue;
      const ran = await run(runtime, [kind, "inspect", res.name ?? `${spec.name}_${key}`]);
      if (ran.code !== 0) continue; // an unused volume gets no unit
      const got = ((JSON.parse(ran.stdout) as { Labels?: Record<string, string>; labels?: Record<string, string> }[])[0] ?? {}) as { Labels?: Record<string, string>; labels?: Record<string, string> };
      const have = got.Labels ?? got.labels ?? {};
      for (const [k, v] of Object.entries(labels)) {
        n++;
        if (have[k] !== v) out.problems.push(`${kind} ${key}: label ${k} is ${JSON.stringify(have[k])}, compose sets ${JSON.stringify(v)} (all: ${JSON.stringify(have)})`);
      }
    }
  }
  out.checked.push(`${n} label(s)`);
}

/**
 * A network one declaration gives several compositions: its unit was active before any container
 * on it started, and each of those containers' units requires and is ordered after it.
 */
export function checkSharedNetwork(runtime: Runtime, network: string, prepared: Prepared, system: UnitSystem, out: Checked): void {
  const netUnit = `${runtime}-network-${network}`;
  const net = system.units.get(netUnit);
  if (!net || net.state !== "active") {
    out.problems.push(`shared network ${network}: unit ${netUnit} is ${net ? net.state : "not started"}`);
    return;
  }
  const consumers: string[] = [];
  for (const [name, svc] of Object.entries(prepared.spec.services)) {
    if (!Object.keys(svc.networks ?? {}).includes(network)) continue;
    const unit = [...system.units.values()].find((u) => u.container === svc.containerName);
    const facts = unit && prepared.facts.services[unit.name];
    if (!unit || !facts) {
      out.problems.push(`shared network ${network}: ${name} has no unit`);
      continue;
    }
    const service = `${netUnit}.service`;
    if (!facts.requires.includes(service) || !facts.after.includes(service)) out.problems.push(`${unit.name} is on ${network} but does not both require and come after ${service}`);
    if (unit.startedAt === undefined || unit.startedAt < net.activeAt!) out.problems.push(`${unit.name} started before ${netUnit} was active`);
    consumers.push(name);
  }
  out.checked.push(`shared network ${network}: ${netUnit} active before ${consumers.join(", ") || "no container"}, each requires + after it`);
}
