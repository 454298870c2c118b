/**
 * Loads a compose project the way `docker compose` does: discover or take the
 * files, read the environment, and for each file parse, interpolate,
 * canonicalize, resolve paths, apply `include` and `extends`, then merge the
 * files in order. The result is one raw canonical tree with positions.
 */
import path from "node:path";
import { KhepriError, redactDiagnostics, withRedactions, type Diagnostic, type SourcePos } from "../diagnostics/index.ts";
import { looksSecret } from "../model/index.ts";
import { own } from "../model/own.ts";
import { canonicalizeProject } from "./canonical.ts";
import { discoverComposeFiles } from "./discovery.ts";
import { projectVariables, type Variables } from "./environment.ts";
import { diskFiles, whereNamed, type FileReader } from "./files.ts";
import { resolveHostFiles } from "./hostFiles.ts";
import { emptyInterpolation, interpolateTree, type Interpolation } from "./interpolateTree.ts";
import { mergeProjects, mergeService, resolveTags } from "./merge.ts";
import { fileDirectoryPaths, resolveRelativePaths, type PathContext } from "./paths.ts";
import { secretRedactions } from "./secretNames.ts";
import { copyMap, isRawList, isRawMap, mayHoldNul, positionOf, refuseNul, type RawMap, type RawValue, type TagsFound } from "./raw.ts";
import { parseYaml } from "./yaml.ts";
import { projectNameFrom } from "./projectName.ts";

export interface LoadOptions {
  /** `-f` values, in order; empty means discover the default files. */
  files: readonly string[];
  workingDir: string;
  projectName?: string | undefined;
  projectDirectory?: string | undefined;
  envFiles?: readonly string[];
  processEnv: Readonly<Record<string, string | undefined>>;
  /** Copy env_file contents into `environment` (compose2nix's behaviour; they then reach /nix/store). */
  inlineEnvFiles?: boolean;
  /** A missing env_file/secret/config file is an error rather than a note. */
  requireFiles?: boolean;
  /** Where `extends.file` resolves, when not against the project directory (see PathContext). */
  sourcesDirectory?: string | undefined;
}

export interface LoadedProject {
  name: string;
  /** The project directory: relative paths in the files were resolved against it. */
  directory: string;
  files: string[];
  variables: Variables;
  /** The merged canonical tree; `positionAtPath(model, path)` locates any value in it. */
  model: RawMap;
  /** Which variables each interpolated value was made from, and the unset ones used. */
  interpolation: Interpolation;
  diagnostics: Diagnostic[];
}

/** Where an `include` entry was written, to place errors about what it brings in. */
interface IncludeSite {
  pos: SourcePos | undefined;
  path: (string | number)[];
}

interface FileContext {
  variables: Variables;
  interpolation: Interpolation;
  paths: PathContext;
  files: FileReader;
  diagnostics: Diagnostic[];
  /** Files being included or extended from, to report cycles. */
  stack: readonly string[];
  /** Whether a file read holds `!reset` / `!override` tags (most hold none: no need to look for them). */
  found: TagsFound;
}

export function loadComposeProject(options: LoadOptions, files: FileReader = diskFiles): LoadedProject {
  const composeFiles = composeFilesOf(options, files);
  const directory = path.resolve(options.workingDir, options.projectDirectory ?? path.dirname(composeFiles[0]!));
  const interpolation = emptyInterpolation();
  const variables = projectVariables(
    { envFiles: options.envFiles ?? [], projectDirectory: directory, workingDir: options.workingDir, processEnv: options.processEnv, onReference: secretPassedOn(interpolation) },
    files,
  );
  const diagnostics: Diagnostic[] = [];
  const found: TagsFound = { tags: false };
  const ctx: FileContext = { variables, interpolation, paths: { baseDir: directory, home: options.processEnv.HOME, sourcesDir: options.sourcesDirectory ?? directory }, files, diagnostics, stack: [], found };
  // No message shows a secret variable's value, whatever quotes it.
  const redactions = () => secretRedactions(interpolation);
  const { merged, name } = withRedactions(redactions, () => {
    const merged = loadFiles(composeFiles, ctx);
    const name = projectNameFrom({
      flag: options.projectName,
      environment: variables.COMPOSE_PROJECT_NAME,
      file: typeof merged.name === "string" ? { value: merged.name, pos: positionOf(merged, "name") } : undefined,
      directory,
    });
    merged.name = name;
    resolveHostFiles(merged, { files, variables, diagnostics, inlineEnvFiles: !!options.inlineEnvFiles, requireFiles: !!options.requireFiles });
    return { merged, name };
  });
  diagnostics.unshift(...unsetWarnings(interpolation));
  redactDiagnostics(diagnostics, redactions());
  return { name, directory, files: composeFiles, variables, model: merged, interpolation, diagnostics };
}

