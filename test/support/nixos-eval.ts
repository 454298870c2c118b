// Test harness: evaluates NixOS modules (for example khepri's output) together with nixpkgs' real
// `lib` and the real `nixos/modules/virtualisation/oci-containers.nix`, and returns what NixOS would
// run: the systemd units (their `script` is the exact `podman run` / `docker run` line), the resolved
// container options, failed assertions and warnings.
//
// Nothing here is downloaded or built. The two real pieces live outside the repository
// (KHEPRI_NIXPKGS_LIB, KHEPRI_OCI_CONTAINERS_NIX, else ~/.cache/khepri-test/...), the rest of NixOS
// is replaced by the declarations and fake packages in ./nixos-stubs.nix, and each call runs one
// `nix-instantiate --eval --strict --json` against a dummy store (no daemon, no network, any user).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export type Backend = "podman" | "docker";

export interface NixosEvalEnv {
  /** the nix-instantiate executable */
  nixInstantiate: string;
  /** the directory holding nixpkgs' `lib/default.nix` (i.e. `<nixpkgs.lib checkout>/lib`) */
  nixpkgsLib: string;
  /** the real `nixos/modules/virtualisation/oci-containers.nix` */
  ociContainersModule: string;
}

/**
 * The Nix half of the harness. Tests run bundled from .build/test, so look beside this module first
 * and then in the repository (the working directory, as in ./shared.ts).
 */
export const stubsFile: string =
  [
    path.join(path.dirname(fileURLToPath(import.meta.url)), "nixos-stubs.nix"),
    path.resolve(process.cwd(), "test", "support", "nixos-stubs.nix"),
  ].find((p) => existsSync(p)) ?? path.resolve(process.cwd(), "test", "support", "nixos-stubs.nix");

/** Default place of the two real pieces (outside the repository). */
export const defaultCacheDir = path.join(os.homedir(), ".cache", "khepri-test");

/** Nix flags used for every evaluation (exported so tests and reports can show them). */
export const nixEvalFlags: readonly string[] = [
  "--eval",
  "--strict",
  "--json",
  // never wait on a binary cache that cannot be reached
  "--option",
  "substituters",
  "",
  // no daemon or /nix/var access needed, works for any user; nothing can be built (no IFD)
  "--store",
  "dummy://",
];

