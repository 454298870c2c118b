// The fast paths against what they stand in for (see `npm run bench`):
// - the zod stand-ins' compiled checkers (src/model/z.ts) against real zod on the corpus and on seeded
//   mutations of it: what the checkers accept, zod accepts, with the same output (prototypes
//   included: the checkers hand back unchanged input containers rather than copies);
// - isIP (src/load/ip.ts) against node:net;
// - host paths (src/load/paths.ts), joined directly when that is all path.resolve would do, against
//   path.resolve;
// - durationSeconds (src/plan/durations.ts), a scan, against the regular expression it stands in for;
// - the scans the checkers test strings with (src/model/patterns.ts), against the model's expressions;
// - normalizeProjectName (src/load/projectName.ts), a scan, against the expressions it stands in for.
import { readdirSync, statSync } from "node:fs";
import { isIP as netIsIP } from "node:net";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadComposeProject } from "../src/load/index.ts";
import { isIP } from "../src/load/ip.ts";
import { resolveHostPath } from "../src/load/paths.ts";
import { normalizeProjectName } from "../src/load/projectName.ts";
import { Project } from "../src/model/index.ts";
import { classRun, patternScan } from "../src/model/patterns.ts";
import { liteParse, realSchema } from "../src/model/z.ts";
import { durationSeconds } from "../src/plan/durations.ts";
import { hasShared, sharedPath, skipUnless } from "./support/shared.ts";

/** A seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return [];
    if (stat.isDirectory()) return yamlFiles(file);
    return /\.ya?ml$/.test(name) ? [file] : [];
  });
}

const corpus = hasShared ? yamlFiles(sharedPath("corpus")) : [];

// ---------------------------------------------------------------- the zod stand-ins

/** `lite` (the checkers' output) is zod's output for the same input, key order included. */
function sameOutput(lite: unknown, zod: unknown, at: string): string | undefined {
  if (typeof lite !== "object" || lite === null || typeof zod !== "object" || zod === null) {
    return Object.is(lite, zod) ? undefined : `${at}: ${JSON.stringify(lite)} vs ${JSON.stringify(zod)}`;
  }
  const keys = Object.keys(lite);
  if (Array.isArray(lite) !== Array.isArray(zod) || keys.join("\0") !== Object.keys(zod).join("\0")) return `${at}: keys ${keys} vs ${Object.keys(zod)}`;
  // (the checkers may hand back an input container as it is: it must then be what zod's copy is)
  if (Object.getPrototypeOf(lite) !== Object.getPrototypeOf(zod)) return `${at}: a different prototype`;
  for (const k of keys) {
    const inner = sameOutput((lite as Record<string, unknown>)[k], (zod as Record<string, unknown>)[k], `${at}.${k}`);
    if (inner) return inner;
  }
  return undefined;
}

/** undefined when the checkers refuse `value` (real zod then decides) or agrees with zod. */
function modelMismatch(value: unknown): string | undefined {
  const lite = liteParse(Project, value);
  if (!lite.ok) return undefined;
  const zod = realSchema(Project).safeParse(value);
  if (!zod.success) return `the checkers accept what zod refuses: ${JSON.stringify(zod.error.issues[0])}`;
  return sameOutput(lite.data, zod.data, "$");
}

function loadedModels(): { file: string; model: Record<string, unknown> }[] {
  const out: { file: string; model: Record<string, unknown> }[] = [];
  for (const file of corpus) {
    try {
      const loaded = loadComposeProject({ files: [file], workingDir: path.dirname(file), processEnv: { HOME: "/home/alice" } });
      out.push({ file, model: loaded.model });
    } catch {
      // files written to fail: the loader's business, not the model's
    }
  }
  return out;
}

const VALUES: unknown[] = [null, 0, 1.5, -1, "", "x", "1", "true", true, false, [], {}, ["a"], { a: 1 }, "10s", "512m", 65536, "0.5", "always", { "x-a": 1 }];

