// Evaluates khepri's own Nix code (nix/module.nix, nix/lib.nix) the way a NixOS system would use it:
// with nixpkgs' real lib and oci-containers.nix and the stubs of ./nixos-stubs.nix (as in
// ./nixos-eval.ts), and with the import-from-derivation actually built: the converter is a
// stand-in package made from this repository's bundle (test/fixtures/nix-integration/
// stand-in-khepri.nix), run by this machine's node.
//
// Building needs a writable Nix store (`--read-write-mode`; root on Debian's nix-bin) and
// `sandbox = false` (the stand-in's builder is /usr/bin/node). `ifdSupport()` finds out once.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Backend, type NixosEvalEnv, type NixosFacts, NixosEvalError, nixString, splitStderr, stubsFile } from "./nixos-eval.ts";
import { repoRoot } from "./shared.ts";

/** Flags of every evaluation here: like nixos-eval.ts, but against the real store, so IFD can build. */
// build-users-group and sandbox: Debian's nix-bin makes no nixbld group (as root Nix would ask for
// one), and the stand-in's builder is this machine's node, outside the store.
export const ifdEvalFlags: readonly string[] = [
  "--eval",
  "--strict",
  "--json",
  "--read-write-mode",
  "--option",
  "substituters",
  "",
  "--option",
  "build-users-group",
  "",
  "--option",
  "sandbox",
  "false",
];

export const distDir = path.join(repoRoot, "dist");
export const bundlePath = path.join(distDir, "khepri.cjs");
export const fixturesDir = path.join(repoRoot, "test", "fixtures", "nix-integration");

const nixPath = (p: string) => `(/. + ${nixString(p)})`;

function run(nixInstantiate: string, args: string[], timeoutMs = 120_000) {
  return spawnSync(nixInstantiate, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NIX_PATH: "" },
  });
}

/** Nix's error text without colour codes, hints and the harness's file traces. */
export function cleanStderr(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !line.startsWith("trace: KHEPRI-STUB-FILE ") && !line.includes("use '--show-trace'"))
    .join("\n")
    .replace(/\x1b\[[0-9;]*m/g, "")
    .trim();
}

let probe: string | undefined | null = null;

/**
 * Whether a derivation can be built during evaluation here. Returns undefined when it can, else
 * why not (for a SKIP line). Runs one tiny build the first time.
 */
export function ifdSupport(env: NixosEvalEnv): string | undefined {
  if (probe !== null) return probe;
  if (!existsSync(bundlePath)) return (probe = `${bundlePath} is missing (run node scripts/build.mjs)`);
  const expr = `builtins.readFile (derivation {
    name = "khepri-ifd-probe";
    system = builtins.currentSystem;
    builder = ${nixString(process.execPath)};
    args = [ "-e" "require('fs').writeFileSync(process.env.out, 'ok')" ];
  })`;
  const r = run(env.nixInstantiate, [...ifdEvalFlags, "--expr", expr], 60_000);
  if (r.error) return (probe = `nix-instantiate could not run: ${r.error.message}`);
  if (r.status !== 0 || r.stdout.trim() !== '"ok"') {
    const why = cleanStderr(r.stderr).split("\n").slice(-3).join(" ");
    return (probe = `cannot build derivations during evaluation here (needs a writable /nix/store and sandbox = false): ${why}`);
  }
  return (probe = undefined);
}

export interface KhepriEvalOptions {
  backend: Backend;
  /**
   * Modules as Nix expressions. In scope: `khepri` (`{ nixosModules.default; lib; package; }`, as
   * the flake has them but with the stand-in converter), `lib`, `repo` and `fixtures` (paths).
   */
  modules: string[];
  /** Option paths whose values go to `facts.selected`. */
  select?: string[];
  timeoutMs?: number;
}

export interface KhepriEvalResult {
  facts: NixosFacts;
  /** What nix printed besides the result: build lines and the converter's notes. */
  log: string;
}

function entryExpression(env: NixosEvalEnv, opts: KhepriEvalOptions): string {
  const select = (opts.select ?? []).map((p) => `[ ${p.split(".").map(nixString).join(" ")} ]`);
  return `let
  lib = import ${nixPath(env.nixpkgsLib)};
  repo = ${nixPath(repoRoot)};
  fixtures = ${nixPath(fixturesDir)};
  package = import (fixtures + "/stand-in-khepri.nix") {
    dist = ${nixPath(distDir)};
    node = ${nixString(process.execPath)};
  };
  # The flake's packages: this machine's is the stand-in; another system's says it is for that
  # system, so a conversion that ran it would need a builder for that system.
  module = import (repo + "/nix/module.nix") {
    khepriPackages = lib.genAttrs lib.systems.flakeExposed (system: {
      default = if system == builtins.currentSystem then package else package // { inherit system; };
    });
  };
  khepri = {
    nixosModules.default = module;
    lib = import (repo + "/nix/lib.nix") { inherit lib module; };
    inherit package;
  };
in
import ${nixPath(stubsFile)} {
  nixpkgsLib = ${nixPath(env.nixpkgsLib)};
  ociContainersModule = ${nixPath(env.ociContainersModule)};
  backend = ${nixString(opts.backend)};
  modules = [
    module
${opts.modules.map((m) => `    (${m})`).join("\n")}
  ];
  select = [ ${select.join(" ")} ];
}
`;
}

/** One nix-instantiate run: evaluates the modules with khepri's module, building the conversion. */
export function evalWithKhepri(env: NixosEvalEnv, opts: KhepriEvalOptions): KhepriEvalResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), "khepri-nix-"));
  try {
    const entry = path.join(dir, "entry.nix");
    writeFileSync(entry, entryExpression(env, opts));
    const r = run(env.nixInstantiate, [...ifdEvalFlags, entry], opts.timeoutMs);
    if (r.error) throw new NixosEvalError(`nix-instantiate could not run: ${r.error.message}`, r.stderr ?? "");
    const log = cleanStderr(r.stderr);
    if (r.status !== 0) throw new NixosEvalError(log || `nix-instantiate exited with ${r.status ?? r.signal}`, r.stderr);
    const facts = JSON.parse(r.stdout) as NixosFacts;
    // as evalNixosModules gives them: the stub writers' files (a unit's ExecStartPre script) and traces
    const { files, traces } = splitStderr(r.stderr);
    facts.files = files;
    facts.traces = traces;
    if (facts.failedAssertions.length > 0) {
      throw new NixosEvalError(`Failed assertions:\n${facts.failedAssertions.join("\n")}`, r.stderr, facts.failedAssertions, facts.warnings);
    }
    return { facts, log };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the bundled converter (`node dist/khepri.cjs ARGS`) with a clean environment. */
export function convert(args: string[], cwd = repoRoot) {
  return spawnSync(process.execPath, [bundlePath, "convert", ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: os.homedir() },
  });
}

/**
 * A configuration file as a NixOS module, as a user's `configuration.nix` is: the module system
 * knows it by its file. Besides the module arguments it gets `khepri` (the flake, as `specialArgs`
 * would give it) and the Nix values of `args` (attribute name to Nix expression).
 */
export function configurationModule(file: string, args: Record<string, string> = {}): string {
  const extra = Object.entries(args)
    .map(([name, value]) => `${name} = ${value};`)
    .join(" ");
  return `let
    file = ${nixPath(file)};
    f = import file;
  in
  lib.setFunctionArgs (args: f (args // { inherit khepri; ${extra} }) // { _file = file; }) (
    removeAttrs (lib.functionArgs f) [ "khepri" ${Object.keys(args).map(nixString).join(" ")} ]
  )`;
}
