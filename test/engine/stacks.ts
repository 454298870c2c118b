// The stacks the engine stage boots, and turning one into evaluated NixOS facts: a temp copy of
// the stack (bind sources and build contexts are created there, never in ../shared or examples/),
// khepri's module for the runtime, and the real oci-containers.nix's units for it.
import fg from "fast-glob";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../support/convert.ts";
import { BASE_ENV, corpusDir } from "../support/corpus.ts";
import { evalNixosModules, shellWords, type NixosEvalEnv, type NixosFacts } from "../support/nixos-eval.ts";
import { repoRoot } from "../support/shared.ts";
import { configurationSpec, prepareConfiguration, type NixosConfiguration } from "./configuration.ts";
import type { Runtime } from "./engines.ts";
import { STANDIN_IMAGE } from "./image.ts";

export interface Stack {
  label: string;
  /** directory copied for the run */
  dir: string;
  /** compose file inside dir */
  file: string;
  args?: string[];
  /** runtimes this stack is not booted on, each with the reason printed */
  skip?: Partial<Record<Runtime, string>>;
  /** what this stack is expected to show beyond "everything starts" (hand-written fixtures) */
  expect?: StackExpectation;
  /** a NixOS configuration booted instead of the compose file (dir and file then only name it) */
  nixos?: NixosConfiguration;
}

export interface StackExpectation {
  /** units that must fail to start, with a pattern their message must match */
  failing?: Record<string, RegExp>;
  /** units that must never start because a required unit failed */
  neverStarted?: string[];
  /** services whose container runs to completion (exit 0) instead of staying up */
  completes?: string[];
  /** host paths that must not exist after start or stop (khepri must not create them) */
  absentPaths?: string[];
  /** paths (relative to the stack's copy) that must exist after start (created bind sources) */
  presentPaths?: string[];
  /** per runtime, a warning khepri must print when converting */
  warns?: Partial<Record<Runtime, RegExp>>;
  /**
   * Problems known and not fixed yet, each a pattern of the problem text and why: printed as KNOWN
   * instead of failing, and a pattern that matches nothing fails (fixed? then drop it here).
   */
  known?: [RegExp, string][];
  /** generate with --remove-volumes: named volumes must be gone after stop */
  removeVolumes?: boolean;
  /** checks to run inside containers while the stack is up: [service, argv, expected stdout] */
  execs?: [string, string[], string][];
  /** networks a configuration declares once for several compositions (`khepri.networks`): their unit starts before every container on them */
  sharedNetworks?: string[];
}

export interface Spec {
  name: string;
  services: Record<string, SpecService>;
  networks: Record<string, { name?: string; external?: boolean; ipam?: unknown }>;
  volumes: Record<string, { name?: string; external?: boolean }>;
  secrets?: Record<string, { file?: string }>;
  configs?: Record<string, { file?: string }>;
}
export interface SpecService {
  containerName?: string;
  image?: string;
  build?: unknown;
  ports?: { target: number; published?: string; host_ip?: string; protocol?: string }[];
  volumes?: { type: string; source?: string; target: string; readOnly?: boolean }[];
  tmpfs?: string[];
  environment?: Record<string, string | null>;
  environmentFiles?: { path: string; required?: boolean; format?: string }[];
  networks?: Record<string, { aliases?: string[]; ipv4Address?: string } | null>;
  networkMode?: string;
  labels?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  dependsOn?: Record<string, { condition?: string; required?: boolean }>;
  entrypoint?: string | string[] | null;
  cmd?: string | string[] | null;
}

export interface Prepared {
  copy: string;
  spec: Spec;
  facts: NixosFacts;
  rootTarget: string;
  moduleText: string;
  /** what khepri printed on stderr converting it */
  notes: string;
  /** compose projects, when not just spec.name (a configuration's compositions) */
  projects?: string[];
  /** host paths made for the run, removed after it */
  created?: string[];
}

/** The stack's spec read in place (for scheduling: its names and ports). */
export function specOf(stack: Stack, nixEnv: NixosEvalEnv): Spec {
  if (stack.nixos) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "khepri-engine-spec-"));
    try {
      return configurationSpec(stack.nixos, nixEnv, tmp);
    } catch {
      return { name: stack.label, services: {}, networks: {}, volumes: {} };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const json = runCli(["convert", "-f", stack.file, ...(stack.args ?? []), "--format", "json", "-o", "-", "-q"], { cwd: stack.dir, env: BASE_ENV });
  if (json.code !== 0) return { name: stack.label, services: {}, networks: {}, volumes: {} };
  return Object.values((JSON.parse(json.stdout) as { compositions: Record<string, Spec> }).compositions)[0]!;
}

