// Running host commands for the engine stage: async (health checks and units run side by side),
// every run bounded by a timeout, output captured for the report.
import { spawn, type ChildProcess } from "node:child_process";

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  timeoutMs?: number;
  cwd?: string;
}

/** Runs `cmd args` to completion (or kills it after timeoutMs). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      stderr += String(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** A long-running process (a unit's main process) whose exit can be awaited. */
export interface Background {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** set once it has exited */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

export function background(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Background {
  const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: false });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const bg: Background = {
    child,
    output: () => out,
    exited: new Promise((resolve) => {
      child.on("error", (e) => {
        out += String(e);
      });
      child.on("close", (code, signal) => {
        bg.exit = { code, signal };
        resolve({ code, signal });
      });
    }),
  };
  return bg;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The last lines of a command's output, for a failure message. */
export function tail(text: string, lines = 8): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}