/** A copy of `tree` (plain data) with one value somewhere replaced, removed or added. */
function mutateModel(tree: unknown, next: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(tree)) as unknown;
  const containers: Record<string, unknown>[] = [];
  const walk = (v: unknown) => {
    if (typeof v !== "object" || v === null) return;
    containers.push(v as Record<string, unknown>);
    for (const item of Object.values(v)) walk(item);
  };
  walk(copy);
  const target = containers[Math.floor(next() * containers.length)]!;
  const keys = Object.keys(target);
  const choice = next();
  if (choice < 0.15 && !Array.isArray(target)) target[next() < 0.5 ? "x-extension" : "unknown_key"] = 1;
  else if (choice < 0.3 && keys.length) delete target[keys[Math.floor(next() * keys.length)]!];
  else if (keys.length) target[keys[Math.floor(next() * keys.length)]!] = VALUES[Math.floor(next() * VALUES.length)];
  return copy;
}

test("zod stand-ins: the corpus is checked without real zod, with zod's output", () => {
  if (skipUnless(hasShared, "zod stand-ins on the corpus", "../shared is not there")) return;
  const models = loadedModels();
  assert.ok(models.length > 50, `only ${models.length} corpus files load`);
  for (const { file, model } of models) {
    const zod = realSchema(Project).safeParse(model);
    const lite = liteParse(Project, model);
    // a valid file that needs real zod would be correct, only slow: it should not happen on real files
    if (zod.success) assert.ok(lite.ok, `${file}: valid, but the checkers ask real zod`);
    const problem = modelMismatch(model);
    assert.not.ok(problem, `${file}: ${problem}`);
    // and Project.safeParse, the one the loader calls, answers as zod does
    const answer = Project.safeParse(model);
    assert.is(answer.success, zod.success, file);
  }
});

test("zod stand-ins: seeded mutations of the corpus", () => {
  if (skipUnless(hasShared, "zod stand-ins on mutations", "../shared is not there")) return;
  const next = random(7);
  let accepted = 0;
  for (const { file, model } of loadedModels()) {
    for (let k = 0; k < 80; k++) {
      const mutated = mutateModel(model, next);
      const problem = modelMismatch(mutated);
      if (problem) assert.unreachable(`${file}, mutated: ${problem}\n${JSON.stringify(mutated)}`);
      if (liteParse(Project, mutated).ok) accepted++;
    }
  }
  assert.ok(accepted > 0);
});

/**
 * A copy of `tree` (plain data) with one container reshaped: its keys in reverse order, or made
 * with no prototype; what the checkers may not hand back as they are.
 */
function reshapeModel(tree: unknown, next: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(tree)) as unknown;
  const mappings: { parent: Record<string, unknown>; key: string }[] = [];
  const walk = (v: unknown) => {
    if (typeof v !== "object" || v === null) return;
    for (const [key, item] of Object.entries(v)) {
      if (typeof item === "object" && item !== null && !Array.isArray(item)) mappings.push({ parent: v as Record<string, unknown>, key });
      walk(item);
    }
  };
  walk(copy);
  if (!mappings.length) return copy;
  const { parent, key } = mappings[Math.floor(next() * mappings.length)]!;
  const mapping = parent[key] as Record<string, unknown>;
  const reshaped: Record<string, unknown> = next() < 0.5 ? {} : Object.create(null);
  const keys = Object.keys(mapping);
  if (Object.getPrototypeOf(reshaped) === Object.prototype) keys.reverse();
  for (const k of keys) reshaped[k] = mapping[k];
  parent[key] = reshaped;
  return copy;
}

test("zod stand-ins: reordered keys and bare objects; the input left as it was", () => {
  if (skipUnless(hasShared, "zod stand-ins on reshaped input", "../shared is not there")) return;
  const next = random(11);
  for (const { file, model } of loadedModels()) {
    for (let k = 0; k < 20; k++) {
      const reshaped = reshapeModel(model, next);
      const problem = modelMismatch(reshaped);
      if (problem) assert.unreachable(`${file}, reshaped: ${problem}\n${JSON.stringify(reshaped)}`);
    }
    // unchanged parts of the input are handed back, never changed
    const before = JSON.stringify(model);
    liteParse(Project, model);
    assert.is(JSON.stringify(model), before, `${file}: the checkers changed their input`);
  }
});

