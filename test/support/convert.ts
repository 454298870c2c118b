// Runs the khepri CLI in-process through `main(io)`, the way a user's shell would run the bundle:
// given argv, a working directory and an environment, it returns the exit code and what was written
// to stdout and stderr. An exception escaping `main` is what a user would see as a Node stack trace;
// it is caught here and reported as `crashed` (exit code 1, the stack appended to stderr).
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../../src/cli/main.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** the exception that escaped main(), if any (a user would see a stack trace) */
  crashed?: unknown;
}

export interface CliOptions {
  cwd: string;
  /** the process environment the CLI sees; empty by default so the developer's shell cannot leak in */
  env?: Record<string, string | undefined>;
}

export function runCli(argv: readonly string[], opts: CliOptions): CliResult {
  let stdout = "";
  let stderr = "";
  try {
    const code = main({
      argv,
      env: opts.env ?? {},
      cwd: opts.cwd,
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
    });
    return { code, stdout, stderr };
  } catch (error) {
    const stack = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    return { code: 1, stdout, stderr: stderr + stack + "\n", crashed: error };
  }
}

/** A fresh directory under the system temp dir; remove it with removeDir. */
export function makeTempDir(prefix = "khepri-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Copies the regular files directly in `fromDir` (a compose file and its .env and other siblings) into `toDir`. */
export function copySiblings(fromDir: string, toDir: string): void {
  for (const name of readdirSync(fromDir)) {
    const from = path.join(fromDir, name);
    if (statSync(from).isFile()) cpSync(from, path.join(toDir, name));
  }
}

/** A Node stack frame ("    at fn (file:1:2)") anywhere in the text. */
export const STACK_FRAME = /^\s+at .+[(:]\d+/m;

/**
 * The one-line located error the CLI must print for bad input:
 * `error: <file>:<line>:<col>: <key.path>: <message>`.
 */
export const LOCATED_ERROR =
  /^error: (?<file>[^\n:]+):(?<line>\d+):(?<col>\d+): (?<path>(?:[A-Za-z0-9_-]+|\["(?:[^"\\]|\\.)*"\])(?:\.[A-Za-z0-9_-]+|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*): (?<message>[^\n]+)$/;

/** An error about a whole file: a position, no key path. */
export const FILE_ERROR = /^error: (?<file>[^\n:]+):(?<line>\d+):(?<col>\d+): (?<message>[^\n]+)$/;

/** The error lines ("error: ...") of a stderr text; notes and warnings are left out. */
export const errorLines = (stderr: string): string[] => stderr.split("\n").filter((l) => l.startsWith("error:"));
