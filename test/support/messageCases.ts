// Fixture directories whose stderr is what is tested: each holds the files of one stack and a
// case.json saying how khepri is run and what its messages must (and must not) say. Every case
// also checks what holds for all messages: no canary value (a secret, `CNRY…`) and no raw control
// or invisible character on any line.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as assert from "uvu/assert";
import { runCli, removeDir, STACK_FRAME, type CliResult } from "./convert.ts";

export interface MessageCase {
  about: string;
  /** khepri's arguments; `convert -o -` by default. */
  argv?: string[];
  env?: Record<string, string>;
  exit?: number;
  /** Patterns each matched by a line of stderr. */
  lines?: string[];
  /** Patterns no line of stderr matches. */
  absent?: string[];
  /** How many lines of stderr match a pattern: `[pattern, count]`. */
  counts?: [string, number][];
  /** Patterns the generated module (stdout) matches. */
  module?: string[];
}

/** Runs the case in a copy of its directory (so no output lands in the repository). */
export function runMessageCase(dir: string, c: MessageCase): CliResult {
  const work = mkdtempSync(path.join(tmpdir(), "khepri-msg-"));
  try {
    cpSync(dir, work, { recursive: true });
    return runCli(c.argv ?? ["convert", "-o", "-"], { cwd: work, env: c.env ?? {} });
  } finally {
    removeDir(work);
  }
}

/** Control characters (but the newline ending each line), bidi controls and zero-width characters. */
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const CANARY = /CNRY/i;

export function checkMessages(r: CliResult, c: MessageCase): void {
  assert.is(r.crashed, undefined, r.stderr);
  assert.not.match(r.stderr, STACK_FRAME);
  assert.is(r.code, c.exit ?? 0, r.stderr);
  const lines = r.stderr.split("\n");
  for (const line of lines) {
    assert.not.match(line, CANARY, `a canary value in a message: ${line}`);
    assert.not.match(line, UNPRINTABLE, `a raw control character in a message: ${JSON.stringify(line)}`);
    assert.ok(line.length <= 1200, `a message line of ${line.length} characters`);
  }
  for (const pattern of c.lines ?? []) assert.ok(lines.some((l) => new RegExp(pattern).test(l)), `no line of stderr matches ${pattern}:\n${r.stderr}`);
  for (const pattern of c.absent ?? []) assert.not.ok(lines.some((l) => new RegExp(pattern).test(l)), `a line of stderr matches ${pattern}:\n${r.stderr}`);
  for (const [pattern, count] of c.counts ?? []) {
    assert.is(lines.filter((l) => new RegExp(pattern).test(l)).length, count, `lines matching ${pattern}:\n${r.stderr}`);
  }
  for (const pattern of c.module ?? []) assert.match(r.stdout, new RegExp(pattern));
}

/** The case directories under `root` (each with a case.json). */
export function messageCaseDirs(root: string): { name: string; dir: string; case: MessageCase }[] {
  return readdirSync(root)
    .filter((name) => existsSync(path.join(root, name, "case.json")))
    .sort()
    .map((name) => ({ name, dir: path.join(root, name), case: JSON.parse(readFileSync(path.join(root, name, "case.json"), "utf8")) as MessageCase }));
}