/**
 * A secret an env file passes on to another variable (`B=${DB_PASSWORD}`): messages would show
 * that one's value unredacted, so the secret's value (as it was read) is recorded.
 */
const secretPassedOn = (interpolation: Interpolation) => (name: string, value: string | undefined) => {
  if (value !== undefined && looksSecret(name)) interpolation.secretsPassedOn.set(value, name);
};

function loadFiles(composeFiles: readonly string[], ctx: FileContext): RawMap {
  let model: RawMap | undefined;
  for (const file of composeFiles) {
    const doc = loadComposeFile(file, ctx);
    model = model ? mergeProjects(model, doc) : doc;
  }
  return withoutTags(model ?? {}, ctx);
}

/** docker compose's own words, once per variable, where it is first used (compose-go's template package). */
function unsetWarnings(interpolation: Interpolation): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  for (const [name, { pos, path }] of interpolation.unset) {
    warnings.push({ level: "warning", message: `The "${name}" variable is not set. Defaulting to a blank string.`, pos, path });
  }
  return warnings;
}

function composeFilesOf(options: LoadOptions, files: FileReader): string[] {
  const given = options.files.length ? options.files : (options.processEnv.COMPOSE_FILE?.split(options.processEnv.COMPOSE_PATH_SEPARATOR ?? path.delimiter).filter(Boolean) ?? []);
  if (!given.length) return discoverComposeFiles(path.resolve(options.workingDir, options.projectDirectory ?? "."), files);
  return given.map((f) => {
    const file = path.resolve(options.workingDir, f);
    if (files.isDirectory(file)) throw new KhepriError(`compose file ${f} is a directory (-f names a file; --project-directory names a directory)`);
    if (!files.isFile(file)) throw new KhepriError(`compose file ${f} not found`);
    return file;
  });
}

/** How deep `include` may nest: far past any real project, well before the call stack runs out. */
const MAX_INCLUDE_DEPTH = 64;

/** One file through parse -> interpolate -> canonical -> paths -> include -> extends. */
function loadComposeFile(file: string, ctx: FileContext, from?: IncludeSite): RawMap {
  if (ctx.stack.includes(file)) {
    const cycle = [...ctx.stack.slice(ctx.stack.indexOf(file)), file].map((f) => path.basename(f)).join(" -> ");
    throw new KhepriError(`include cycle: ${cycle}`, from?.pos, from?.path);
  }
  if (ctx.stack.length >= MAX_INCLUDE_DEPTH) {
    throw new KhepriError(`include nested more than ${MAX_INCLUDE_DEPTH} files deep`, from?.pos, from?.path);
  }
  const doc = whereNamed(from?.pos, from?.path, () => readComposeDocument(file, ctx));
  const inner: FileContext = { ...ctx, stack: [...ctx.stack, file] };
  if (doc.version !== undefined) {
    ctx.diagnostics.push({ level: "note", message: "the `version` key is obsolete and ignored", pos: positionOf(doc, "version"), path: ["version"] });
    delete doc.version;
  }
  const included = applyIncludes(doc, file, inner);
  applyExtends(doc, file, inner);
  return included ? mergeIncluded(included, doc) : doc;
}

