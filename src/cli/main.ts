/**
 * The command line: the one place with process I/O. Runs load -> normalize ->
 * plan -> print, reports diagnostics on stderr, and writes the output file
 * atomically (a failed run leaves any existing file untouched).
 */
import path from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { KhepriError, formatDiagnostic, formatLocated, prefixedPath, withPathPrefix, type Diagnostic, type SourcePos } from "../diagnostics/index.ts";
import { loadComposeProject, loadSpec, specKeyPath, type FileReader, type LoadedProject } from "../load/index.ts";
import { USER_NAME_RULE, isUserName, projectJsonSchema, projectToSpec, toSpecJsonSchema } from "../model/index.ts";
import { activeProfiles, normalizeProject, type NormalizedProject } from "../normalize/index.ts";
import { planProject, type Plan, type Runtime } from "../plan/index.ts";
import { MAX_MODULE, ModuleTooLargeError, printModule } from "../print/index.ts";
import { helpText, parseCommand, UsageError, type ConvertArgs } from "./args.ts";
import { summarizeDifference } from "./check.ts";
import { OutputFileError, readOutputFile, writeOutputFile } from "./outputFile.ts";

const VERSION = packageJson.version;

export interface Io {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** How compose files, env files and specs are read (the disk unless given). */
  files?: FileReader;
}

export function main(io: Io): number {
  try {
    const command = parseCommand(io.argv);
    switch (command.kind) {
      case "help":
        io.stdout(helpText(VERSION));
        return 0;
      case "version":
        io.stdout(`khepri ${VERSION}\n`);
        return 0;
      case "schema":
        io.stdout(JSON.stringify(specJsonSchema(), null, 2) + "\n");
        return 0;
      case "convert":
        return command.args["module-errors"] ? convertOrRecordError(command.args, io) : convert(command.args, io);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      // (formatLocated without a place: an argument's value escaped and clipped like any message)
      io.stderr(`khepri: ${formatLocated(error.message)}\nRun \`khepri --help\` for usage.\n`);
      return 2;
    }
    if (error instanceof KhepriError) {
      io.stderr(`error: ${formatLocated(error.detail, shownPos(error.pos, io.cwd), error.path)}\n`);
      return 1;
    }
    throw error;
  }
}

/** A file copied into the store is shown by the name it had (`/nix/store/<hash>-compose.yaml` -> `compose.yaml`). */
function storeNamed(pos: SourcePos | undefined): SourcePos | undefined {
  return pos && { ...pos, file: path.basename(pos.file).replace(/^[0-9a-z]{32}-/, "") };
}