/** The spec (`--format json`) and the module for `runtime`, from a temp copy of the stack. */
export function prepare(stack: Stack, runtime: Runtime, nixEnv: NixosEvalEnv, tmp: string): Prepared {
  if (stack.nixos) return prepareConfiguration(stack.nixos, runtime, nixEnv, tmp);
  // the copy keeps the directory's name: it is the project name of a stack without `name:`
  const copy = path.join(tmp, "stack", path.basename(stack.dir));
  cpSync(stack.dir, copy, { recursive: true });
  const args = ["-f", stack.file, ...(stack.args ?? []), ...(stack.expect?.removeVolumes ? ["--remove-volumes"] : [])];
  const json = runCli(["convert", ...args, "--format", "json", "-o", "-", "-q"], { cwd: copy, env: BASE_ENV });
  if (json.code !== 0) throw new Error(`khepri convert --format json: ${json.stderr}`);
  const spec = Object.values((JSON.parse(json.stdout) as { compositions: Record<string, Spec> }).compositions)[0]!;
  // secret and config files a corpus stack names but the corpus lacks (db/password.txt, ...)
  for (const file of [...Object.values(spec.secrets ?? {}), ...Object.values(spec.configs ?? {})].map((s) => s.file)) {
    if (file && file.startsWith(copy) && !existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, "placeholder\n");
    }
  }
  const nix = runCli(["convert", ...args, "--runtime", runtime, "-o", "-"], { cwd: copy, env: BASE_ENV });
  if (nix.code !== 0) throw new Error(`khepri convert: ${nix.stderr}`);
  const moduleFile = path.join(tmp, "module.nix");
  writeFileSync(moduleFile, nix.stdout);
  const facts = evalNixosModules(nixEnv, [moduleFile], { backend: runtime });
  const rootTarget = Object.keys(facts.targets).find((t) => t.endsWith("-root"));
  if (!rootTarget) throw new Error(`no root target among ${Object.keys(facts.targets).join(", ")}`);
  writeBuildContexts(facts, runtime);
  return { copy, spec, facts, rootTarget, moduleText: nix.stdout, notes: nix.stderr };
}

/** Each build unit's Dockerfile becomes `FROM` the stand-in image (with the stage `--target` names). */
function writeBuildContexts(facts: NixosFacts, runtime: Runtime): void {
  for (const [name, svc] of Object.entries(facts.services)) {
    if (!name.startsWith(`${runtime}-build-`)) continue;
    const words = shellWords(svc.script.split("|").pop()!);
    const context = words[words.length - 1]!;
    const file = words.find((w) => w.startsWith("--file="))?.slice("--file=".length);
    if (file === "-" || !path.isAbsolute(context)) continue;
    const target = words.find((w) => w.startsWith("--target="))?.slice("--target=".length);
    const dockerfile = file ? (path.isAbsolute(file) ? file : path.join(context, file)) : path.join(context, "Dockerfile");
    mkdirSync(path.dirname(dockerfile), { recursive: true });
    writeFileSync(dockerfile, `FROM ${STANDIN_IMAGE}${target ? ` AS ${target}` : ""}\n`);
  }
}

/** Every image name the module's containers use. */
export const imagesOf = (facts: NixosFacts): string[] => [...new Set(Object.values(facts.containers).map((c) => c.image))];

const fixtureDir = path.join(repoRoot, "test", "engine", "fixtures");

export function exampleStacks(): Stack[] {
  return fg
    .sync("examples/*/compose.yaml", { cwd: repoRoot })
    .sort()
    .map((rel) => ({ label: rel, dir: path.join(repoRoot, path.dirname(rel)), file: "compose.yaml" }));
}

export function corpusStack(rel: string, args: string[] = []): Stack | undefined {
  const file = path.join(corpusDir, rel);
  if (!existsSync(file)) return undefined;
  return { label: `corpus/${rel}`, dir: path.dirname(file), file: path.basename(file), args };
}

export function fixtureStack(name: string, expect?: StackExpectation): Stack {
  return { label: `fixtures/${name}`, dir: path.join(fixtureDir, name), file: "compose.yaml", expect };
}
