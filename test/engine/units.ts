// A model of systemd's ordering, not systemd: starts the units a root target wants, in
// After/Before order (one at a time: a valid linearisation of systemd's parallel start), with each
// unit's RuntimeDirectory, ExecStartPre, preStart, script and postStart; Type=notify waits for a real
// READY=1 on a NOTIFY_SOCKET made here; a unit whose Requires/BindsTo/Requisite failed is not started
// (dependency failed); stopping runs preStop (ExecStop), then ends the main process, then postStop,
// in reverse start order, and removes the RuntimeDirectory.
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { NixosServiceFacts, NixosTargetFacts, OciContainerFacts, StubFile } from "../support/nixos-eval.ts";
import { shellWords } from "../support/nixos-eval.ts";
import type { Runtime } from "./engines.ts";
import { background, run, sleep, tail, type Background } from "./process.ts";
import { hostPrograms, substituteRunLine } from "./substitutions.ts";

export interface UnitSystemInput {
  runtime: Runtime;
  services: Record<string, NixosServiceFacts>;
  targets: Record<string, NixosTargetFacts>;
  containers: Record<string, OciContainerFacts>;
  files: Record<string, StubFile>;
  /** the root target's name, without ".target" (a composition's root target, or multi-user for a whole configuration) */
  rootTarget: string;
  /** scratch directory (scripts, notify sockets) */
  workDir: string;
  log: (line: string) => void;
  /** called just before a unit's first start step (for ordering assertions) */
  beforeStart?: (unit: string) => Promise<void>;
}

export type UnitStateName = "inactive" | "activating" | "active" | "failed" | "dependency-failed";

export interface UnitState {
  name: string;
  state: UnitStateName;
  message?: string;
  /** the container this unit runs, if any */
  container?: string;
  /** the run line (or network/volume create line) as generated (before the substitutions, which the stage prints), for messages */
  runLine?: string;
  startedAt?: number;
  activeAt?: number;
  /** when postStart began */
  postStartAt?: number;
  /** when its start was given up */
  failedAt?: number;
  main?: Background;
  createdDirs: string[];
  health?: HealthLoop;
  stopProblems: string[];
}

interface HealthLoop {
  stop: () => void;
  healthyAt?: number;
  done: Promise<void>;
}

const NOTIFY_LISTENER = `
import json, os, socket, sys
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)
print("BOUND", flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;
const NOTIFY_SEND = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), sys.argv[1])
`;

/** Debian's python3 directly (a pyenv shim on PATH can take seconds to start). */
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

const unitName = (ref: string) => ref.replace(/\.service$/, "");
const listOf = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;

/** systemd time span in seconds (a number is seconds; "0"/"infinity" -> Infinity). */
export function timeSpan(v: unknown, fallback: number): number {
  if (v === undefined || v === null || v === "") return fallback;
  if (typeof v === "number") return v === 0 ? Infinity : v;
  const text = String(v).trim();
  if (text === "infinity" || text === "0") return Infinity;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|)/g)) {
    const n = Number(m[1]);
    total += m[2] === "ms" ? n / 1000 : m[2] === "m" || m[2] === "min" ? n * 60 : m[2] === "h" ? n * 3600 : n;
  }
  return total === 0 ? Infinity : total;
}

/** A docker/podman duration ("1m30s", "500ms", "10s") in ms. */
export function durationMs(text: string | undefined, fallbackMs: number): number {
  if (!text) return fallbackMs;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)) {
    const n = Number(m[1]);
    total += m[2] === "h" ? n * 3_600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : m[2] === "ms" ? n : 0;
  }
  return total || fallbackMs;
}

const START_CAP_S = 120;
const STOP_CAP_S = 30;

export class UnitSystem {
  readonly units = new Map<string, UnitState>();
  readonly order: string[];
  private scriptCount = 0;

  constructor(readonly input: UnitSystemInput) {
    this.order = this.startOrder();
    for (const name of this.order) {
      const container = Object.entries(input.containers).find(([, c]) => c.serviceName === name)?.[0];
      this.units.set(name, { name, state: "inactive", container, createdDirs: [], stopProblems: [] });
    }
  }

