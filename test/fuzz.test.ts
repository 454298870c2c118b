// A seeded fuzz test (issues 13 and 14): real compose files from ../shared/corpus and JSON specs made
// from them, mutated a few thousand times (text edits and hostile strings), converted in-process,
// and a smaller number through the built CLI in a child process with a heap limit. Every run must
// end in exit 0 or one located error (exit 1): never an internal error or a stack trace, never an
// output file after a failure, and within a time and memory bound.
//
//   KHEPRI_FUZZ_CASES=20000 KHEPRI_FUZZ_SEED=7 node scripts/test.mjs fuzz
//
// A failure prints the seed, the case number and the mutation; the input is kept in a temp dir.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { copySiblings, runCli, STACK_FRAME } from "./support/convert.ts";
import { BASE_ENV, corpusCases, corpusDir, defaultArgs, haveCorpus } from "./support/corpus.ts";
import { prng } from "./support/prng.ts";

const CASES = Number(process.env.KHEPRI_FUZZ_CASES ?? 3000);
const CLI_CASES = Math.max(10, Math.round(CASES / 75));
const SEED = Number(process.env.KHEPRI_FUZZ_SEED ?? 0x6b68);
/** Per case: far above any real conversion (a few ms to tens of ms here), far below a hang or an alias bomb. */
const TIME_LIMIT_MS = Number(process.env.KHEPRI_FUZZ_TIME_LIMIT_MS ?? 5000);
/** The in-process heap after a case, and the child's heap limit (--max-old-space-size, in MB). */
const HEAP_LIMIT_MB = 1024;
const CHILD_HEAP_MB = 256;
const bundle = path.resolve("dist/khepri.cjs");

/** Hostile pieces: control, bidi and NUL characters, YAML and interpolation syntax, nesting, aliases and tags. */
const HOSTILE = [
  "\0", "\\0", "\\u0000", "\u202e", "\u200b", "\x1b[31m", "\r", "\t", "\n", "\n  - ", ": ", ":", "- ", "'", '"', "#",
  "${", "${A:-${B:-${C", "}", "$$", "${UNSET:?boom}", "$", "*a", "&a ", "<<: *a", "!!pairs [a: 1]", "!!omap [a: 1]",
  "!!set {a}", "!reset", "!override", "!!binary aGk=", "[", "]", "{", "}", "[".repeat(200), "{a: ".repeat(150),
  "---\n", "...\n", "__proto__", "constructor", "x".repeat(5000), "99999999999999999999", "-1", "0x10", "1e400",
  "null", "~", "true", "yes", "/dev/zero", "../../../../etc/passwd", "\\", "\ufeff", "\udc00",
];

interface Seed {
  name: string;
  dir: string;
  file: string;
  text: string;
  args: string[];
  spec: boolean;
}

