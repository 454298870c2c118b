/**
 * The JSON composition spec: `{"compositions": {"<name>": {...}}}`. Each
 * composition is compose's top level in camelCase (services, networks,
 * volumes, secrets, configs), and may start from compose files
 * (`composeFiles`) that its own keys then override, with the same merge rules
 * as a compose override file. Values are taken literally: no `${VAR}`
 * interpolation (the spec usually comes from Nix, where `$` means `$`).
 */
import path from "node:path";
import { KhepriError, withPathPrefix } from "../diagnostics/index.ts";
import { OVERRIDE, Project, USER_NAME_RULE, isUserName, renameFields, specMarker, toComposeName, toSpecPath } from "../model/index.ts";
import { canonicalizeProject } from "./canonical.ts";
import { projectVariables } from "./environment.ts";
import { diskFiles, type FileReader } from "./files.ts";
import { resolveHostFiles, type HostFileOptions } from "./hostFiles.ts";
import { emptyInterpolation } from "./interpolateTree.ts";
import { mergeProjects, resolveTags } from "./merge.ts";
import { resolveRelativePaths } from "./paths.ts";
import { loadComposeProject, type LoadedProject } from "./project.ts";
import { projectNameFrom } from "./projectName.ts";
import { copyChildPosition, copySelfPosition, isRawList, isRawMap, mayHoldNul, positionOf, refuseNul, setChildPosition, type RawMap, type RawValue } from "./raw.ts";
import { parseYaml } from "./yaml.ts";

/** Keys of a composition that are about where it comes from, not compose content. */
const SOURCE_KEYS = ["composeFile", "composeFiles", "envFiles", "profiles", "projectDirectory", "autoStart", "podmanUser"] as const;

export interface SpecComposition {
  loaded: LoadedProject;
  /** The spec file it was read from: messages about it are placed under `compositions.<name>`. */
  specFile: string;
  profiles: string[];
  /** Per-composition `autoStart`, when the spec sets it. */
  autoStart?: boolean;
  /** The user whose rootless podman runs the composition, when the spec sets one. */
  podmanUser?: string;
}

export interface SpecOptions extends HostFileOptions {
  workingDir: string;
  processEnv: Readonly<Record<string, string | undefined>>;
}

export function loadSpec(file: string, options: SpecOptions, files: FileReader = diskFiles): SpecComposition[] {
  const specFile = path.resolve(options.workingDir, file);
  if (!files.isFile(specFile)) throw new KhepriError(`spec file ${file} not found`);
  // JSON is YAML: parsing it as YAML gives every value a line and column.
  const text = files.read(specFile);
  const doc = parseYaml(text, specFile);
  if (mayHoldNul(text)) refuseNul(doc);
  if (!isRawMap(doc) || !isRawMap(doc.compositions)) {
    throw new KhepriError('a spec is an object with a "compositions" object', isRawMap(doc) ? positionOf(doc) : { file: specFile, line: 1, col: 1 });
  }
  const unknown = Object.keys(doc).find((k) => k !== "compositions" && !k.startsWith("x-"));
  if (unknown) throw new KhepriError(`unknown key "${unknown}"`, positionOf(doc, unknown), [unknown]);
  const compositions = doc.compositions;
  return Object.entries(compositions).map(([name, body]) => {
    if (!isRawMap(body)) throw new KhepriError("a composition is an object", positionOf(compositions, name), ["compositions", name]);
    return withPathPrefix(specFile, specKeyPath(name), () => loadComposition(name, body, specFile, options, files));
  });
}

function loadComposition(name: string, body: RawMap, specFile: string, options: SpecOptions, files: FileReader): SpecComposition {
  const source = sourceSettings(body);
  const directory = path.resolve(path.dirname(specFile), source.projectDirectory ?? ".");
  const project = projectNameFrom({ composition: { value: name, pos: positionOf(body) }, directory });
  const base: LoadedProject = source.composeFiles.length
    ? loadComposeProject(
        {
          files: source.composeFiles,
          workingDir: path.dirname(specFile),
          projectName: project,
          projectDirectory: source.projectDirectory,
          // `extends.file` is a compose source: found beside the compose files (in the module, their
          // store copies), not in the project directory, which places host paths
          sourcesDirectory: path.resolve(path.dirname(specFile), path.dirname(source.composeFiles[0]!)),
          envFiles: source.envFiles,
          processEnv: options.processEnv,
          inlineEnvFiles: options.inlineEnvFiles,
          requireFiles: options.requireFiles,
        },
        files,
      )
    : {
        name: project,
        directory,
        files: [specFile],
        variables: projectVariables({ envFiles: source.envFiles, projectDirectory: directory, workingDir: path.dirname(specFile), processEnv: options.processEnv }, files),
        model: { name: project },
        interpolation: emptyInterpolation(),
        diagnostics: [],
      };
  const own = composeDocument(body, specFile);
  // What the spec replaces or removes goes from the compose files' model first: the merge then
  // adds the spec's value to nothing.
  for (const at of takeMarkers(own, [])) removeAt(base.model, at);
  const canonical = resolveRelativePaths(canonicalizeProject(own, specFile), { baseDir: base.directory, home: options.processEnv.HOME, sourcesDir: base.directory });
  resolveHostFiles(canonical, { ...options, files, variables: base.variables, diagnostics: base.diagnostics });
  const model = resolveTags(mergeProjects(base.model, canonical));
  model.name = project;
  // a value the merge keeps without a place of its own (`"configs": null`) is placed at its composition
  if (!positionOf(model)) copySelfPosition(model, body);
  const composition: SpecComposition = { loaded: { ...base, model }, specFile, profiles: source.profiles };
  if (source.autoStart !== undefined) composition.autoStart = source.autoStart;
  if (source.podmanUser !== undefined) composition.podmanUser = source.podmanUser;
  return composition;
}

