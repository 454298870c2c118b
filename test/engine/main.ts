// The engine stage (`npm run test:engine`): generated modules, evaluated with nixpkgs' real lib and
// real oci-containers.nix, booted on real podman and docker by a model of systemd's ordering
// (./units.ts), checked on the engine (./checks.ts), stopped the way `systemctl stop <root target>`
// would, and checked again for what is left behind. Prints per stack and runtime what started, what
// was checked and what was skipped (and why), then "N passed, N failed, N skipped".
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { findNixosEvalEnv, type NixosEvalEnv } from "../support/nixos-eval.ts";
import { hasShared } from "../support/shared.ts";
import { checkDns, checkEnvironment, checkHealthchecks, checkLabels, checkMounts, checkNetworks, checkPorts, checkSharedNetwork, checkStillRunning, inspect, inspectRunning, type Checked } from "./checks.ts";
import { probe, type EngineStatus, type Runtime } from "./engines.ts";
import { buildRootfs, importImage, tagImage } from "./image.ts";
import { run, sleep } from "./process.ts";
import { CORPUS_LEFT_OUT, ENGINE_STACKS } from "./stackList.ts";
import { imagesOf, prepare, specOf, type Prepared, type Spec, type Stack } from "./stacks.ts";
import { COMMON_SUBSTITUTIONS, SUBSTITUTIONS } from "./substitutions.ts";
import { UnitSystem } from "./units.ts";

interface Outcome {
  label: string;
  runtime: Runtime;
  result: "passed" | "failed" | "skipped";
  lines: string[];
  ms: number;
}

const CONCURRENCY = Number(process.env.KHEPRI_ENGINE_JOBS ?? 4);
const only = process.argv[2];
const runtimesWanted = (process.env.KHEPRI_ENGINE_RUNTIMES ?? "podman,docker").split(",") as Runtime[];

/** Things two stacks running at once must not share: published host ports (any engine), names per engine. */
function resources(runtime: Runtime, spec: Spec): string[] {
  const keys: string[] = [];
  for (const svc of Object.values(spec.services)) {
    keys.push(`${runtime}:container:${svc.containerName}`);
    for (const port of svc.ports ?? []) if (port.published) keys.push(`port:${port.published}/${port.protocol ?? "tcp"}`);
  }
  for (const [k, n] of Object.entries(spec.networks)) keys.push(`${runtime}:network:${n.name ?? `${spec.name}_${k}`}`);
  for (const [k, v] of Object.entries(spec.volumes)) keys.push(`${runtime}:volume:${v.name ?? `${spec.name}_${k}`}`);
  keys.push(`${runtime}:project:${spec.name}`);
  // podman's aardvark-dns listens on port 53 of every podman network's gateway, so a stack that
  // publishes host port 53 on all addresses runs only while no podman stack does. On podman too:
  // booted beside others it can take port 53 while aardvark-dns restarts, which then fails to bind
  // and leaves every podman network without DNS (seen in CI: mealie and paperless failed lookups)
  const publishes53 = Object.values(spec.services).some((svc) => (svc.ports ?? []).some((p) => p.published === "53"));
  if (publishes53) keys.push("exclusive:aardvark");
  else if (runtime === "podman") keys.push("shared:aardvark");
  return keys;
}

const busy = new Map<string, number>();
const isFree = (key: string) => {
  const [kind, name] = key.split(":", 2);
  if (kind === "shared") return !busy.has(`exclusive:${name}`);
  if (kind === "exclusive") return !busy.has(`shared:${name}`) && !busy.has(key);
  return !busy.has(key);
};
const hold = (key: string) => busy.set(key, (busy.get(key) ?? 0) + 1);
const letGo = (key: string) => (busy.get(key) === 1 ? busy.delete(key) : busy.set(key, busy.get(key)! - 1));