  /** The units the root target pulls in (WantedBy/RequiredBy it, then their Requires/Wants), in After order. */
  private startOrder(): string[] {
    const { services, rootTarget } = this.input;
    const root = `${rootTarget}.target`;
    // the root and the targets it pulls in (multi-user.target pulls in each composition's root target)
    const roots = new Set([root]);
    for (const [t, f] of Object.entries(this.input.targets)) if (f.wantedBy.includes(root) || f.requiredBy.includes(root)) roots.add(`${t}.target`);
    const selected = new Set<string>();
    const queue = Object.keys(services).filter((n) => [...services[n]!.wantedBy, ...services[n]!.requiredBy].some((t) => roots.has(t)));
    while (queue.length) {
      const n = queue.shift()!;
      if (selected.has(n) || !services[n]) continue;
      selected.add(n);
      const s = services[n]!;
      for (const dep of [...s.requires, ...s.wants, ...s.bindsTo, ...s.requisite]) queue.push(unitName(dep));
    }
    const before = new Map<string, Set<string>>([...selected].map((n) => [n, new Set<string>()]));
    for (const n of selected) {
      for (const a of services[n]!.after) if (selected.has(unitName(a))) before.get(n)!.add(unitName(a));
      for (const b of services[n]!.before) if (selected.has(unitName(b))) before.get(unitName(b))!.add(n);
    }
    const order: string[] = [];
    const done = new Set<string>();
    while (order.length < selected.size) {
      const ready = [...selected].filter((n) => !done.has(n) && [...before.get(n)!].every((d) => done.has(d))).sort();
      if (ready.length === 0) throw new Error(`ordering cycle among ${[...selected].filter((n) => !done.has(n)).join(", ")}`);
      order.push(ready[0]!);
      done.add(ready[0]!);
    }
    return order;
  }

  private scriptFile(text: string): string {
    const file = path.join(this.input.workDir, `step-${++this.scriptCount}.sh`);
    writeFileSync(file, hostPrograms(text), { mode: 0o700 });
    return file;
  }