interface SourceSettings {
  composeFiles: string[];
  envFiles: string[];
  profiles: string[];
  projectDirectory?: string;
  autoStart?: boolean;
  podmanUser?: string;
}

/** The composition's own settings (key paths relative to it: withPathPrefix places them). */
function sourceSettings(body: RawMap): SourceSettings {
  const strings = (key: string): string[] => {
    const value = body[key];
    if (value === undefined || value === null) return [];
    const list = isRawList(value) ? value : [value];
    return list.map((item, i) => {
      if (typeof item !== "string") throw new KhepriError("expected a string", positionOf(isRawList(value) ? value : body, isRawList(value) ? i : key), [key]);
      return item;
    });
  };
  const settings: SourceSettings = {
    composeFiles: [...strings("composeFile"), ...strings("composeFiles")],
    envFiles: strings("envFiles"),
    profiles: strings("profiles"),
  };
  const dir = strings("projectDirectory")[0];
  if (dir !== undefined) settings.projectDirectory = dir;
  const user = strings("podmanUser")[0];
  if (user !== undefined && !isUserName(user)) {
    throw new KhepriError(`${JSON.stringify(user)} is not a user name: ${USER_NAME_RULE}`, positionOf(body, "podmanUser"), ["podmanUser"]);
  }
  if (user !== undefined) settings.podmanUser = user;
  if (body.autoStart !== undefined) {
    if (typeof body.autoStart !== "boolean") throw new KhepriError("expected true or false", positionOf(body, "autoStart"), ["autoStart"]);
    settings.autoStart = body.autoStart;
  }
  return settings;
}

/** The composition's compose content: spec names to compose names, positions kept. */
function composeDocument(body: RawMap, file: string): RawMap {
  const content: RawMap = {};
  copySelfPosition(content, body);
  for (const [key, value] of Object.entries(body)) {
    if ((SOURCE_KEYS as readonly string[]).includes(key)) continue;
    content[key] = key === "networks" || key === "volumes" ? namesToMap(value) : value;
    copyChildPosition(content, key, body, key);
  }
  const renamed = renameFields(content, Project, toComposeName, (from, fromKey, to, toKey) => {
    copyChildPosition(to, toKey, from, fromKey);
    const child = to[toKey];
    const original = from[fromKey];
    if (typeof child === "object" && child !== null && typeof original === "object" && original !== null) copySelfPosition(child, original);
  });
  if (!isRawMap(renamed)) throw new KhepriError("a composition is an object", { file, line: 1, col: 1 });
  return renamed;
}

/**
 * Unwraps `{"!override": v}` to `v` and drops `{"!reset": null}` keys, in place; returns the key
 * paths of both, whose compose-file values are to go.
 */
function takeMarkers(map: RawMap, at: string[]): string[][] {
  const found: string[][] = [];
  for (const [key, value] of Object.entries(map)) {
    const marker = specMarker(value);
    if (marker === OVERRIDE) map[key] = (value as RawMap)[OVERRIDE]!;
    else if (marker) delete map[key];
    if (marker) found.push([...at, key]);
    else if (isRawMap(value)) found.push(...takeMarkers(value, [...at, key]));
  }
  return found;
}

function removeAt(map: RawMap, at: readonly string[]): void {
  let parent: RawValue | undefined = map;
  for (const key of at.slice(0, -1)) parent = isRawMap(parent) && Object.hasOwn(parent, key) ? parent[key] : undefined;
  if (isRawMap(parent)) delete parent[at[at.length - 1]!];
}

/** The first khepri README lists volumes (and networks) by name: `volumes = [ "data" ]`. */
function namesToMap(value: RawValue): RawValue {
  if (!isRawList(value)) return value;
  const map: RawMap = {};
  value.forEach((name, i) => {
    if (typeof name !== "string") return;
    map[name] = {};
    setChildPosition(map, name, positionOf(value, i));
  });
  return map;
}

/** Where a compose key path of a composition stands in the spec: `compositions.<name>.` and the spec's names. */
export const specKeyPath = (composition: string) => (path: readonly (string | number)[]) => ["compositions", composition, ...toSpecPath(path)];
