/**
 * Relative paths in a compose file (bind mounts, env files, build contexts,
 * secret and config files, extends files) resolve against a base directory:
 * the project directory for the files given with -f, the file's own directory
 * for extends and include. Runs on canonical (long-syntax) trees.
 */
import path from "node:path";
import { KhepriError } from "../diagnostics/index.ts";
import { isRawList, isRawMap, positionOf, type RawMap, type RawValue } from "./raw.ts";

export interface PathContext {
  baseDir: string;
  /** Home directory for `~`; undefined when unknown (then `~` is an error). */
  home: string | undefined;
}

/** A build context or the like that names a remote source rather than a directory. */
const isRemote = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith("git@") || s.startsWith("github.com/");

export function resolveHostPath(value: string, ctx: PathContext, at: () => [object, string | number, (string | number)[]]): string {
  if (value === "~" || value.startsWith("~/")) {
    if (!ctx.home) {
      const [container, key, keyPath] = at();
      throw new KhepriError(`cannot expand "~" in "${value}": HOME is not set`, positionOf(container, key), keyPath);
    }
    return path.join(ctx.home, value.slice(1));
  }
  // compose-go keeps a Windows absolute path as written.
  if (/^[A-Za-z]:[\\/]/.test(value)) return value;
  // an absolute path path.resolve would leave as it is (no `.`, `..` or empty segment, no final `/`)
  if (path.sep === "/" && value.startsWith("/") && !value.endsWith("/") && !/\/\.{0,2}(?:\/|$)/.test(value)) return value;
  return path.resolve(ctx.baseDir, value);
}

/** Resolves, in place, every relative host path of one canonical file tree. */
export function resolveRelativePaths(doc: RawMap, ctx: PathContext): RawMap {
  const services = doc.services;
  if (isRawMap(services)) {
    for (const [name, service] of Object.entries(services)) {
      if (isRawMap(service)) resolveServicePaths(service, ctx, ["services", name]);
    }
  }
  for (const kind of ["secrets", "configs"] as const) {
    const group = doc[kind];
    if (!isRawMap(group)) continue;
    for (const [name, entry] of Object.entries(group)) {
      if (isRawMap(entry)) resolveKey(entry, "file", ctx, [kind, name]);
    }
  }
  return doc;
}

export function resolveServicePaths(service: RawMap, ctx: PathContext, at: (string | number)[]): void {
  const build = service.build;
  if (isRawMap(build) && typeof build.context === "string" && !isRemote(build.context)) {
    resolveKey(build, "context", ctx, [...at, "build"]);
  }
  if (isRawMap(service.extends)) resolveKey(service.extends, "file", ctx, [...at, "extends"]);
  forEachEntry(service.env_file, (entry, i) => resolveKey(entry, "path", ctx, [...at, "env_file", i]));
  forEachEntry(service.volumes, (entry, i) => {
    if (entry.type === "bind") resolveKey(entry, "source", ctx, [...at, "volumes", i]);
  });
  const labelFile = service.label_file;
  if (typeof labelFile === "string") resolveKey(service, "label_file", ctx, at);
  else if (isRawList(labelFile)) labelFile.forEach((_, i) => resolveKey(labelFile, i, ctx, [...at, "label_file"]));
}

function forEachEntry(list: RawValue | undefined, visit: (entry: RawMap, index: number) => void): void {
  if (!isRawList(list)) return;
  list.forEach((entry, i) => {
    if (isRawMap(entry)) visit(entry, i);
  });
}

function resolveKey(container: RawMap | RawValue[], key: string | number, ctx: PathContext, at: (string | number)[]): void {
  const value = (container as Record<string | number, RawValue>)[key];
  if (typeof value !== "string" || value === "") return;
  const resolved = resolveHostPath(value, ctx, () => [container, key, [...at, key]]);
  (container as Record<string | number, RawValue>)[key] = resolved;
}