function readComposeDocument(file: string, ctx: FileContext): RawMap {
  const text = ctx.files.read(file);
  const parsed = parseYaml(text, file, ctx.found);
  if (mayHoldNul(text)) refuseNul(parsed);
  // docker compose refuses a file with nothing in it rather than start an empty project.
  if (parsed === null) throw new KhepriError("empty compose file", { file, line: 1, col: 1 });
  if (!isRawMap(parsed)) throw new KhepriError("a compose file must be a mapping at the top level", { file, line: 1, col: 1 });
  refuseNonCompose(parsed, file);
  stripExtensions(parsed);
  // Without a `$` (nor a `\`, which could escape one into a quoted string) nothing is substituted.
  const interpolated = text.includes("$") || text.includes("\\") ? (interpolateTree(parsed, (name) => own(ctx.variables, name), ctx.interpolation) as RawMap) : parsed;
  const canonical = canonicalizeProject(interpolated, file);
  return resolveRelativePaths(canonical, ctx.paths);
}

const COMPOSE_TOP_LEVEL = new Set(["services", "networks", "volumes", "secrets", "configs", "include", "name", "version", "models"]);

/**
 * A file that is not compose at all (`-f /etc/shadow`, `include: [/etc/passwd]`) reads as a
 * mapping of its lines, and listing its keys as unknown would print the file. It is refused
 * without a word of its content: no top-level key of compose's, and no value a section could
 * have (a misspelled `servces:` still holds a mapping, and is reported as a misspelling).
 */
function refuseNonCompose(doc: RawMap, file: string): void {
  let keys = 0;
  for (const key in doc) {
    keys++;
    const value = doc[key];
    if (COMPOSE_TOP_LEVEL.has(key) || key.startsWith("x-") || (typeof value === "object" && value !== null)) return;
  }
  if (keys) throw new KhepriError(`not a compose file: none of its ${keys} top-level keys is one of compose's (services, include, networks, volumes, ...); its content is not shown`, { file, line: 1, col: 1 });
}

/** `x-*` keys are for YAML anchors and other tools; compose ignores them at every level of the top. */
function stripExtensions(doc: RawMap): void {
  for (const key of Object.keys(doc)) if (key.startsWith("x-")) delete doc[key];
}

// ---- include ---------------------------------------------------------------

function applyIncludes(doc: RawMap, file: string, ctx: FileContext): RawMap | undefined {
  const includes = doc.include;
  delete doc.include;
  if (includes === undefined || includes === null) return undefined;
  if (!isRawList(includes)) throw new KhepriError("include must be a list", positionOf(doc, "include"), ["include"]);
  let merged: RawMap | undefined;
  includes.forEach((entry, i) => {
    const project = loadIncluded(entry, path.dirname(file), ctx, includes, i);
    merged = merged ? mergeIncluded(merged, project) : project;
  });
  return merged;
}

function loadIncluded(entry: RawValue, fileDir: string, ctx: FileContext, list: RawValue[], index: number): RawMap {
  const at = ["include", index];
  const spec = typeof entry === "string" ? { path: entry } : entry;
  if (!isRawMap(spec)) throw new KhepriError("an include entry is a path or a mapping with `path`", positionOf(list, index), at);
  const paths = (isRawList(spec.path) ? spec.path : [spec.path]).map((p) => {
    if (typeof p !== "string") throw new KhepriError("include path must be a string", positionOf(list, index), [...at, "path"]);
    return path.resolve(fileDir, p);
  });
  for (const p of paths) {
    if (!ctx.files.isFile(p)) throw new KhepriError(`included file ${p} not found`, positionOf(list, index), [...at, "path"]);
  }
  const directory = typeof spec.project_directory === "string" ? path.resolve(fileDir, spec.project_directory) : path.dirname(paths[0]!);
  const envFiles = isRawList(spec.env_file) ? spec.env_file : typeof spec.env_file === "string" ? [spec.env_file] : [];
  const ownVariables = whereNamed(positionOf(list, index), at, () =>
    projectVariables(
      { envFiles: envFiles.map(String).map((f) => path.resolve(fileDir, f)), projectDirectory: directory, workingDir: fileDir, processEnv: {}, onReference: secretPassedOn(ctx.interpolation) },
      ctx.files,
    ),
  );
  // The including project's variables win over the included project's defaults.
  const variables = { ...ownVariables, ...ctx.variables };
  const inner: FileContext = { ...ctx, variables, paths: fileDirectoryPaths(ctx.paths, directory) };
  let model: RawMap | undefined;
  for (const p of paths) {
    const doc = loadComposeFile(p, inner, { pos: positionOf(list, index), path: at });
    model = model ? mergeProjects(model, doc) : doc;
  }
  return withoutTags(model ?? {}, ctx);
}

