/**
 * Command-line options, declared once as a table: parsing and `--help` are both
 * derived from it. Hand-written rather than a dependency: the CLI must start fast.
 */
import { KhepriError } from "../diagnostics/index.ts";

type OptionKind = "string" | "list" | "boolean";

interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly kind: OptionKind;
  readonly value?: string;
  readonly help: string;
  /** Only for `khepri convert`. */
  readonly group: "input" | "output" | "generation";
}

export const CONVERT_OPTIONS = [
  { name: "file", short: "f", kind: "list", value: "FILE", group: "input", help: "compose file; repeat to merge several in order (default: compose.yaml etc. in the working directory or a parent)" },
  { name: "project", short: "p", kind: "string", value: "NAME", group: "input", help: "project name (default: COMPOSE_PROJECT_NAME, then `name:`, then the directory name)" },
  { name: "project-directory", kind: "string", value: "DIR", group: "input", help: "directory relative paths resolve against (default: the first file's directory)" },
  { name: "env-file", kind: "list", value: "FILE", group: "input", help: "variables for interpolation; repeatable (default: .env in the project directory); the process environment wins" },
  { name: "profile", kind: "list", value: "NAME", group: "input", help: "activate a profile; repeatable (also COMPOSE_PROFILES)" },
  { name: "spec", kind: "string", value: "FILE.json", group: "input", help: "read a JSON composition spec instead of compose files" },
  { name: "format", kind: "string", value: "nix|json", group: "output", help: "nix: a NixOS module (default); json: the normalized composition spec" },
  { name: "output", short: "o", kind: "string", value: "FILE", group: "output", help: "where to write; - for standard output (default: docker-compose.nix, or - for json)" },
  { name: "check", kind: "boolean", group: "output", help: "write nothing; exit 1 with a summary when the output file differs from what would be generated" },
  { name: "warnings-as-errors", kind: "boolean", group: "output", help: "exit 1 when there is any warning" },
  { name: "quiet", short: "q", kind: "boolean", group: "output", help: "print no notes and no timing" },
  { name: "module-warnings", kind: "boolean", group: "output", help: "also put the warnings into the module (NixOS `warnings`), for conversions whose output nobody reads" },
  { name: "module-errors", kind: "boolean", group: "output", help: "on bad input write the error (JSON: message, file, line, col, path) to the output and exit 0, for a build that reports it itself" },
  { name: "ignore-process-env", kind: "boolean", group: "input", help: "interpolate from env files only, not from the process environment (for builds in a sandbox)" },
  { name: "runtime", kind: "string", value: "podman|docker", group: "generation", help: "container runtime the module targets (default: podman)" },
  { name: "podman-user", kind: "string", value: "USER", group: "generation", help: "run the containers rootless as this user (podman.user; podman only)" },
  { name: "service", kind: "list", value: "NAME", group: "generation", help: "only these services (and what they depend on); repeatable" },
  { name: "inline-env-files", kind: "boolean", group: "generation", help: "copy env_file contents into the module, as compose2nix does (they end up in /nix/store)" },
  { name: "require-files", kind: "boolean", group: "generation", help: "make a missing env_file/secret/config file an error instead of a note" },
  { name: "auto-start", kind: "string", value: "true|false", group: "generation", help: "start the stack at boot (default: true)" },
  { name: "use-upheld-by", kind: "boolean", group: "generation", help: "restart dependents when a dependency restarts (systemd UpheldBy)" },
  { name: "check-systemd-mounts", kind: "boolean", group: "generation", help: "order containers after the systemd mount units of their bind mounts" },
  { name: "remove-volumes", kind: "boolean", group: "generation", help: "remove named volumes when the root target stops" },
  { name: "no-root-target", kind: "boolean", group: "generation", help: "do not generate the root target" },
  { name: "default-stop-timeout", kind: "string", value: "DURATION", group: "generation", help: "stop timeout for services without stop_grace_period (default: the runtime's, 10s)" },
  { name: "enable-option", kind: "boolean", group: "generation", help: "guard the module behind an enable option" },
  { name: "option-prefix", kind: "string", value: "PATH", group: "generation", help: "attribute path of that option (default: custom.<project>)" },
  { name: "no-setup", kind: "boolean", group: "generation", help: "leave out the runtime setup block (virtualisation.podman/docker.enable, backend)" },
] as const satisfies readonly OptionSpec[];