/** Files under the working directory are shown relative to it, as a user typed them. */
function shownPos(pos: SourcePos | undefined, cwd: string): SourcePos | undefined {
  if (!pos) return pos;
  const relative = path.relative(cwd, pos.file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? { ...pos, file: relative } : pos;
}

/** The spec file's schema: compositions, each compose's top level in the spec's camelCase. */
function specJsonSchema(): unknown {
  const composition = toSpecJsonSchema(projectJsonSchema()) as { properties?: Record<string, unknown> };
  const source = {
    composeFile: { type: "string", description: "compose file to start from" },
    composeFiles: { type: "array", items: { type: "string" }, description: "compose files to start from, merged in order" },
    envFiles: { type: "array", items: { type: "string" }, description: "variables for interpolating the compose files" },
    profiles: { type: "array", items: { type: "string" } },
    projectDirectory: { type: "string", description: "directory relative paths resolve against" },
    autoStart: { type: "boolean" },
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "khepri composition spec",
    type: "object",
    properties: {
      compositions: {
        type: "object",
        additionalProperties: { ...composition, properties: { ...source, ...composition.properties } },
      },
    },
    required: ["compositions"],
  };
}

interface Composition {
  loaded: LoadedProject;
  specFile?: string;
  profiles: string[];
  autoStart?: boolean | undefined;
  podmanUser?: string | undefined;
}

function parseFlagBool(value: string | undefined, flag: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new UsageError(`--${flag} takes true or false (got "${value}")`);
}

function convert(args: ConvertArgs, io: Io): number {
  const format = args.format ?? "nix";
  if (format !== "nix" && format !== "json") throw new UsageError(`--format must be nix or json (got "${format}")`);
  const runtime = (args.runtime ?? "podman") as Runtime;
  if (runtime !== "podman" && runtime !== "docker") throw new UsageError(`--runtime must be podman or docker (got "${args.runtime}")`);
  if (args.spec && (args.file.length || args.project || args["project-directory"] || args["env-file"].length)) {
    throw new UsageError("--spec cannot be combined with -f, -p, --project-directory or --env-file: the spec says where its files are");
  }
  const autoStart = parseFlagBool(args["auto-start"], "auto-start", true);
  if (args["podman-user"] !== undefined && runtime !== "podman") throw new UsageError("--podman-user needs --runtime podman");
  const user = args["podman-user"];
  if (user !== undefined && !isUserName(user)) throw new UsageError(`--podman-user ${JSON.stringify(user)} is not a user name: ${USER_NAME_RULE}`);
  checkFlagValues(args);
  // process.hrtime, not perf_hooks: loading performance costs ~0.7 ms of every run's start
  const started = process.hrtime.bigint();

  // In a build sandbox the environment is the builder's (HOME=/homeless-shelter, out, ...), not the user's.
  const processEnv = args["ignore-process-env"] ? {} : io.env;
  const compositions: Composition[] = args.spec
    ? loadSpec(args.spec, { workingDir: io.cwd, processEnv, inlineEnvFiles: args["inline-env-files"], requireFiles: args["require-files"] }, io.files)
    : [composeComposition(args, io, processEnv)];
  // In a spec, messages about the spec file name the composition they are in.
  const inComposition = <T>(c: Composition, fn: () => T): T => (c.specFile ? withPathPrefix(c.specFile, specKeyPath(c.loaded.name), fn) : fn());
  const placed = (c: Composition, d: Diagnostic) => (c.specFile ? prefixedPath(d, c.specFile, specKeyPath(c.loaded.name)) : d);
  const normalized = compositions.map((c) =>
    inComposition(c, () => normalizeProject(c.loaded, { profiles: args.profile.length ? args.profile : c.profiles, services: args.service, spec: c.specFile !== undefined })),
  );

  let output: string;
  const diagnostics: Diagnostic[] = normalized.flatMap((n, i) => n.diagnostics.map((d) => placed(compositions[i]!, d)));
  if (format === "json") {
    output = boundedOutput(() => JSON.stringify({ compositions: Object.fromEntries(normalized.map((n) => [n.project.name, projectToSpec(n.project)])) }, null, 2) + "\n");
  } else {
    const plans = normalized.map((n, i) => {
      const c = compositions[i]!;
      return inComposition(c, () => plan(n, args, runtime, c.autoStart ?? autoStart, c.podmanUser ?? args["podman-user"]));
    });
    checkContainerNames(plans, compositions);
    diagnostics.push(...plans.flatMap((p, i) => p.diagnostics.map((d) => placed(compositions[i]!, d))));
    output = boundedOutput(() => printModule(plans, {
      setup: !args["no-setup"],
      enableOption: args["enable-option"] ? (args["option-prefix"] ?? `custom.${normalized.map((n) => n.project.name).join("-")}`).split(".") : undefined,
      header: `Generated by khepri ${VERSION} from ${sourceNames(compositions)}. Re-run khepri rather than editing this file.`,
      warnings: args["module-warnings"] ? diagnostics.filter((d) => d.level === "warning").map((d) => `khepri: ${formatLocated(d.message, storeNamed(d.pos), d.path)}`) : [],
    }));
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;

  for (const d of diagnostics) {
    if (!args.quiet || d.level === "warning") io.stderr(formatDiagnostic({ ...d, pos: shownPos(d.pos, io.cwd) }) + "\n");
  }
  const warnings = diagnostics.filter((d) => d.level === "warning").length;
  if (args["warnings-as-errors"] && warnings) {
    io.stderr(`error: ${warnings} warning${warnings > 1 ? "s" : ""} and --warnings-as-errors: nothing written\n`);
    return 1;
  }
  if (format === "nix" && !args.quiet) io.stderr(`Generated NixOS config in ${elapsed.toFixed(3)}ms\n`);
  return emit(output, args, format, io);
}

/**
 * `--module-errors`: bad input becomes the output, `{"khepriError": {...}}`, so that a build inside
 * Nix evaluation (which shows only a failed builder's last log lines) lets the NixOS module say
 * which option or compose file is wrong, in its own terms.
 */
function convertOrRecordError(args: ConvertArgs, io: Io): number {
  try {
    return convert(args, io);
  } catch (error) {
    if (!(error instanceof KhepriError) || !args.output || args.output === "-" || args.check) throw error;
    const { file, line, col } = error.pos ?? {};
    // (formatLocated without a place: the message escaped and clipped as on the terminal)
    const record = { khepriError: { message: formatLocated(error.detail), path: error.path ?? null, file: file ?? null, line: line ?? null, col: col ?? null } };
    writeOutputFile(path.resolve(io.cwd, args.output), JSON.stringify(record) + "\n");
    return 0;
  }
}

/** Two compositions of one spec naming a container alike would define one NixOS option twice. */
function checkContainerNames(plans: readonly Plan[], compositions: readonly Composition[]): void {
  const owner = new Map<string, string>();
  plans.forEach((p, i) => {
    const composition = compositions[i]!.loaded.name;
    for (const c of p.containers) {
      const other = owner.get(c.name);
      const here = `composition ${composition}, service ${c.service}`;
      if (other !== undefined) {
        throw new KhepriError(`container name "${c.name}" is used twice: by ${other} and by ${here}; set containerName on one of them`, undefined, ["compositions", composition, "services", c.service, "containerName"]);
      }
      owner.set(c.name, here);
    }
  });
}

const GO_DURATION = /^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$/;
const ATTR_PATH = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/;

/** Values the option table cannot check by kind alone. */
function checkFlagValues(args: ConvertArgs): void {
  const timeout = args["default-stop-timeout"];
  if (timeout !== undefined && !GO_DURATION.test(timeout)) throw new UsageError(`--default-stop-timeout takes a duration such as 90s or 1m30s (got "${timeout}")`);
  const prefix = args["option-prefix"];
  if (prefix !== undefined && !ATTR_PATH.test(prefix)) throw new UsageError(`--option-prefix takes an attribute path such as custom.myapp (got "${prefix}")`);
  if (args.file.includes("-")) throw new UsageError("-f - (standard input) is not supported: name a file, so relative paths have a directory");
}

function composeComposition(args: ConvertArgs, io: Io, processEnv: Io["env"]): Composition {
  const loaded = loadComposeProject({
    files: args.file,
    workingDir: io.cwd,
    projectName: args.project,
    projectDirectory: args["project-directory"],
    envFiles: args["env-file"],
    processEnv,
    inlineEnvFiles: args["inline-env-files"],
    requireFiles: args["require-files"],
  }, io.files);
  return { loaded, profiles: activeProfiles([], loaded.variables) };
}

function plan(normalized: NormalizedProject, args: ConvertArgs, runtime: Runtime, autoStart: boolean, podmanUser: string | undefined): Plan {
  return planProject(normalized, {
    runtime,
    autoStart,
    useUpheldBy: args["use-upheld-by"],
    checkSystemdMounts: args["check-systemd-mounts"],
    removeVolumes: args["remove-volumes"],
    rootTarget: !args["no-root-target"],
    defaultStopTimeout: args["default-stop-timeout"],
    podmanUser,
  });
}

/**
 * The output, refused past MAX_MODULE: one long value repeated many times (aliases, extends, a
 * long variable used in many places) would otherwise make gigabytes of module from a small file.
 */
function boundedOutput(print: () => string): string {
  const tooLarge = () => new KhepriError(new ModuleTooLargeError().message);
  let output: string;
  try {
    output = print();
  } catch (error) {
    // JSON.stringify's "Invalid string length" is the same thing past V8's longest string
    if (error instanceof ModuleTooLargeError || (error instanceof RangeError && /Invalid string length/.test(error.message))) throw tooLarge();
    throw error;
  }
  if (output.length > MAX_MODULE) throw tooLarge();
  return output;
}

/** The compose files' names, for the header comment (the printer keeps a comment a comment). */
function sourceNames(compositions: readonly Composition[]): string {
  return compositions.flatMap((c) => c.loaded.files).map((f) => path.basename(f)).join(", ");
}

/** The largest file --check compares with (a module is far smaller; this keeps /dev/zero-like files out). */
const OUTPUT_LIMIT = 256 * 1024 * 1024;

function outputFileStep<T>(target: string, verb: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof OutputFileError) throw new KhepriError(`-o ${target} ${error.message}`);
    throw new KhepriError(`cannot ${verb} ${target}: ${(error as Error).message}`);
  }
}

function emit(output: string, args: ConvertArgs, format: string, io: Io): number {
  const target = args.output ?? (format === "json" ? "-" : "docker-compose.nix");
  if (args.check) {
    if (target === "-") throw new UsageError("--check compares with an output file; give one with -o");
    const existing = outputFileStep(target, "read", () => readOutputFile(path.resolve(io.cwd, target), OUTPUT_LIMIT));
    if (existing === output) {
      io.stderr(`${target} is up to date\n`);
      return 0;
    }
    io.stderr(existing === undefined ? `${target} does not exist\n` : summarizeDifference(existing, output, target));
    return 1;
  }
  if (target === "-") {
    io.stdout(output);
    return 0;
  }
  outputFileStep(target, "write", () => writeOutputFile(path.resolve(io.cwd, target), output));
  if (!args.quiet) io.stderr(`Wrote ${format === "nix" ? "NixOS config" : "composition spec"} to ${target}\n`);
  return 0;
}
