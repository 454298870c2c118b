// Random strings through the printer, read back by the real Nix evaluator in ONE
// nix-instantiate call: values ("..." and ''...'' forms), attribute names, strings
// with interpolations, and single-line strings forced into a multi-line context.
// `--store dummy://` because evaluating plain strings needs no store, and without it
// a non-root user would need the nix daemon.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { attrs, binding, interp, isMultiline, let_, list, printNix, ref, str, int } from "../src/print/nix/index.ts";
import type { Binding, Expr } from "../src/print/nix/index.ts";
import { skipUnless } from "./support/shared.ts";
import { prng } from "./support/prng.ts";

const COUNT = 3000;
const SEED = Number(process.env.KHEPRI_SEED ?? 0x5eed);
const MARKER = "@X@"; // what the interpolated variable evaluates to

// Heavy in the characters the two string syntaxes treat specially.
const PIECES = [
  '"', "\\", "$", "{", "}", "'", "''", "'''", "${", "$${", "''${", "''$", "''\\", "\\${", "$\\",
  "\n", "\n", "\n", "\r", "\r\n", "\t", "\n\t", " ", "  ", "\n ", "\n  ", "\n    ", "\n \n",
  "é", "💥", "中文", "e\u0301", "\u200b", "\u0001", "\u007f", "\u001b", "\u202e", "\u0085", "\ufeff", "#", ";", "=", "a", "x", "foo", "bar baz", "-", ".",
];

function randomString(rand: () => number): string {
  const n = Math.floor(rand() * 12);
  let s = "";
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)]!;
  return s;
}

// Hand-picked corners of the indented-string rules, always included.
const EDGES = [
  "", " ", "\n", " \n", "\n ", "a\n ", "a\n  ", "\n\n", "  a\n  b", "  a\n  b\n", " \n a\n", "'", "''", "'''", "''''",
  "$", "${", "$${", "a'", "a\n'", "a\n$", "a\n${b}", "\t\n", "\ta\n\tb", "\r", "a\r\nb\r\n", "''\\n", "'$", "'${",
  "x\n  ''", "  \n  ", "\n  x", "'\n'", "$'\n'$",
  // invisible and control characters, written as interpolations: next to `$` and `'`
  "$\u202e", "a\n$\u202e", "'\u200b", "a\n'\u200b", "\u001b[31m", "''\u001b",
  // a soft hyphen, and tag characters (two UTF-16 units, written as one escape of both)
  "\u00ad", "\u{e0041}", "$\u{e0041}", "a\n$\u{e007f}", "'\u{e0041}'",
];

// Nix coerces sets with these names when printing JSON; they are not what is under test.
const SPECIAL_NAMES = new Set(["__toString", "outPath", "__functor"]);

interface Case {
  what: string;
  input: string;
}

function buildCases(): { cases: Case[]; names: string[]; interps: [string, string][] } {
  const rand = prng(SEED);
  const raw = [...EDGES];
  while (raw.length < COUNT) raw.push(randomString(rand));
  const cases: Case[] = [];
  for (const s of raw) {
    cases.push({ what: "value", input: s });
    // Force single-line values into the '' form too.
    cases.push({ what: "after a line", input: "first line\n" + s });
    cases.push({ what: "before a newline", input: s + "\n" });
    cases.push({ what: "indented block", input: "  if x; then\n" + s + "\n  fi\n" });
  }
  const names = [...new Set(raw)].filter((s) => !SPECIAL_NAMES.has(s));
  const interps: [string, string][] = raw.map((s, i) => [s, raw[(i * 7 + 3) % raw.length]!]);
  return { cases, names, interps };
}

function buildFile(cases: Case[], names: string[], interps: [string, string][]): string {
  const body = attrs([
    binding("values", list(cases.map((c) => str(c.input)))),
    binding("names", attrs(names.map((n, i): Binding => ({ key: n, value: int(i) })))),
    binding("interps", list(interps.map(([a, b]): Expr => interp([a, ref("x"), b])))),
  ]);
  return printNix(let_([binding("x", str(MARKER))], body));
}

const hasNix = spawnSync("nix-instantiate", ["--version"], { encoding: "utf8" }).status === 0;
const skip = skipUnless(hasNix, "nix string round-trip", "nix-instantiate not found (apt-get install nix-bin)");

(skip ? test.skip : test)(`${COUNT} random strings read back byte-identical (seed ${SEED})`, () => {
  const { cases, names, interps } = buildCases();
  assert.ok(cases.some((c) => isMultiline(str(c.input))), "exercises the '' form");
  assert.ok(cases.some((c) => !isMultiline(str(c.input))), "exercises the \"...\" form");

  const source = buildFile(cases, names, interps);
  assert.is(buildFile(cases, names, interps), source, "printing is deterministic");

  const dir = mkdtempSync(path.join(tmpdir(), "khepri-nix-rt-"));
  try {
    const file = path.join(dir, "strings.nix");
    writeFileSync(file, source);
    const run = spawnSync("nix-instantiate", ["--store", "dummy://", "--eval", "--strict", "--json", file], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    assert.is(run.status, 0, `nix-instantiate failed (file kept at ${file}):\n${run.stderr}`);
    const got = JSON.parse(run.stdout) as { values: string[]; names: Record<string, number>; interps: string[] };

    const bad: string[] = [];
    const report = (what: string, input: unknown, expected: unknown, actual: unknown): void => {
      if (bad.length < 5) bad.push(`${what}: input ${JSON.stringify(input)} expected ${JSON.stringify(expected)} got ${JSON.stringify(actual)}`);
    };
    cases.forEach((c, i) => {
      if (got.values[i] !== c.input) report(c.what, c.input, c.input, got.values[i]);
    });
    assert.is(Object.keys(got.names).length, names.length, "attribute count");
    names.forEach((n, i) => {
      if (got.names[n] !== i) report("attribute name", n, i, Object.hasOwn(got.names, n) ? got.names[n] : "(missing)");
    });
    interps.forEach(([a, b], i) => {
      if (got.interps[i] !== a + MARKER + b) report("interpolation", [a, b], a + MARKER + b, got.interps[i]);
    });
    if (bad.length > 0) {
      const keep = path.join(tmpdir(), `khepri-nix-rt-failure-${SEED}.nix`);
      writeFileSync(keep, source);
      assert.unreachable(`round-trip mismatches (seed ${SEED}, file ${keep}):\n${bad.join("\n")}`);
    }
    console.log(`nix round-trip: ${cases.length} values, ${names.length} names, ${interps.length} interpolated strings OK`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