type Spec = (typeof CONVERT_OPTIONS)[number];
type ValueOf<S extends Spec> = S["kind"] extends "list" ? string[] : S["kind"] extends "boolean" ? boolean : string | undefined;
/** Parsed options, keyed by option name; the type is derived from the table. */
export type ConvertArgs = { [S in Spec as S["name"]]: ValueOf<S> };

export type Command =
  | { kind: "convert"; args: ConvertArgs }
  | { kind: "schema" }
  | { kind: "help" }
  | { kind: "version" };

/** Bad usage: the CLI prints it with the help hint and exits 2. */
export class UsageError extends KhepriError {}

export function parseCommand(argv: readonly string[]): Command {
  // `npx khepri -- convert --env-file FILE`: the `--` keeps npx's own node from taking --env-file
  // (node 20 reads it anywhere on its command line), and npx hands it on
  const [first, ...rest] = argv[0] === "--" ? argv.slice(1) : argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") return { kind: "help" };
  if (first === "-V" || first === "--version" || first === "version") return { kind: "version" };
  if (first === "schema") {
    if (rest.length) throw new UsageError(`schema takes no arguments (got ${rest[0]})`);
    return { kind: "schema" };
  }
  if (first === "convert") {
    if (rest.includes("--help") || rest.includes("-h")) return { kind: "help" };
    return { kind: "convert", args: parseConvertArgs(rest) };
  }
  throw new UsageError(`unknown command "${first}"`);
}

export function parseConvertArgs(argv: readonly string[]): ConvertArgs {
  const args: Record<string, string | string[] | boolean | undefined> = {};
  for (const spec of CONVERT_OPTIONS) args[spec.name] = spec.kind === "list" ? [] : spec.kind === "boolean" ? false : undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const [flag, inline] = splitInline(token);
    const spec = findOption(flag);
    if (!spec) throw new UsageError(token.startsWith("-") ? `unknown option ${flag}` : `unexpected argument "${token}"`);
    if (spec.kind === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`);
      args[spec.name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${spec.name} needs a value (${spec.value})`);
    if (spec.kind === "list") (args[spec.name] as string[]).push(value);
    else args[spec.name] = value;
  }
  return args as ConvertArgs;
}

function splitInline(token: string): [string, string | undefined] {
  const eq = token.indexOf("=");
  return token.startsWith("--") && eq > 0 ? [token.slice(0, eq), token.slice(eq + 1)] : [token, undefined];
}

function findOption(flag: string): Spec | undefined {
  if (flag.startsWith("--")) return CONVERT_OPTIONS.find((o) => o.name === flag.slice(2));
  // (short options are letters)
  if (flag.length === 2 && flag[0] === "-") return CONVERT_OPTIONS.find((o) => "short" in o && o.short === flag[1]);
  return undefined;
}

export function helpText(version: string): string {
  const groups = { input: "Input", output: "Output", generation: "Generation" } as const;
  const lines = [
    `khepri ${version}: docker-compose files to NixOS modules (virtualisation.oci-containers)`,
    "",
    "Usage:",
    "  khepri convert [-f FILE]... [options]   write a NixOS module (or the normalized spec)",
    "  khepri schema                           print the JSON Schema of the composition spec",
    "  khepri --help | --version",
  ];
  for (const [group, title] of Object.entries(groups)) {
    lines.push("", `${title} options:`);
    for (const o of CONVERT_OPTIONS.filter((x) => x.group === group)) {
      const short = "short" in o ? `-${o.short}, ` : "    ";
      const flag = `${short}--${o.name}${"value" in o ? ` ${o.value}` : ""}`;
      lines.push(`  ${flag.padEnd(34)} ${o.help}`);
    }
  }
  lines.push("", "Exit status: 0 success, 1 bad input (or --check found a difference), 2 bad usage.");
  return lines.join("\n") + "\n";
}