function findOnPath(exe: string): string | undefined {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  dirs.push("/nix/var/nix/profiles/default/bin", path.join(os.homedir(), ".nix-profile/bin"));
  for (const dir of dirs) {
    const candidate = path.join(dir, exe);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Accepts either a nixpkgs.lib checkout (with `lib/`) or its `lib/` directory itself. */
function resolveLibDir(p: string): string | undefined {
  if (existsSync(path.join(p, "lib", "default.nix")) && existsSync(path.join(p, "lib", "modules.nix"))) {
    return path.join(p, "lib");
  }
  if (existsSync(path.join(p, "default.nix")) && existsSync(path.join(p, "modules.nix"))) return p;
  return undefined;
}

/**
 * Finds nix-instantiate (KHEPRI_NIX_INSTANTIATE or PATH), nixpkgs' lib (KHEPRI_NIXPKGS_LIB, else
 * ~/.cache/khepri-test/nixpkgs.lib) and oci-containers.nix (KHEPRI_OCI_CONTAINERS_NIX, else
 * ~/.cache/khepri-test/oci-containers.nix). Returns `{ env }`, or `{ missing }` saying what is absent.
 */
export function findNixosEvalEnv(): { env?: NixosEvalEnv; missing?: string } {
  const missing: string[] = [];

  const nixInstantiate = process.env.KHEPRI_NIX_INSTANTIATE || findOnPath("nix-instantiate");
  if (!nixInstantiate || !existsSync(nixInstantiate)) {
    missing.push("nix-instantiate not found (install nix-bin, or set KHEPRI_NIX_INSTANTIATE)");
  }

  const libSource = process.env.KHEPRI_NIXPKGS_LIB || path.join(defaultCacheDir, "nixpkgs.lib");
  const nixpkgsLib = resolveLibDir(libSource);
  if (!nixpkgsLib) {
    missing.push(`nixpkgs lib not found at ${libSource} (set KHEPRI_NIXPKGS_LIB to a nix-community/nixpkgs.lib checkout)`);
  }

  const ociContainersModule = process.env.KHEPRI_OCI_CONTAINERS_NIX || path.join(defaultCacheDir, "oci-containers.nix");
  if (!existsSync(ociContainersModule)) {
    missing.push(
      `oci-containers.nix not found at ${ociContainersModule} (set KHEPRI_OCI_CONTAINERS_NIX to nixpkgs' nixos/modules/virtualisation/oci-containers.nix)`,
    );
  } else {
    const text = readFileSync(ociContainersModule, "utf8");
    const needed = ["sdnotify", "networks", "capabilities", "pull", "autoRemoveOnStop"];
    const absent = needed.filter((word) => !text.includes(word));
    if (absent.length > 0) {
      missing.push(`${ociContainersModule} is older than NixOS 25.05 (lacks ${absent.join(", ")})`);
    }
  }

  if (missing.length > 0 || !nixInstantiate || !nixpkgsLib) return { missing: missing.join("; ") };
  return { env: { nixInstantiate, nixpkgsLib, ociContainersModule } };
}

export interface EvalOptions {
  /** `virtualisation.oci-containers.backend`, defined like a user's configuration would (normal priority). */
  backend: Backend;
  /**
   * Another module, as Nix source: an attrset expression (which may use `config`, `lib`, `pkgs`,
   * `options`, `utils`) or a whole module function. Example: `{ users.users.alice.uid = 1000; }`.
   */
  extraConfig?: string;
  /** Option paths such as "networking.firewall.allowedTCPPorts" whose values go to `facts.selected`. */
  select?: string[];
  /** Return facts with `failedAssertions` instead of throwing when assertions fail. */
  allowFailedAssertions?: boolean;
  /** Kill nix-instantiate after this long (default 60 s). */
  timeoutMs?: number;
}

/** A `systemd.services.<name>` after merging; packages are replaced by their names. */
export interface NixosServiceFacts {
  enable: boolean;
  description: string;
  script: string;
  preStart: string;
  postStart: string;
  preStop: string;
  postStop: string;
  reload: string;
  after: string[];
  before: string[];
  requires: string[];
  requisite: string[];
  wants: string[];
  bindsTo: string[];
  partOf: string[];
  conflicts: string[];
  wantedBy: string[];
  requiredBy: string[];
  upheldBy: string[];
  upholds: string[];
  onFailure: string[];
  unitConfig: Record<string, unknown>;
  serviceConfig: Record<string, unknown>;
  path: string[];
  environment: Record<string, string | null>;
  startLimitBurst: number | null;
  startLimitIntervalSec: number | null;
  restartIfChanged: boolean;
}

export interface NixosTargetFacts {
  enable: boolean;
  description: string;
  wantedBy: string[];
  requiredBy: string[];
  upheldBy: string[];
  unitConfig: Record<string, unknown>;
  after: string[];
  before: string[];
  requires: string[];
  wants: string[];
  partOf: string[];
  bindsTo: string[];
}

/** `virtualisation.oci-containers.containers.<name>` as resolved by the real module (defaults filled in). */
export interface OciContainerFacts {
  image: string;
  imageFile: string | null;
  imageStream: string | null;
  serviceName: string;
  login: { username: string | null; passwordFile: string | null; registry: string | null };
  cmd: string[];
  labels: Record<string, string>;
  entrypoint: string | null;
  environment: Record<string, string>;
  environmentFiles: string[];
  "log-driver": string;
  ports: string[];
  user: string | null;
  volumes: string[];
  workdir: string | null;
  dependsOn: string[];
  hostname: string | null;
  preRunExtraOptions: string[];
  extraOptions: string[];
  autoStart: boolean;
  podman: { sdnotify: "conmon" | "healthy" | "container"; user: string } | null;
  pull: "always" | "missing" | "never" | "newer";
  capabilities: Record<string, boolean | null>;
  devices: string[];
  privileged: boolean;
  autoRemoveOnStop: boolean;
  networks: string[];
}

/** A file made by a stub writer (`pkgs.writeShellApplication`, `writeText`, ...) that the evaluation used. */
export interface StubFile {
  path: string;
  name: string;
  text: string;
  executable: boolean;
  destination: string;
}

export interface NixosFacts {
  backend: Backend;
  containers: Record<string, OciContainerFacts>;
  services: Record<string, NixosServiceFacts>;
  targets: Record<string, NixosTargetFacts>;
  userServices: Record<string, NixosServiceFacts>;
  timers: Record<string, { wantedBy: string[]; timerConfig: Record<string, unknown>; unitConfig: Record<string, unknown> }>;
  tmpfiles: { rules: string[]; settings: Record<string, unknown> };
  docker: { enable: boolean; package: string; autoPrune: { enable: boolean; flags: string[]; dates: string | string[] } };
  podman: {
    enable: boolean;
    package: string;
    defaultNetworkSettings: Record<string, unknown>;
    autoPrune: { enable: boolean; flags: string[]; dates: string | string[] };
  };
  firewall: { allowedTCPPorts: number[]; allowedUDPPorts: number[] };
  /** values of `opts.select`, keyed by the dotted path */
  selected: Record<string, unknown>;
  /** messages of `assertions` whose `assertion` is false; when non-empty, only this and `warnings` are filled */
  failedAssertions: string[];
  warnings: string[];
  /** files written by stub writers, by store path; e.g. the pre-start script in `serviceConfig.ExecStartPre` */
  files: Record<string, StubFile>;
  /** other `trace:` lines nix printed (lib.warn and the like) */
  traces: string[];
}

export class NixosEvalError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly failedAssertions: string[] = [],
    readonly warnings: string[] = [],
  ) {
    super(message);
    this.name = "NixosEvalError";
  }
}