/** Paths under /run that the generated units write (RuntimeDirectory and /run/khepri files). */
function runPaths(p: Prepared): string[] {
  const paths = new Set<string>();
  for (const svc of Object.values(p.facts.services)) {
    const rd = svc.serviceConfig.RuntimeDirectory;
    for (const d of rd === undefined ? [] : String(rd).split(/\s+/)) if (d) paths.add(path.join("/run", d));
  }
  for (const m of p.moduleText.matchAll(/\/run\/khepri[^\s'"]*/g)) paths.add(m[0]);
  return [...paths];
}

async function bootStack(stack: Stack, runtime: Runtime, nixEnv: NixosEvalEnv): Promise<Outcome> {
  const started = Date.now();
  const lines: string[] = [];
  const out: Checked = { checked: [], skipped: [], problems: [] };
  const tmp = mkdtempSync(path.join(os.tmpdir(), "khepri-engine-"));
  const expect = stack.expect ?? {};
  let created: string[] = [];
  try {
    let p: Prepared;
    try {
      p = prepare(stack, runtime, nixEnv, tmp);
      created = p.created ?? [];
    } catch (e) {
      out.problems.push(`could not generate or evaluate: ${(e as Error).message}`);
      return { label: stack.label, runtime, result: "failed", lines: out.problems, ms: Date.now() - started };
    }
    for (const image of imagesOf(p.facts)) {
      if (image.includes("@")) {
        out.problems.push(`image ${image} is pinned by digest: a local tag cannot stand in for it`);
        continue;
      }
      const error = await tagImage(runtime, image);
      if (error) out.problems.push(error);
    }
    if (out.problems.length) return { label: stack.label, runtime, result: "failed", lines: out.problems, ms: Date.now() - started };

    const serviceOfContainer = new Map(Object.entries(p.spec.services).map(([n, s]) => [s.containerName!, n]));
    const containerOfUnit = new Map(Object.entries(p.facts.containers).map(([c, f]) => [f.serviceName, c]));
    const gating: string[] = [];
    const system: UnitSystem = new UnitSystem({
      runtime,
      services: p.facts.services,
      targets: p.facts.targets,
      containers: p.facts.containers,
      files: p.facts.files,
      rootTarget: p.rootTarget,
      workDir: tmp,
      log: (l) => lines.push(l),
      // depends_on conditions hold at the moment the dependent begins to start
      beforeStart: async (unit) => {
        const container = containerOfUnit.get(unit);
        const service = container && serviceOfContainer.get(container);
        if (!service) return;
        for (const [dep, cond] of Object.entries(p.spec.services[service]!.dependsOn ?? {})) {
          const depContainer = p.spec.services[dep]?.containerName;
          if (!depContainer || !cond.condition || cond.condition === "service_started") continue;
          const info = await inspect(runtime, depContainer);
          if (cond.condition === "service_healthy") {
            const status = info?.State.Health?.Status ?? "no health status";
            if (status !== "healthy") out.problems.push(`${service} started while ${dep} is ${status} (depends_on service_healthy)`);
            else gating.push(`${service} after ${dep} healthy`);
          } else if (cond.condition === "service_completed_successfully") {
            if (info?.State.Running) out.problems.push(`${service} started while ${dep} is still running (service_completed_successfully)`);
            else if (info && info.State.ExitCode !== 0) out.problems.push(`${service} started though ${dep} exited ${info.State.ExitCode}`);
            else gating.push(`${service} after ${dep} exited 0`);
          }
        }
      },
    });
    const preexisting = new Set(runPaths(p).filter((d) => existsSync(d)));
    // external volumes a stack names are the user's; the engine creates a missing one at `run`
    const externalVolumes = Object.entries(p.spec.volumes).filter(([, v]) => v.external).map(([k, v]) => v.name ?? k);
    const externalBefore = new Set<string>();
    // a shared network's unit only creates it (a host resource, like a declared external one)
    const sharedBefore = new Set<string>();
    for (const name of expect.sharedNetworks ?? []) if ((await run(runtime, ["network", "inspect", name])).code === 0) sharedBefore.add(name);
    for (const name of externalVolumes) if ((await run(runtime, ["volume", "inspect", name])).code === 0) externalBefore.add(name);
    lines.push(`  start ${p.rootTarget}.target: ${system.order.length} unit(s)`);
    await system.start();

    // expected outcomes of units
    for (const u of system.units.values()) {
      const wantFail = expect.failing?.[u.name];
      if (wantFail) {
        if (u.state !== "failed") out.problems.push(`${u.name} should fail to start but is ${u.state}`);
        else if (!wantFail.test(u.message ?? "")) out.problems.push(`${u.name} failed with ${JSON.stringify(u.message)}, which does not match ${wantFail}`);
        else {
          // the message must state the real elapsed time
          const said = /after (?:waiting )?(\d+(?:\.\d+)?)s/.exec(u.message ?? "");
          // a postStart wait counts from postStart; the podman stand-in from the unit's start (TimeoutStartSec)
          const real = (u.failedAt! - (u.message?.startsWith("postStart") ? u.postStartAt! : u.startedAt!)) / 1000;
          if (said && Math.abs(Number(said[1]) - real) > 3) out.problems.push(`${u.name}: message says ${said[1]}s, it gave up after ${real.toFixed(1)}s`);
          else gating.push(`${u.name} failed as expected after ${real.toFixed(1)}s: ${u.message!.split("\n")[0]}`);
        }
        continue;
      }
      if (expect.neverStarted?.includes(u.name)) {
        if (u.startedAt !== undefined) out.problems.push(`${u.name} started though a unit it requires failed`);
        else gating.push(`${u.name} never started (${u.message})`);
        continue;
      }
      if (u.state !== "active") out.problems.push(`${u.name} is ${u.state}: ${u.message ?? ""}${u.runLine ? `\n      run line: ${u.runLine}` : ""}`);
    }
    const active = [...system.units.values()].filter((u) => u.state === "active");
    out.checked.push(`${active.length}/${system.units.size} unit(s) active`);
    if (gating.length) out.checked.push(`ordering: ${gating.join("; ")}`);

    for (const name of expect.sharedNetworks ?? []) checkSharedNetwork(runtime, name, p, system, out);
    const lastActive = Math.max(0, ...active.map((u) => u.activeAt ?? 0));
    const running = await inspectRunning(runtime, p, system, expect.completes ?? []);
    checkNetworks(p.spec, running, out);
    await checkDns(runtime, p.spec, running, out);
    checkMounts(p.spec, running, p.copy, out);
    checkEnvironment(p.spec, running, p.copy, out);
    checkPorts(p.spec, running, out);
    checkHealthchecks(p.spec, running, out);
    await checkLabels(runtime, p.spec, running, out);
    for (const [service, argv, want] of expect.execs ?? []) {
      const container = p.spec.services[service]!.containerName!;
      const ran = await run(runtime, ["exec", container, ...argv], { timeoutMs: 20_000 });
      if (ran.stdout !== want) out.problems.push(`${service}: \`${argv.join(" ")}\` printed ${JSON.stringify(ran.stdout)}, want ${JSON.stringify(want)}${ran.stderr ? ` (${ran.stderr.trim()})` : ""}`);
    }
    if (expect.execs?.length) out.checked.push(`${expect.execs.length} exec check(s)`);
    const wait = lastActive + 5000 - Date.now();
    if (wait > 0) await sleep(wait);
    await checkStillRunning(runtime, p, system, expect.completes ?? [], out);
    const absentPaths = [...(expect.absentPaths ?? [])].map((a) => (path.isAbsolute(a) ? a : path.join(p.copy, a)));
    for (const a of absentPaths) if (existsSync(a)) out.problems.push(`${a} exists after start: khepri must not create it`);
    for (const rel of expect.presentPaths ?? []) if (!existsSync(path.join(p.copy, rel))) out.problems.push(`${rel} was not created (compose creates a missing short-syntax bind directory)`);
    const warning = expect.warns?.[runtime];
    if (warning) {
      if (!warning.test(p.notes)) out.problems.push(`khepri did not warn ${warning} converting it; it printed: ${p.notes.trim() || "nothing"}`);
      else out.checked.push(`khepri warned: ${p.notes.split("\n").find((l) => warning.test(l))?.trim()}`);
    }

    // stop, the way `systemctl stop <root target>` would (PartOf the root target)
    // (paths that existed before the stack started are the host's, not khepri's)
    const runDirs = runPaths(p).filter((d) => !preexisting.has(d));
    await system.stop();
    for (const u of system.units.values()) if (u.stopProblems.length) out.problems.push(`stopping ${u.name}: ${u.stopProblems.join("; ")}`);
    for (const project of p.projects ?? [p.spec.name]) {
      const left = await run(runtime, ["ps", "-a", "--filter", `label=com.docker.compose.project=${project}`, "--format", "{{.Names}}"]);
      if (left.stdout.trim()) out.problems.push(`containers left after stop: ${left.stdout.trim().split("\n").join(", ")}`);
    }
    for (const [k, n] of Object.entries(p.spec.networks)) {
      if (n.external) continue;
      const name = n.name ?? `${p.spec.name}_${k}`;
      if ((await run(runtime, ["network", "inspect", name])).code === 0) out.problems.push(`network ${name} left after stop`);
    }
    let kept = 0;
    let removed = 0;
    for (const [k, v] of Object.entries(p.spec.volumes)) {
      if (v.external) continue;
      const name = v.name ?? `${p.spec.name}_${k}`;
      // only volumes some service uses get a unit
      const used = Object.values(p.spec.services).some((s) => (s.volumes ?? []).some((m) => m.type === "volume" && m.source === k));
      if (!used) continue;
      const exists = (await run(runtime, ["volume", "inspect", name])).code === 0;
      if (expect.removeVolumes && exists) out.problems.push(`volume ${name} left after stop with --remove-volumes`);
      if (!expect.removeVolumes && !exists) out.problems.push(`volume ${name} removed by stop (named volumes must survive)`);
      if (exists) kept++;
      else removed++;
      await run(runtime, ["volume", "rm", "-f", name]);
    }
    // --remove-volumes is proven only on a volume that was there
    if (expect.removeVolumes && removed === 0) out.problems.push("--remove-volumes checked no named volume: the stack must use one");
    for (const d of runDirs) if (existsSync(d)) out.problems.push(`${d} left on the host after stop`);
    for (const name of externalVolumes) if (!externalBefore.has(name)) await run(runtime, ["volume", "rm", "-f", name]);
    for (const name of expect.sharedNetworks ?? []) if (!sharedBefore.has(name)) await run(runtime, ["network", "rm", "-f", name]);
    for (const a of absentPaths) if (existsSync(a)) out.problems.push(`${a} exists after stop: khepri must not create it`);
    out.checked.push(
      `stop: no container, no project network, ${expect.removeVolumes ? `${removed} named volume(s) removed` : `${kept} named volume(s) kept`}, ${runDirs.length} /run path(s) gone${absentPaths.length ? `, ${absentPaths.length} path(s) never created` : ""}`,
    );
  } catch (e) {
    out.problems.push(`runner error: ${(e as Error).stack ?? e}`);
  } finally {
    for (const made of created) rmSync(made, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
  for (const [pattern, why] of expect.known ?? []) {
    const matching = out.problems.filter((problem) => pattern.test(problem));
    if (matching.length === 0) out.problems.push(`known problem ${pattern} did not occur (${why}): fixed? then remove it from the expectations`);
    for (const m of matching) lines.push(`  KNOWN: ${m} (${why})`);
    out.problems = out.problems.filter((problem) => !pattern.test(problem));
  }
  lines.push(`  checked: ${out.checked.join("; ")}`);
  for (const s of out.skipped) lines.push(`  skipped: ${s}`);
  for (const problem of out.problems) lines.push(`  FAIL: ${problem}`);
  return { label: stack.label, runtime, result: out.problems.length ? "failed" : "passed", lines, ms: Date.now() - started };
}

function printOutcome(o: Outcome): void {
  console.log(`${o.result === "passed" ? "PASS" : o.result === "failed" ? "FAIL" : "SKIP"} ${o.runtime}: ${o.label} (${(o.ms / 1000).toFixed(1)} s)`);
  for (const l of o.lines) console.log(l);
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const outcomes: Outcome[] = [];
  const stacks = ENGINE_STACKS().filter((s) => !only || s.label.includes(only));
  const skipAll = (runtime: Runtime, why: string) => {
    for (const s of stacks) outcomes.push({ label: s.label, runtime, result: "skipped", lines: [], ms: 0 });
    console.log(`SKIP engine ${runtime}: ${stacks.length} stack(s): ${why}`);
  };
  const { env: nixEnv, missing } = findNixosEvalEnv();
  const engines: EngineStatus[] = [];
  for (const runtime of runtimesWanted) engines.push(await probe(runtime));
  const ready: Runtime[] = [];
  for (const e of engines) {
    if (!nixEnv) skipAll(e.runtime, `no NixOS evaluation: ${missing}`);
    else if (!hasShared) skipAll(e.runtime, "../shared is absent (corpus stacks)");
    else if (!e.ok) skipAll(e.runtime, `engine does not answer: ${e.detail}`);
    else {
      const dir = mkdtempSync(path.join(os.tmpdir(), "khepri-rootfs-"));
      const error = (await buildRootfs(path.join(dir, "rootfs"))) ?? (await importImage(e.runtime, path.join(dir, "rootfs")));
      rmSync(dir, { recursive: true, force: true });
      if (error) skipAll(e.runtime, `cannot build the stand-in image: ${error}`);
      else {
        ready.push(e.runtime);
        console.log(`engine ${e.runtime} ${e.detail}: substitutions (everything else runs as generated):`);
        for (const s of [...SUBSTITUTIONS[e.runtime], ...COMMON_SUBSTITUTIONS]) console.log(`  - ${s.what} (${s.why})`);
      }
    }
  }
  // both engines at once, stack by stack: they share nothing but the host's ports (see resources)
  const jobs = stacks.flatMap((stack) => ready.map((runtime) => ({ stack, runtime })));
  if (!only) for (const [rel, why] of Object.entries(CORPUS_LEFT_OUT)) console.log(`not booted: corpus/${rel}: ${why}`);
  // a free worker takes the first job whose ports and names no running stack holds
  const queue = jobs.map((job) => ({ ...job, keys: job.stack.skip?.[job.runtime] ? [] : resources(job.runtime, specOf(job.stack, nixEnv!)) }));
  const worker = async () => {
    while (queue.length) {
      const at = queue.findIndex((j) => j.keys.every(isFree));
      if (at < 0) {
        await sleep(200);
        continue;
      }
      const { stack, runtime, keys } = queue.splice(at, 1)[0]!;
      if (stack.skip?.[runtime]) {
        console.log(`SKIP ${runtime}: ${stack.label}: ${stack.skip[runtime]}`);
        outcomes.push({ label: stack.label, runtime, result: "skipped", lines: [], ms: 0 });
        continue;
      }
      for (const k of keys) hold(k);
      const o = await bootStack(stack, runtime, nixEnv!);
      for (const k of keys) letGo(k);
      printOutcome(o);
      outcomes.push(o);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, worker));
  const count = (r: Outcome["result"]) => outcomes.filter((o) => o.result === r).length;
  for (const runtime of runtimesWanted) {
    const mine = outcomes.filter((o) => o.runtime === runtime);
    console.log(`engine ${runtime}: ${mine.filter((o) => o.result === "passed").length} passed, ${mine.filter((o) => o.result === "failed").length} failed, ${mine.filter((o) => o.result === "skipped").length} skipped`);
  }
  const failed = outcomes.filter((o) => o.result === "failed");
  if (failed.length) console.log(`failed: ${failed.map((o) => `${o.runtime}: ${o.label}`).join(", ")}`);
  console.log(`engine stage: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`\n${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped`);
  return failed.length ? 1 : 0;
}

// exit now: timers of units that settled early (their start deadlines) would keep the process alive
process.exit(await main());