  private env(svc: NixosServiceFacts, name: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(svc.environment)) if (v !== null) env[k] = v;
    for (const assignment of listOf(svc.serviceConfig.Environment)) {
      for (const word of shellWords(assignment)) {
        const eq = word.indexOf("=");
        if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1).replace(/%n/g, `${name}.service`);
      }
    }
    return env;
  }

  /** Runs a step script (bash -e, as NixOS writes them); returns an error text or undefined. */
  private async step(label: string, text: string, env: NodeJS.ProcessEnv, timeoutS: number, errexit = true): Promise<string | undefined> {
    if (!text.trim()) return undefined;
    const ran = await run("bash", [...(errexit ? ["-e"] : []), this.scriptFile(text)], { env, timeoutMs: Math.min(timeoutS, START_CAP_S) * 1000 });
    if (ran.timedOut) return `${label} timed out after ${(ran.ms / 1000).toFixed(1)}s: ${tail(ran.stdout + ran.stderr)}`;
    if (ran.code !== 0) return `${label} exited ${ran.code}: ${tail(ran.stderr || ran.stdout)}`;
    return undefined;
  }

  /** The stub file an ExecStartPre store path names. */
  private execFile(command: string): { text: string; ignoreFailure: boolean } {
    const ignoreFailure = command.startsWith("-");
    const store = command.replace(/^[-@+!:]+/, "").split(" ")[0]!;
    const file = Object.values(this.input.files).find((f) => store === f.path || store.startsWith(`${f.path}/`));
    if (!file) throw new Error(`ExecStartPre ${command}: no recorded file for it`);
    return { text: file.text, ignoreFailure };
  }

  async start(): Promise<void> {
    for (const name of this.order) {
      const state = this.units.get(name)!;
      const svc = this.input.services[name]!;
      const failedDep = [...svc.requires, ...svc.bindsTo, ...svc.requisite].map(unitName).find((d) => this.units.has(d) && this.units.get(d)!.state !== "active");
      if (failedDep) {
        state.state = "dependency-failed";
        state.message = `not started: required unit ${failedDep} is ${this.units.get(failedDep)!.state}`;
        this.input.log(`  ${name}: ${state.message}`);
        continue;
      }
      if (this.input.beforeStart) await this.input.beforeStart(name);
      await this.startUnit(state, svc);
      const took = ((Date.now() - state.startedAt!) / 1000).toFixed(1);
      this.input.log(`  ${name}: ${state.state} (${took} s)${state.message ? `: ${state.message}` : ""}`);
    }
  }

  private async startUnit(state: UnitState, svc: NixosServiceFacts): Promise<void> {
    const { runtime } = this.input;
    const sc = svc.serviceConfig;
    const name = state.name;
    const env = this.env(svc, name);
    const type = String(sc.Type ?? "simple");
    const timeoutStart = Math.min(timeSpan(sc.TimeoutStartSec, type === "oneshot" ? Infinity : 90), START_CAP_S);
    state.startedAt = Date.now();
    state.state = "activating";

    for (const dir of listOf(sc.RuntimeDirectory).flatMap((d) => d.split(/\s+/)).filter(Boolean)) {
      const full = path.join("/run", dir);
      if (!existsSync(full)) {
        mkdirSync(full, { recursive: true, mode: 0o755 });
        state.createdDirs.push(full);
      }
    }
    for (const command of listOf(sc.ExecStartPre)) {
      const { text, ignoreFailure } = this.execFile(command);
      const error = await this.step("ExecStartPre", text, env, timeoutStart, false);
      if (error && !ignoreFailure) return this.failStart(state, svc, env, error);
    }
    const preError = await this.step("preStart", svc.preStart, env, timeoutStart);
    if (preError) return this.failStart(state, svc, env, preError);

    let script = svc.script;
    let healthyStandIn = false;
    if (state.container) {
      const words = shellWords(script);
      const c = this.input.containers[state.container]!;
      const imageIndex = words.length - c.cmd.length - 1;
      if (words[imageIndex] !== c.image) throw new Error(`${name}: cannot find image ${c.image} in ${JSON.stringify(words)}`);
      const sub = substituteRunLine(runtime, words, imageIndex);
      healthyStandIn = sub.healthyStandIn;
      script = sub.words.map((w, i) => (i === 0 && w === "exec" ? w : q(w))).join(" ");
      state.runLine = words.map(q).join(" ");
    } else {
      // a network or volume unit: the engine command it generated, for a failure's message
      state.runLine = script.split("\n").find((line) => / (network|volume) create /.test(line))?.trim();
    }

    if (type === "oneshot") {
      const error = await this.step("script", script, env, timeoutStart);
      if (error) return this.failStart(state, svc, env, error);
    } else {
      let notify: Background | undefined;
      let ready: Promise<boolean> | undefined;
      if (type === "notify") {
        const socketPath = path.join(this.input.workDir, `notify-${this.scriptCount}.sock`);
        notify = background(PYTHON, ["-c", NOTIFY_LISTENER, socketPath], process.env);
        ready = new Promise((resolve) => {
          let buffer = "";
          notify!.child.stdout!.on("data", (d: Buffer) => {
            buffer += d.toString();
            if (buffer.includes('"READY=1') || /\\nREADY=1/.test(buffer)) resolve(true);
          });
          void notify!.exited.then(() => resolve(false));
        });
        for (let i = 0; i < 500 && !notify.output().includes("BOUND") && !notify.exit; i++) await sleep(20);
        if (!notify.output().includes("BOUND")) return this.failStart(state, svc, env, `could not bind NOTIFY_SOCKET: ${notify.output()}`);
        env.NOTIFY_SOCKET = socketPath;
        if (healthyStandIn) state.health = this.healthLoop(state, socketPath, timeoutStart);
      }
      state.main = background("bash", ["-e", this.scriptFile(script)], env);
      if (state.container && !state.health && runtime === "podman" && /--health-cmd/.test(script)) state.health = this.healthLoop(state, undefined, timeoutStart);
      const deadline = state.startedAt + timeoutStart * 1000;
      if (type === "notify") {
        const outcome = await Promise.race([
          ready!.then((ok) => (ok ? "ready" : "listener died")),
          state.main.exited.then((e) => (e.code === 0 ? new Promise<string>(() => {}) : `exited ${e.code ?? e.signal}`)),
          sleep(Math.max(0, deadline - Date.now())).then(() => "timeout"),
        ]);
        notify!.child.kill();
        if (outcome !== "ready") {
          const elapsed = ((Date.now() - state.startedAt) / 1000).toFixed(1);
          const why = outcome === "timeout" ? `no READY=1 within TimeoutStartSec=${timeoutStart}s (gave up after ${elapsed}s${state.health ? `; health: ${state.health && (await this.healthStatus(state.container!))}` : ""})` : `main process ${outcome} before READY=1: ${tail(state.main.output())}`;
          return this.failStart(state, svc, env, why);
        }
      } else if (state.container) {
        // Type=simple: wait (bounded) until the container exists or the client exits.
        for (;;) {
          if (state.main.exit) return this.failStart(state, svc, env, `main process exited ${state.main.exit.code ?? state.main.exit.signal}: ${tail(state.main.output())}`);
          const inspected = await run(runtime, ["container", "inspect", "--format", "{{.State.Status}}", state.container], { timeoutMs: 10_000 });
          if (inspected.code === 0) break;
          if (Date.now() > state.startedAt + 30_000) return this.failStart(state, svc, env, `container did not appear within 30 s: ${tail(state.main.output())}`);
          await sleep(200);
        }
      }
    }
    state.postStartAt = Date.now();
    // systemd fails the unit when its main process dies while ExecStartPost runs
    const main = state.main;
    const mainDied = main && type === "simple" ? main.exited.then((e) => (e.code === 0 ? new Promise<string>(() => {}) : `main process exited ${e.code ?? e.signal} during postStart: ${tail(main.output())}`)) : new Promise<string>(() => {});
    const postError = await Promise.race([this.step("postStart", svc.postStart, env, timeoutStart), mainDied]);
    if (postError) return this.failStart(state, svc, env, postError);
    state.state = "active";
    state.activeAt = Date.now();
  }

  private async healthStatus(container: string): Promise<string> {
    const ran = await run(this.input.runtime, ["inspect", "--format", "{{.State.Health.Status}}", container], { timeoutMs: 10_000 });
    return ran.code === 0 ? ran.stdout.trim() : `unknown (${tail(ran.stderr, 1)})`;
  }

  /** podman only: `podman healthcheck run` at start and every interval; READY=1 once healthy when standing in for sdnotify=healthy. */
  private healthLoop(state: UnitState, notifySocket: string | undefined, _timeoutS: number): HealthLoop {
    let stopped = false;
    const words = shellWords(this.input.services[state.name]!.script);
    const intervalFlag = words.find((w) => w.startsWith("--health-interval="))?.slice("--health-interval=".length);
    const intervalMs = durationMs(intervalFlag, 30_000);
    const loop: HealthLoop = { stop: () => (stopped = true), done: Promise.resolve() };
    loop.done = (async () => {
      // wait for the container to exist
      while (!stopped) {
        const ran = await run("podman", ["container", "exists", state.container!], { timeoutMs: 10_000 });
        if (ran.code === 0) break;
        await sleep(200);
      }
      while (!stopped) {
        await run("podman", ["healthcheck", "run", state.container!], { timeoutMs: 60_000 });
        if (loop.healthyAt === undefined && (await this.healthStatus(state.container!)) === "healthy") {
          loop.healthyAt = Date.now();
          if (notifySocket) await run(PYTHON, ["-c", NOTIFY_SEND, notifySocket, "READY=1"], { timeoutMs: 10_000 });
        }
        const until = Date.now() + intervalMs;
        while (!stopped && Date.now() < until) await sleep(100);
      }
    })();
    return loop;
  }

  private async failStart(state: UnitState, svc: NixosServiceFacts, env: NodeJS.ProcessEnv, message: string): Promise<void> {
    state.state = "failed";
    state.message = message;
    state.failedAt = Date.now();
    // systemd: ExecStop runs only after a successful start; ExecStopPost always
    await this.stopUnit(state, svc, env, false);
  }

  async stop(): Promise<void> {
    for (const name of [...this.order].reverse()) {
      const state = this.units.get(name)!;
      if (state.state !== "active") continue;
      const svc = this.input.services[name]!;
      await this.stopUnit(state, svc, this.env(svc, name));
      state.state = "inactive";
      this.input.log(`  stop ${name}: ${state.stopProblems.length ? state.stopProblems.join("; ") : "ok"}`);
    }
  }

  private async stopUnit(state: UnitState, svc: NixosServiceFacts, env: NodeJS.ProcessEnv, started = true): Promise<void> {
    const timeoutStop = Math.min(timeSpan(svc.serviceConfig.TimeoutStopSec, 90), STOP_CAP_S);
    if (state.health) {
      state.health.stop();
      await state.health.done;
    }
    if (started) {
      const error = await this.step("preStop", svc.preStop, env, timeoutStop);
      if (error) state.stopProblems.push(error);
    }
    if (state.main && !state.main.exit) {
      state.main.child.kill("SIGTERM");
      await Promise.race([state.main.exited, sleep(timeoutStop * 1000)]);
      if (!state.main.exit) {
        state.stopProblems.push(`main process still running ${timeoutStop}s after SIGTERM; killed`);
        state.main.child.kill("SIGKILL");
        await state.main.exited;
      }
    }
    const error = await this.step("postStop", svc.postStop, env, timeoutStop);
    if (error && started) state.stopProblems.push(error);
    for (const dir of state.createdDirs) rmSync(dir, { recursive: true, force: true });
  }
}