/** A Nix string literal. */
export function nixString(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "$") out += "\\$";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else out += ch;
  }
  return `${out}"`;
}

/** A Nix path value for an absolute file path (works with spaces and other odd characters). */
function nixPath(p: string): string {
  return `(/. + ${nixString(p)})`;
}

const FILE_TRACE = "trace: KHEPRI-STUB-FILE ";

/** nix's stderr split: the stub writers' files, other traces, and the rest. */
export function splitStderr(stderr: string): { files: Record<string, StubFile>; traces: string[]; rest: string } {
  const files: Record<string, StubFile> = {};
  const traces: string[] = [];
  const rest: string[] = [];
  for (const line of stderr.split("\n")) {
    if (line.startsWith(FILE_TRACE)) {
      const file = JSON.parse(line.slice(FILE_TRACE.length)) as StubFile;
      files[file.path] = file;
    } else if (line.startsWith("trace: ")) {
      traces.push(line.slice("trace: ".length));
    } else {
      rest.push(line);
    }
  }
  return { files, traces, rest: rest.join("\n") };
}

function cleanNixError(text: string): string {
  return text
    .split("\n")
    .filter((line) => !line.includes("use '--show-trace'"))
    .join("\n")
    .replace(/\x1b\[[0-9;]*m/g, "")
    .trim();
}

function entryExpression(env: NixosEvalEnv, modules: string[], opts: EvalOptions): string {
  const moduleExprs = modules.map((m) => `    ${nixPath(m)}`);
  if (opts.extraConfig !== undefined) {
    moduleExprs.push(
      [
        "    {",
        `      _file = "extraConfig (evalNixosModules)";`,
        "      imports = [",
        "        ({ config, lib, pkgs, options, utils, ... }@args:",
        "          let extra = (",
        opts.extraConfig,
        "          ); in if builtins.isFunction extra then extra args else extra)",
        "      ];",
        "    }",
      ].join("\n"),
    );
  }
  const select = (opts.select ?? []).map((p) => `[ ${p.split(".").map(nixString).join(" ")} ]`);
  return [
    `import ${nixPath(stubsFile)} {`,
    `  nixpkgsLib = ${nixPath(env.nixpkgsLib)};`,
    `  ociContainersModule = ${nixPath(env.ociContainersModule)};`,
    `  backend = ${nixString(opts.backend)};`,
    "  modules = [",
    ...moduleExprs,
    "  ];",
    `  select = [ ${select.join(" ")} ];`,
    "}",
    "",
  ].join("\n");
}

function runNix(env: NixosEvalEnv, entry: string, extraFlags: string[], timeoutMs: number) {
  return spawnSync(env.nixInstantiate, [...nixEvalFlags, ...extraFlags, entry], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    // no <nixpkgs> from the developer's channels: everything must come from the arguments
    env: { ...process.env, NIX_PATH: "" },
  });
}