test("isIP: node:net's answers", () => {
  const next = random(42);
  const alphabet = "0123456789abcdefABCDEFg:.%/ -";
  const samples = ["127.0.0.1", "::1", "::", "fe80::1%eth0", "1.2.3", "256.1.1.1", "::ffff:1.2.3.4", "2001:db8::", "01.2.3.4", "", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9"];
  for (let i = 0; i < 20000; i++) {
    let s = "";
    const n = Math.floor(next() * 24);
    for (let k = 0; k < n; k++) s += alphabet[Math.floor(next() * alphabet.length)];
    samples.push(s);
  }
  for (const s of samples) assert.is(isIP(s), netIsIP(s), JSON.stringify(s));
});

/** `count` seeded strings of up to `longest` pieces drawn from `pieces`, after the fixed `samples`. */
function seededStrings(seed: number, pieces: readonly string[], longest: number, count: number, samples: readonly string[]): string[] {
  const next = random(seed);
  const out = [...samples];
  for (let i = 0; i < count; i++) {
    let s = "";
    const n = Math.floor(next() * (longest + 1));
    for (let k = 0; k < n; k++) s += pieces[Math.floor(next() * pieces.length)];
    out.push(s);
  }
  return out;
}

test("host paths: path.resolve's answer, also where they are joined without it", () => {
  const bases = ["/", "/srv/app", "/srv/./app", "/srv/app/", "/a/../b", "/srv//x", "/x.y/.z", "/.."];
  const values = seededStrings(7, ["a", "b.c", "..", ".", "/", "./", "../", ".x", "x.", "d e", "..."], 8, 20000, [
    "config",
    "./config",
    "./",
    ".",
    "..",
    "/etc/app",
    "/etc/app/",
    "/etc/./app",
    "a//b",
    "./a/../b",
  ]);
  const at = () => [{}, "source", ["services", "web", "volumes", 0, "source"]] as [object, string, (string | number)[]];
  for (const baseDir of bases) {
    for (const value of values) {
      if (value === "" || value.startsWith("~")) continue;
      assert.is(resolveHostPath(value, { baseDir, home: "/home/u" }, at), path.resolve(baseDir, value), `${baseDir} + ${JSON.stringify(value)}`);
    }
  }
});

/** What durationSeconds stands in for: each `<amount><unit>` the expression finds, summed. */
function durationByExpression(duration: string): number {
  if (duration === "0") return 0;
  const UNIT: Record<string, number> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g)) total += Number(amount) * UNIT[unit!]!;
  return duration.startsWith("-") ? -total : total;
}

test("durations: the scan reads what the expression finds", () => {
  const samples = ["0", "30s", "1m30s", "1.5h", ".5s", "500ms", "10us", "3\u00b5s", "2\u03bcs", "-1m", "+2s", "1h2m3s4ms", "5.s", ".s", "1", "ms"];
  for (const d of seededStrings(11, ["0", "1", "9", ".", "s", "m", "h", "n", "u", "\u00b5", "\u03bc", "-", "+", " "], 10, 30000, samples)) {
    assert.is(durationSeconds(d), durationByExpression(d), JSON.stringify(d));
  }
});

/** Every regular expression the model checks strings with (walking the schemas' defs). */
function modelExpressions(): RegExp[] {
  const found = new Set<RegExp>();
  const seen = new Set<unknown>();
  const walk = (schema: unknown) => {
    if (typeof schema !== "object" || schema === null || seen.has(schema)) return;
    seen.add(schema);
    const def = (schema as { def?: Record<string, unknown> }).def;
    if (!def) return;
    for (const check of (def.checks as { kind: string; re?: RegExp }[] | undefined) ?? []) if (check.re) found.add(check.re);
    for (const key of ["innerType", "element", "keyType", "valueType", "in", "out", "catchall"]) walk(def[key]);
    for (const inner of Object.values((def.shape as object | undefined) ?? {})) walk(inner);
    for (const inner of (def.options as unknown[] | undefined) ?? []) walk(inner);
    if (typeof def.getter === "function") walk(def.getter());
  };
  walk(Project);
  return [...found];
}

