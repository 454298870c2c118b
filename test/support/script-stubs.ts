// Runs unit scripts (what NixOS would put in ExecStart/ExecStartPre/...) with bash against stub
// `podman`, `docker`, `seq`, `sleep` and `mkdir` commands that only record their argv (and stdin,
// when a build reads a Dockerfile from it), so a test can see exactly which arguments a script
// passes, and that nothing else ran.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface RecordedCall {
  /** the stub's name: podman, docker, seq, sleep or mkdir */
  command: string;
  args: string[];
  /** what it read on stdin (only `build ... --file=-` reads it) */
  stdin?: string;
}

// Every call is appended to $KHEPRI_STUB_LOG as NUL-separated fields:
//   CALL <command> <argc> <args...> <stdin-or-"-"> <stdin text>
// The stub answers like a healthy runtime: `inspect --format` prints "healthy", `wait` prints 0,
// `<object> inspect` fails (so an `inspect || create` script goes on to create), seq prints 1.
const STUB = `#!/bin/bash
cmd=$(basename "$0")
{
  printf 'CALL\\0%s\\0%s\\0' "$cmd" "$#"
  for a in "$@"; do printf '%s\\0' "$a"; done
  if [ "$cmd" != seq ] && [ "$cmd" != sleep ] && [ "$cmd" != mkdir ] && printf '%s\\n' "$@" | grep -qx -- '--file=-'; then
    printf 'STDIN\\0'; cat; printf '\\0'
  else
    printf -- '-\\0\\0'
  fi
} >> "$KHEPRI_STUB_LOG"
case "$cmd" in
  seq) echo 1; exit 0 ;;
  sleep|mkdir) exit 0 ;;
esac
case "$1" in
  inspect) for a in "$@"; do case "$a" in --format*) echo healthy; exit 0 ;; esac; done; exit 1 ;;
  wait) echo 0; exit 0 ;;
esac
case "$2" in
  inspect|exists) exit 1 ;;
esac
exit 0
`;

export const STUBBED = ["podman", "docker", "seq", "sleep", "mkdir"] as const;

/** Writes the stubs into `dir`/bin and returns that directory. */
export function writeStubs(dir: string): string {
  const bin = path.join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const name of STUBBED) {
    const file = path.join(bin, name);
    writeFileSync(file, STUB);
    chmodSync(file, 0o755);
  }
  return bin;
}

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `text` as NixOS runs a unit's script (`bash -e`), in `cwd`, with the stubs first on PATH.
 * Calls are appended to `log`.
 */
export function runScript(text: string, opts: { cwd: string; stubBin: string; log: string; file: string }): ScriptRun {
  writeFileSync(opts.file, text);
  const run = spawnSync("/bin/bash", ["-e", opts.file], {
    cwd: opts.cwd,
    encoding: "utf8",
    timeout: 20_000,
    env: { PATH: `${opts.stubBin}:/usr/bin:/bin`, KHEPRI_STUB_LOG: opts.log, HOME: opts.cwd, LANG: "C.UTF-8" },
  });
  return { status: run.status, stdout: run.stdout ?? "", stderr: (run.stderr ?? "") + (run.error ? String(run.error) : "") };
}

/** The calls recorded in `log`. */
export function readCalls(log: string): RecordedCall[] {
  if (!existsSync(log)) return [];
  const fields = readFileSync(log, "utf8").split("\0");
  const calls: RecordedCall[] = [];
  let i = 0;
  while (i < fields.length - 1) {
    if (fields[i] !== "CALL") throw new Error(`stub log out of step at field ${i}: ${JSON.stringify(fields[i])}`);
    const command = fields[i + 1]!;
    const argc = Number(fields[i + 2]);
    const args = fields.slice(i + 3, i + 3 + argc);
    const marker = fields[i + 3 + argc];
    const stdin = fields[i + 4 + argc]!;
    calls.push(marker === "STDIN" ? { command, args, stdin } : { command, args });
    i += 5 + argc;
  }
  return calls;
}