/**
 * Evaluates `modules` (absolute paths of NixOS module files) with nixpkgs' lib, the real
 * oci-containers.nix and the stubs in nixos-stubs.nix, for the given backend. Throws a
 * NixosEvalError with nix's error text on evaluation failure, or listing the failed assertions
 * (unless `allowFailedAssertions`).
 */
export function evalNixosModules(env: NixosEvalEnv, modules: string[], opts: EvalOptions): NixosFacts {
  for (const m of modules) {
    if (!path.isAbsolute(m)) throw new Error(`evalNixosModules: module path must be absolute: ${m}`);
    if (!existsSync(m)) throw new Error(`evalNixosModules: no such module file: ${m}`);
  }
  if (opts.backend !== "podman" && opts.backend !== "docker") {
    throw new Error(`evalNixosModules: backend must be "podman" or "docker", not ${String(opts.backend)}`);
  }
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), "khepri-nixos-eval-"));
  try {
    const entry = path.join(dir, "entry.nix");
    writeFileSync(entry, entryExpression(env, modules, opts));
    const run = runNix(env, entry, [], timeoutMs);
    if (run.error) throw new NixosEvalError(`nix-instantiate could not run: ${run.error.message}`, run.stderr ?? "");
    const { files, traces, rest } = splitStderr(run.stderr);
    if (run.status !== 0) {
      let message = cleanNixError(rest) || `nix-instantiate exited with ${run.status ?? run.signal}`;
      // Name the options being evaluated when it failed (from a --show-trace rerun; cheap).
      const traced = runNix(env, entry, ["--show-trace"], timeoutMs);
      const options = [...new Set([...(traced.stderr ?? "").matchAll(/while evaluating the option `([^'`$]+)':/g)].map((m) => m[1]))];
      if (options.length > 0) message += `\n(while evaluating the option ${options.map((o) => `\`${o}'`).join(", ")})`;
      throw new NixosEvalError(message, run.stderr);
    }
    const facts = JSON.parse(run.stdout) as NixosFacts;
    facts.files = files;
    facts.traces = traces;
    if (facts.failedAssertions.length > 0 && !opts.allowFailedAssertions) {
      throw new NixosEvalError(
        `Failed assertions:\n${facts.failedAssertions.map((a) => `- ${a.trim()}`).join("\n")}`,
        run.stderr,
        facts.failedAssertions,
        facts.warnings,
      );
    }
    return facts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Splits a generated shell line (such as a unit's `script`) into words the way sh would for the
 * quoting lib.escapeShellArg produces: '...' quotes, "..." quotes, backslash escapes and
 * backslash-newline continuations. No expansion is performed.
 */
export function shellWords(script: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === "\\") {
      const next = script[i + 1];
      i++;
      if (next === undefined) break;
      if (next === "\n") continue;
      word += next;
      inWord = true;
    } else if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) throw new Error(`shellWords: unterminated ' in ${JSON.stringify(script)}`);
      word += script.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      i++;
      for (; i < script.length && script[i] !== '"'; i++) {
        if (script[i] === "\\" && i + 1 < script.length && '$`"\\\n'.includes(script[i + 1]!)) {
          i++;
          if (script[i] === "\n") continue;
        }
        word += script[i];
      }
      if (i >= script.length) throw new Error(`shellWords: unterminated " in ${JSON.stringify(script)}`);
      inWord = true;
    } else if (ch === " " || ch === "\t" || ch === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