/** `resolveTags`, when a file read had tags. */
function withoutTags(model: RawMap, ctx: FileContext): RawMap {
  return ctx.found.tags ? resolveTags(model) : model;
}

/** Resources brought by `include` may not be redefined by the including file. */
function mergeIncluded(included: RawMap, doc: RawMap): RawMap {
  for (const kind of ["services", "networks", "volumes", "secrets", "configs", "models"]) {
    const mine = doc[kind];
    const theirs = included[kind];
    if (!isRawMap(mine) || !isRawMap(theirs)) continue;
    for (const name of Object.keys(mine)) {
      if (name in theirs) {
        throw new KhepriError(`${kind.replace(/s$/, "")} "${name}" is also defined by an included file`, positionOf(mine, name), [kind, name]);
      }
    }
  }
  return mergeProjects(included, doc);
}

// ---- extends ---------------------------------------------------------------

function applyExtends(doc: RawMap, file: string, ctx: FileContext): void {
  const services = doc.services;
  if (!isRawMap(services)) return;
  const done = new Set<string>();
  for (const name of Object.keys(services)) resolveExtends(services, name, file, ctx, [], done);
}

/** Replaces `services[name]` by its `extends` base merged with it, depth first. */
function resolveExtends(
  services: RawMap,
  name: string,
  file: string,
  ctx: FileContext,
  chain: readonly string[],
  done: Set<string>,
): RawMap {
  const service = services[name];
  const at = ["services", name];
  if (!isRawMap(service)) return {};
  if (done.has(name) || service.extends === undefined) return service;
  const link = `${file}:${name}`;
  if (chain.includes(link)) {
    const shown = [...chain, link].map((l) => path.relative(path.dirname(file), l) || l);
    throw new KhepriError(`extends cycle: ${shown.join(" -> ")}`, positionOf(service, "extends"), [...at, "extends"]);
  }
  const ext = typeof service.extends === "string" ? { service: service.extends } : service.extends;
  if (!isRawMap(ext) || typeof ext.service !== "string") {
    throw new KhepriError("extends needs a `service` name", positionOf(service, "extends"), [...at, "extends"]);
  }
  let base: RawMap;
  if (typeof ext.file === "string") {
    const otherFile = ext.file;
    if (!ctx.files.isFile(otherFile)) throw new KhepriError(`extends file ${otherFile} not found`, positionOf(ext, "file"), [...at, "extends", "file"]);
    const other = whereNamed(positionOf(ext, "file"), [...at, "extends", "file"], () =>
      readComposeDocument(otherFile, { ...ctx, paths: fileDirectoryPaths(ctx.paths, path.dirname(otherFile)) }),
    );
    const otherServices = isRawMap(other.services) ? other.services : {};
    if (!isRawMap(otherServices[ext.service])) {
      throw new KhepriError(`extends: service "${ext.service}" not found in ${otherFile}`, positionOf(ext, "service"), [...at, "extends", "service"]);
    }
    base = resolveExtends(otherServices, ext.service, otherFile, { ...ctx, paths: fileDirectoryPaths(ctx.paths, path.dirname(otherFile)) }, [...chain, link], new Set());
  } else {
    if (!isRawMap(services[ext.service])) {
      throw new KhepriError(`extends: service "${ext.service}" not found`, positionOf(ext, "service"), [...at, "extends", "service"]);
    }
    base = resolveExtends(services, ext.service, file, ctx, [...chain, link], done);
  }
  const own = copyMap(service);
  delete own.extends;
  const merged = mergeService(base, own);
  services[name] = merged;
  done.add(name);
  return merged;
}
