// Semantic tests of generated modules: convert a compose fixture in-process (src/cli/main.ts), evaluate
// the module with nixpkgs' real oci-containers module (./nixos-eval.ts), and check what a user would
// notice (the run line, unit ordering, restart settings, ...) against a small expectation table
// (test/fixtures/semantics/<case>/expect.json). The expectation format is documented by the types below.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "./convert.ts";
import { type Backend, type NixosFacts, type NixosServiceFacts, shellWords } from "./nixos-eval.ts";

// ------------------------------------------------------------------------------------------------
// Running the converter
// ------------------------------------------------------------------------------------------------

export interface Conversion {
  code: number;
  stdout: string;
  stderr: string;
  /** the generated module's text, when one was written */
  module?: string;
  /** where it was written */
  moduleFile: string;
}

/** A temporary directory removed by `cleanup()`; one per test file. */
export function scratchDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `khepri-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let outputCounter = 0;

/**
 * `khepri convert --runtime <runtime> -o <outDir>/<n>.nix <args>` run in-process in `cwd`, with a clean
 * environment (plus `env`), so the developer's shell cannot leak into the result.
 */
export function convertIn(cwd: string, runtime: Backend, args: readonly string[], outDir: string, env: Record<string, string> = {}): Conversion {
  const moduleFile = path.join(outDir, `module-${process.pid}-${++outputCounter}.nix`);
  const { code, stdout, stderr } = runCli(["convert", "--runtime", runtime, "-o", moduleFile, ...args], { cwd, env });
  const result: Conversion = { code, stdout, stderr, moduleFile };
  if (existsSync(moduleFile)) result.module = readFileSync(moduleFile, "utf8");
  return result;
}

// ------------------------------------------------------------------------------------------------
// The expectation format
// ------------------------------------------------------------------------------------------------

/** Substring / regular-expression checks on a text. */
export interface TextExpect {
  includes?: string[];
  excludes?: string[];
  /** regular expressions (JavaScript syntax, flag "m") */
  matches?: string[];
  /** true: must be empty; false: must not be empty */
  empty?: boolean;
}

/** A list of unit names: an array is the exact set; an object checks membership. */
export type ListExpect = string[] | { includes?: string[]; excludes?: string[] };

/** A setting: a primitive must be equal, null must be absent, {gt}/{lt} compare numbers. */
export type SettingExpect = string | number | boolean | null | { gt?: number; lt?: number; present?: boolean };

/** Checks on the words of a unit's `script` (shellWords of the exact text NixOS would run). */
export interface ArgvExpect {
  includes?: string[];
  excludes?: string[];
  /** no word may start with any of these */
  excludesPrefix?: string[];
  /** adjacent word pairs that must occur, e.g. ["-v", "/a:/b"] */
  pairs?: [string, string][];
  /** the last words */
  endsWith?: string[];
  /** words that must occur in this relative order */
  order?: string[];
  /** how often a word occurs: { "word": n } */
  count?: Record<string, number>;
}

export interface UnitExpect {
  /** the unit must not exist */
  absent?: boolean;
  argv?: ArgvExpect;
  script?: TextExpect;
  preStart?: TextExpect;
  postStart?: TextExpect;
  preStop?: TextExpect;
  after?: ListExpect;
  requires?: ListExpect;
  wants?: ListExpect;
  bindsTo?: ListExpect;
  upheldBy?: ListExpect;
  partOf?: ListExpect;
  wantedBy?: ListExpect;
  serviceConfig?: Record<string, SettingExpect>;
  unitConfig?: Record<string, SettingExpect>;
  /**
   * Paths the script passes relative or absolute: a word `<prefix><p>` must exist, and `p` resolved
   * against the unit's WorkingDirectory (systemd's default: /) must be `path`. With `alsoRelativeTo`,
   * resolving `p` against that directory instead is accepted too (a tool that falls back to it).
   */
  resolvedPaths?: { prefix: string; path: string; alsoRelativeTo?: string }[];
}

export interface TargetExpect {
  absent?: boolean;
  wantedBy?: ListExpect;
  partOf?: ListExpect;
}

/** Per-runtime part of an expectation (also the shape of the common part). */
export interface RuntimeExpect {
  /** exit code of `khepri convert` (default 0) */
  exit?: number;
  stderr?: TextExpect;
  /** the generated module's text */
  module?: TextExpect;
  units?: Record<string, UnitExpect>;
  targets?: Record<string, TargetExpect>;
  /** resolved `virtualisation.oci-containers.containers.<name>` options: key -> deep-equal value */
  containers?: Record<string, Record<string, unknown>>;
  /** NixOS `warnings` the evaluation must produce (substrings); none other are allowed */
  nixosWarnings?: string[];
  /** files the module writes to the store (pkgs.writeText ...): store name -> exact text */
  storeFiles?: Record<string, string>;
}

export interface CaseExpect extends RuntimeExpect {
  /** what the case proves, shown in the test name */
  description: string;
  /** default: both */
  runtimes?: Backend[];
  /** extra `khepri convert` arguments */
  args?: string[];
  /** the process environment khepri sees (interpolation) */
  env?: Record<string, string>;
  /** another NixOS module evaluated with the generated one (see EvalOptions.extraConfig) */
  extraConfig?: string;
  podman?: RuntimeExpect;
  docker?: RuntimeExpect;
}

export interface SemanticCase {
  name: string;
  dir: string;
  expect: CaseExpect;
}

/** Every test/fixtures/semantics/<case>/ with an expect.json, sorted by name. */
export function loadCases(root: string): SemanticCase[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, "expect.json")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = path.join(root, name);
      const expect = JSON.parse(readFileSync(path.join(dir, "expect.json"), "utf8")) as CaseExpect;
      if (typeof expect.description !== "string" || !expect.description) throw new Error(`${name}/expect.json: description is required`);
      return { name, dir, expect };
    });
}

/** `{runtime}` and `{dir}` in every string of an expectation. */
export function substitute<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === "string") return value.replace(/\{(runtime|dir)\}/g, (m, k: string) => vars[k] ?? m) as T;
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [substitute(k, vars), substitute(v, vars)])) as T;
  }
  return value;
}

/** The common part merged with the runtime's part (the runtime's entries are added; units merge per unit). */
export function forRuntime(expect: CaseExpect, runtime: Backend): RuntimeExpect {
  const own = expect[runtime] ?? {};
  const mergeText = (a?: TextExpect, b?: TextExpect): TextExpect | undefined =>
    a || b
      ? {
          includes: [...(a?.includes ?? []), ...(b?.includes ?? [])],
          excludes: [...(a?.excludes ?? []), ...(b?.excludes ?? [])],
          matches: [...(a?.matches ?? []), ...(b?.matches ?? [])],
          ...(b?.empty ?? a?.empty) !== undefined ? { empty: (b?.empty ?? a?.empty)! } : {},
        }
      : undefined;
  const units: Record<string, UnitExpect> = { ...expect.units };
  for (const [name, u] of Object.entries(own.units ?? {})) units[name] = { ...units[name], ...u };
  const containers: Record<string, Record<string, unknown>> = { ...expect.containers };
  for (const [name, c] of Object.entries(own.containers ?? {})) containers[name] = { ...containers[name], ...c };
  const merged: RuntimeExpect = {
    exit: own.exit ?? expect.exit ?? 0,
    units,
    targets: { ...expect.targets, ...own.targets },
    containers,
  };
  const stderr = mergeText(expect.stderr, own.stderr);
  if (stderr) merged.stderr = stderr;
  const module = mergeText(expect.module, own.module);
  if (module) merged.module = module;
  if (expect.storeFiles || own.storeFiles) merged.storeFiles = { ...expect.storeFiles, ...own.storeFiles };
  const nixosWarnings = own.nixosWarnings ?? expect.nixosWarnings;
  if (nixosWarnings) merged.nixosWarnings = nixosWarnings;
  return merged;
}

// ------------------------------------------------------------------------------------------------
// Checking
// ------------------------------------------------------------------------------------------------

const show = (v: unknown) => JSON.stringify(v);

/** The mismatches of `text` against `e`, each prefixed with `what`. */
export function checkText(what: string, text: string, e: TextExpect | undefined): string[] {
  if (!e) return [];
  const out: string[] = [];
  for (const s of e.includes ?? []) if (!text.includes(s)) out.push(`${what} lacks ${show(s)}`);
  for (const s of e.excludes ?? []) if (text.includes(s)) out.push(`${what} contains ${show(s)}`);
  for (const r of e.matches ?? []) if (!new RegExp(r, "m").test(text)) out.push(`${what} does not match /${r}/`);
  if (e.empty === true && text.trim() !== "") out.push(`${what} should be empty`);
  if (e.empty === false && text.trim() === "") out.push(`${what} should not be empty`);
  if (out.length) out.push(`  (${what} is ${show(text)})`);
  return out;
}

function checkList(what: string, actual: readonly string[], e: ListExpect | undefined): string[] {
  if (!e) return [];
  const out: string[] = [];
  if (Array.isArray(e)) {
    const a = [...new Set(actual)].sort();
    const b = [...new Set(e)].sort();
    if (show(a) !== show(b)) out.push(`${what} is ${show(a)}, expected exactly ${show(b)}`);
    return out;
  }
  for (const s of e.includes ?? []) if (!actual.includes(s)) out.push(`${what} lacks ${show(s)}: ${show(actual)}`);
  for (const s of e.excludes ?? []) if (actual.includes(s)) out.push(`${what} contains ${show(s)}: ${show(actual)}`);
  return out;
}

function checkSettings(what: string, actual: Record<string, unknown>, e: Record<string, SettingExpect> | undefined): string[] {
  if (!e) return [];
  const out: string[] = [];
  for (const [key, want] of Object.entries(e)) {
    const have = actual[key];
    if (want === null) {
      if (have !== undefined && have !== null) out.push(`${what}.${key} is ${show(have)}, expected unset`);
    } else if (typeof want === "object") {
      if (want.present === false && have !== undefined) out.push(`${what}.${key} is ${show(have)}, expected unset`);
      if (want.present === true && have === undefined) out.push(`${what}.${key} is unset`);
      if (want.gt !== undefined && !(typeof have === "number" && have > want.gt)) out.push(`${what}.${key} is ${show(have)}, expected > ${want.gt}`);
      if (want.lt !== undefined && !(typeof have === "number" && have < want.lt)) out.push(`${what}.${key} is ${show(have)}, expected < ${want.lt}`);
    } else if (have !== want) {
      out.push(`${what}.${key} is ${show(have)}, expected ${show(want)}`);
    }
  }
  return out;
}

export function checkArgv(what: string, words: readonly string[], e: ArgvExpect | undefined): string[] {
  if (!e) return [];
  const out: string[] = [];
  for (const w of e.includes ?? []) if (!words.includes(w)) out.push(`${what} lacks the word ${show(w)}`);
  for (const w of e.excludes ?? []) if (words.includes(w)) out.push(`${what} has the word ${show(w)}`);
  for (const p of e.excludesPrefix ?? []) {
    const hit = words.find((w) => w.startsWith(p));
    if (hit !== undefined) out.push(`${what} has ${show(hit)} (starts with ${show(p)})`);
  }
  for (const [a, b] of e.pairs ?? []) {
    if (!words.some((w, i) => w === a && words[i + 1] === b)) out.push(`${what} lacks ${show(a)} followed by ${show(b)}`);
  }
  if (e.endsWith && show(words.slice(-e.endsWith.length)) !== show(e.endsWith)) {
    out.push(`${what} ends with ${show(words.slice(-e.endsWith.length))}, expected ${show(e.endsWith)}`);
  }
  if (e.order) {
    let from = 0;
    for (const w of e.order) {
      const i = words.indexOf(w, from);
      if (i < 0) {
        out.push(`${what}: ${show(w)} missing or out of the order ${show(e.order)}`);
        break;
      }
      from = i + 1;
    }
  }
  for (const [w, n] of Object.entries(e.count ?? {})) {
    const have = words.filter((x) => x === w).length;
    if (have !== n) out.push(`${what} has ${show(w)} ${have} time(s), expected ${n}`);
  }
  if (out.length) out.push(`  (${what} is ${show(words)})`);
  return out;
}

export function checkUnit(name: string, unit: NixosServiceFacts | undefined, e: UnitExpect): string[] {
  if (e.absent) return unit ? [`unit ${name} should not exist`] : [];
  if (!unit) return [`unit ${name} does not exist`];
  const w = `${name}`;
  return [
    ...checkArgv(`${w} script words`, shellWords(unit.script), e.argv),
    ...checkText(`${w}.script`, unit.script, e.script),
    ...checkText(`${w}.preStart`, unit.preStart, e.preStart),
    ...checkText(`${w}.postStart`, unit.postStart, e.postStart),
    ...checkText(`${w}.preStop`, unit.preStop, e.preStop),
    ...checkList(`${w}.after`, unit.after, e.after),
    ...checkList(`${w}.requires`, unit.requires, e.requires),
    ...checkList(`${w}.wants`, unit.wants, e.wants),
    ...checkList(`${w}.bindsTo`, unit.bindsTo, e.bindsTo),
    ...checkList(`${w}.upheldBy`, unit.upheldBy, e.upheldBy),
    ...checkList(`${w}.partOf`, unit.partOf, e.partOf),
    ...checkList(`${w}.wantedBy`, unit.wantedBy, e.wantedBy),
    ...checkSettings(`${w}.serviceConfig`, unit.serviceConfig, e.serviceConfig),
    ...checkSettings(`${w}.unitConfig`, unit.unitConfig, e.unitConfig),
    ...checkResolvedPaths(w, unit, e.resolvedPaths),
  ];
}

function checkResolvedPaths(what: string, unit: NixosServiceFacts, e: UnitExpect["resolvedPaths"]): string[] {
  const out: string[] = [];
  const words = shellWords(unit.script);
  const cwd = typeof unit.serviceConfig.WorkingDirectory === "string" ? unit.serviceConfig.WorkingDirectory : "/";
  for (const { prefix, path: want, alsoRelativeTo } of e ?? []) {
    const word = words.find((w) => w.startsWith(prefix));
    if (word === undefined) {
      out.push(`${what} has no word starting with ${show(prefix)}: ${show(words)}`);
      continue;
    }
    const given = word.slice(prefix.length);
    const resolved = path.posix.resolve(cwd, given);
    const fallback = alsoRelativeTo !== undefined ? path.posix.resolve(alsoRelativeTo, given) : undefined;
    if (resolved !== want && fallback !== want) {
      out.push(`${what}: ${show(word)} run in ${show(cwd)} names ${show(resolved)}, expected ${show(want)}`);
    }
  }
  return out;
}

/** Every mismatch between what NixOS made of the module and the expectation. */
export function checkFacts(facts: NixosFacts, e: RuntimeExpect): string[] {
  const out: string[] = [];
  for (const [name, u] of Object.entries(e.units ?? {})) out.push(...checkUnit(name, facts.services[name], u));
  for (const [name, t] of Object.entries(e.targets ?? {})) {
    const target = facts.targets[name];
    if (t.absent) {
      if (target) out.push(`target ${name} should not exist`);
      continue;
    }
    if (!target) {
      out.push(`target ${name} does not exist (targets: ${Object.keys(facts.targets).join(", ")})`);
      continue;
    }
    out.push(...checkList(`target ${name}.wantedBy`, target.wantedBy, t.wantedBy), ...checkList(`target ${name}.partOf`, target.partOf, t.partOf));
  }
  for (const [name, fields] of Object.entries(e.containers ?? {})) {
    const c = facts.containers[name] as unknown as Record<string, unknown> | undefined;
    if (!c) {
      out.push(`container ${name} does not exist (containers: ${Object.keys(facts.containers).join(", ")})`);
      continue;
    }
    for (const [k, v] of Object.entries(fields)) if (show(c[k]) !== show(v)) out.push(`container ${name}.${k} is ${show(c[k])}, expected ${show(v)}`);
  }
  for (const [name, text] of Object.entries(e.storeFiles ?? {})) {
    const files = Object.values(facts.files).filter((f) => f.name === name);
    if (files.length !== 1) out.push(`${files.length} store files named ${show(name)} (files: ${show(Object.values(facts.files).map((f) => f.name))})`);
    else if (files[0]!.text !== text) out.push(`store file ${name} holds ${show(files[0]!.text)}, expected ${show(text)}`);
  }
  const wanted = e.nixosWarnings ?? [];
  for (const w of facts.warnings) if (!wanted.some((s) => w.includes(s))) out.push(`unexpected NixOS warning: ${w}`);
  for (const s of wanted) if (!facts.warnings.some((w) => w.includes(s))) out.push(`no NixOS warning mentions ${show(s)}`);
  if (facts.failedAssertions.length) out.push(...facts.failedAssertions.map((a) => `failed NixOS assertion: ${a}`));
  return out;
}