/** One mutation of `text`: what was done and the result. */
function mutate(text: string, rand: () => number, spec: boolean): { what: string; text: string } {
  const at = () => Math.floor(rand() * (text.length + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  switch (Math.floor(rand() * (spec ? 7 : 6))) {
    case 0: {
      const i = at();
      const piece = pick(HOSTILE);
      return { what: `insert ${JSON.stringify(piece.slice(0, 40))} at ${i}`, text: text.slice(0, i) + piece + text.slice(i) };
    }
    case 1: {
      const i = at();
      const n = Math.floor(rand() * 40);
      return { what: `delete ${n} at ${i}`, text: text.slice(0, i) + text.slice(i + n) };
    }
    case 2: {
      const i = at();
      const n = Math.floor(rand() * 200);
      const times = 1 + Math.floor(rand() * 3);
      return { what: `repeat ${n} at ${i} ${times}x`, text: text.slice(0, i) + text.slice(i, i + n).repeat(times + 1) + text.slice(i + n) };
    }
    case 3: {
      const lines = text.split("\n");
      const i = Math.floor(rand() * lines.length);
      const j = Math.floor(rand() * lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return { what: `swap lines ${i + 1} and ${j + 1}`, text: lines.join("\n") };
    }
    case 4: {
      const lines = text.split("\n");
      const i = Math.floor(rand() * lines.length);
      const shift = pick([" ", "  ", "    ", "\t"]);
      lines[i] = rand() < 0.5 ? shift + lines[i] : lines[i]!.replace(/^ {1,2}/, "");
      return { what: `indent line ${i + 1}`, text: lines.join("\n") };
    }
    case 5: {
      const i = at();
      const piece = pick(HOSTILE);
      return { what: `replace 1 at ${i} with ${JSON.stringify(piece.slice(0, 40))}`, text: text.slice(0, i) + piece + text.slice(i + 1) };
    }
    default: {
      // a JSON value replaced by a hostile one, keeping the JSON valid
      const values = [...text.matchAll(/: ("(?:[^"\\]|\\.)*"|-?\d+|true|false|null|\[\]|\{\})/g)];
      if (!values.length) return { what: "none", text };
      const m = pick(values);
      const piece = JSON.stringify(pick(HOSTILE));
      const i = m.index! + 2;
      return { what: `JSON value at ${i} -> ${piece.slice(0, 40)}`, text: text.slice(0, i) + piece + text.slice(i + m[1]!.length) };
    }
  }
}

/** The corpus's compose files that load (each with its siblings, in a directory of its own), and a JSON spec made from each of a few. */
function seeds(root: string): Seed[] {
  const out: Seed[] = [];
  for (const c of corpusCases) {
    if (c.expectation.kind !== "loads") continue;
    const dir = path.join(root, `seed-${out.length}`);
    mkdirSync(dir);
    copySiblings(path.join(corpusDir, path.dirname(c.rel)), dir);
    const text = readFileSync(path.join(corpusDir, c.rel), "utf8");
    out.push({ name: c.rel, dir, file: "fuzz.yaml", text, args: ["-f", "fuzz.yaml", ...defaultArgs(c.rel)], spec: false });
  }
  for (const compose of out.filter((_, i) => i % 4 === 0)) {
    const r = runCli(["convert", "-q", "--format", "json", "-f", path.join(corpusDir, compose.name), ...defaultArgs(compose.name), "-o", "-"], { cwd: path.join(corpusDir, path.dirname(compose.name)), env: BASE_ENV });
    if (r.code !== 0) continue;
    out.push({ name: `${compose.name} as a spec`, dir: compose.dir, file: "fuzz.json", text: r.stdout, args: ["--spec", "fuzz.json"], spec: true });
  }
  return out;
}

/** What is wrong with one run, or undefined. */
function problem(code: number | null, stderr: string, crashed: unknown, outputExists: boolean, ms: number): string | undefined {
  if (crashed !== undefined) return `exception escaped main: ${String(crashed).slice(0, 200)}`;
  if (code !== 0 && code !== 1) return `exit ${code}`;
  if (/internal error/.test(stderr)) return "internal error";
  if (STACK_FRAME.test(stderr)) return "stack trace";
  const errors = stderr.split("\n").filter((l) => l.startsWith("error:"));
  if (code === 1 && errors.length !== 1) return `exit 1 with ${errors.length} error lines`;
  const unplaced = errors.find((l) => !/^error: [^\n:]+:\d+:\d+: /.test(l));
  if (unplaced) return `an error without file:line:col: ${unplaced.slice(0, 200)}`;
  if (code === 1 && outputExists) return "an output file after a failure";
  if (ms > TIME_LIMIT_MS) return `took ${Math.round(ms)} ms (limit ${TIME_LIMIT_MS})`;
  return undefined;
}

if (!haveCorpus) {
  test("fuzz", () => console.log("SKIP fuzz: ../shared/corpus is missing"));
} else {
  const root = mkdtempSync(path.join(tmpdir(), "khepri-fuzz-"));
  const all = seeds(root);
  const failures: string[] = [];
  /** Keeps a failing input for a look at it later, and says where. */
  const keep = (seed: Seed, text: string, n: number) => {
    const file = path.join(tmpdir(), `khepri-fuzz-failure-${SEED}-${n}${path.extname(seed.file)}`);
    writeFileSync(file, text);
    return file;
  };

  test(`fuzz: ${CASES} mutated compose files and specs in-process (seed ${SEED})`, () => {
    const rand = prng(SEED);
    let errors = 0;
    for (let n = 0; n < CASES && failures.length < 5; n++) {
      const seed = all[Math.floor(rand() * all.length)]!;
      let mutated = { what: "", text: seed.text };
      // mostly one mistake, so that most cases get past the reader into the later stages
      const steps = rand() < 0.7 ? 1 : 2 + Math.floor(rand() * 2);
      const whats: string[] = [];
      for (let k = 0; k < steps; k++) {
        mutated = mutate(mutated.text, rand, seed.spec);
        whats.push(mutated.what);
      }
      writeFileSync(path.join(seed.dir, seed.file), mutated.text);
      const output = path.join(seed.dir, "out.nix");
      rmSync(output, { force: true });
      const started = performance.now();
      const r = runCli(["convert", "-q", ...seed.args, "-o", "out.nix"], { cwd: seed.dir, env: BASE_ENV });
      const ms = performance.now() - started;
      if (r.code === 1) errors++;
      const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
      const wrong = problem(r.code, r.stderr, r.crashed, existsSync(output), ms) ?? (heapMb > HEAP_LIMIT_MB ? `heap at ${Math.round(heapMb)} MB` : undefined);
      if (wrong) failures.push(`case ${n} (${seed.name}; ${whats.join("; ")}): ${wrong}\n  input kept in ${keep(seed, mutated.text, n)}\n  ${r.stderr.split("\n").slice(0, 3).join("\n  ")}`);
    }
    console.log(`fuzz: ${CASES} cases from ${all.length} seeds, ${errors} ended in a located error`);
    assert.equal(failures, []);
  });

  test(`fuzz: ${CLI_CASES} mutated files through the built CLI (exit codes, ${CHILD_HEAP_MB} MB heap)`, () => {
    if (!existsSync(bundle)) return void console.log(`SKIP fuzz through the CLI: ${bundle} is missing (run node scripts/build.mjs)`);
    const rand = prng(SEED ^ 0x5a5a);
    const cliFailures: string[] = [];
    for (let n = 0; n < CLI_CASES && cliFailures.length < 3; n++) {
      const seed = all[Math.floor(rand() * all.length)]!;
      const mutated = mutate(seed.text, rand, seed.spec);
      writeFileSync(path.join(seed.dir, seed.file), mutated.text);
      const output = path.join(seed.dir, "out.nix");
      rmSync(output, { force: true });
      const started = performance.now();
      const r = spawnSync(process.execPath, [`--max-old-space-size=${CHILD_HEAP_MB}`, "--", bundle, "convert", "-q", ...seed.args, "-o", "out.nix"], {
        cwd: seed.dir,
        env: { ...BASE_ENV, PATH: process.env.PATH ?? "" },
        encoding: "utf8",
        timeout: TIME_LIMIT_MS * 4,
      });
      // (a child's time includes node's start: the limit is the in-process one, four times over)
      const wrong = r.signal ? `killed by ${r.signal} (time or memory)` : problem(r.status, r.stderr, undefined, existsSync(output), performance.now() - started - 3 * TIME_LIMIT_MS);
      if (wrong) cliFailures.push(`CLI case ${n} (${seed.name}; ${mutated.what}): ${wrong}\n  input kept in ${keep(seed, mutated.text, 100_000 + n)}\n  ${r.stderr.split("\n").slice(0, 3).join("\n  ")}`);
    }
    assert.equal(cliFailures, []);
  });

  test.after(() => rmSync(root, { recursive: true, force: true }));
}

test.run();