// Values each expression is about, so the seeded variations are near what it accepts.
const PATTERN_SAMPLES = [
  "0", "-0", "+0", "00", "30s", "1m30s", "1.5h", ".5s", "5.s", ".s", "500ms", "10us", "3\u00b5s", "2\u03bcs", "1h2m3s4ms", "1", "ms",
  "512m", "1g", " 2 GiB ", "1.5.5kb", "-1", "1 ", "1 kb", "1  kb", "1.", "\u00a01k\u2028", "\ufeff3B", "4ib",
  "no", "always", "unless-stopped", "on-failure", "on-failure:3", "on-failure:", "on-failure:x",
  "never", "build", "if_not_present", "missing", "refresh", "daily", "weekly", "every_12h30m", "every_", "every_5", "every_5x",
  "ghcr.io/mealie-recipes/mealie:v1.3.2", "postgres:15", "a@sha256:00ff", "-a", "_a", "a", "", "web_1", "my.db-2", "a b", "nofile", "json-file", "syslog:x",
];
const PATTERN_PIECES = [
  "0", "1", "9", ".", "s", "m", "h", "n", "u", "\u00b5", "\u03bc", "-", "+", " ", "\t", "\u00a0", "\u2028", "k", "K", "i", "I", "b", "B", "g", "G",
  "a", "z", "A", "Z", "_", ":", "/", "@", "\\", "on-failure", "every_", "always", "x", "\u00e9", "\n", "$", "^", "[",
];

test("patterns: every scan answers what its expression answers", () => {
  const expressions = modelExpressions();
  const scanned = expressions.filter((re) => patternScan(re));
  // the model's durations, byte sizes, restart and pull policies, names, images, ... (not a stray few)
  assert.ok(scanned.length >= 8, `only ${scanned.length} of ${expressions.length} expressions have a scan`);
  const texts = seededStrings(13, PATTERN_PIECES, 8, 30000, PATTERN_SAMPLES);
  const next = random(17);
  // and variations of the samples: a piece inserted, removed or replaced
  for (const sample of PATTERN_SAMPLES) {
    for (let k = 0; k < 200; k++) {
      const at = Math.floor(next() * (sample.length + 1));
      const piece = PATTERN_PIECES[Math.floor(next() * PATTERN_PIECES.length)]!;
      const kind = Math.floor(next() * 3);
      texts.push(kind === 0 ? sample.slice(0, at) + piece + sample.slice(at) : kind === 1 ? sample.slice(0, at) + sample.slice(at + 1) : sample.slice(0, at) + piece + sample.slice(at + 1));
    }
  }
  for (const re of scanned) {
    const scan = patternScan(re)!;
    let matches = 0;
    for (const text of texts) {
      const expected = re.test(text);
      if (expected) matches++;
      if (scan(text) !== expected) assert.unreachable(`${re}: the scan says ${!expected} for ${JSON.stringify(text)}`);
    }
    // the texts reach both answers, or the comparison shows little
    assert.ok(matches > 20 && matches < texts.length - 20, `${re}: ${matches} of ${texts.length} texts match`);
  }
});

test("patterns: the runs of classes a scan is derived from, and what is left to the expression", () => {
  const derived: [RegExp, string[]][] = [
    [/^[a-z]$/, ["a", "z", "", "ab", "A", "-"]],
    [/^[a-]+$/, ["a-a", "-", "", "b"]],
    [/^[-a]*$/, ["", "-a", "a-", "b"]],
    [/^[\/.+-][0-9A-Fa-f]+$/, ["/0", ".fF", "+", "-g", "x0"]],
    [/^[A-Za-z_][A-Za-z0-9_'-]*$/, ["a'b", "_", "'a", "a-", "1a"]],
    [/^[!-~]+$/, ["!~", " ", "\u00e9"]],
  ];
  for (const [re, texts] of derived) {
    const scan = classRun(re);
    assert.ok(scan, `${re} has a derived scan`);
    for (const text of texts) assert.is(scan!(text), re.test(text), `${re} on ${JSON.stringify(text)}`);
  }
  for (const re of [/^[^a]+$/, /^[\d]+$/, /^[a-z]+$/i, /^a+$/, /^[a-z]+/, /[a-z]+$/, /^[a-z]?$/, /^[a-z]{2}$/, /^[\u00e9]+$/, /^[]$/]) {
    assert.is(classRun(re), undefined, `${re} is left to the expression`);
  }
});

test("project names from directories: the scan keeps what the expressions kept", () => {
  const samples = ["mealie", "My_App", "_-x", "--", "", "a b", "\u0130stanbul", "Stra\u00dfe", "\u212a", "caf\u00e9", "1-2_3", "-_a-"];
  for (const name of seededStrings(19, ["a", "Z", "0", "_", "-", " ", ".", "\u0130", "\u00e9", "\u212a", "\u00df", "!", "\u{1F600}"], 8, 20000, samples)) {
    const expected = name.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[^a-z0-9]+/, "");
    assert.is(normalizeProjectName(name), expected, JSON.stringify(name));
  }
});

test.run();
