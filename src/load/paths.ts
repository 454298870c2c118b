/**
 * Relative paths in a compose file (bind mounts, env files, label files, build
 * contexts and ssh files, secret and config files, extends files, seccomp
 * profiles, local bind volumes' devices) resolve against a base directory:
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
  /**
   * Where the file's compose sources (`extends.file`) resolve: `baseDir`, except where the
   * compose files were copied away from the project directory (a composition's compose files are
   * copied into the Nix store while bind mounts and env files stay on the host): their directory.
   */
  sourcesDir: string;
}

/**
 * The paths of a file `include`d or `extends`ed from, in directory `dir`: its relative paths
 * resolve against its own directory: the same place relative to the project directory as the file
 * is to the compose files' sources (the same directory unless they were copied away: through the
 * module, a bind mount `./data` of `sub/compose.yaml` is `<project>/sub/data` on the host, not a
 * path in the store).
 */
export function fileDirectoryPaths(paths: PathContext, dir: string): PathContext {
  const within = path.relative(paths.sourcesDir, dir);
  // (a file elsewhere, named by an absolute path or through `..`, was not copied: it is where it is)
  const baseDir = within.startsWith("..") || path.isAbsolute(within) ? dir : path.resolve(paths.baseDir, within);
  return { home: paths.home, baseDir, sourcesDir: dir };
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
  return path.resolve(ctx.baseDir, value);
}

/** Resolves, in place, every relative host path of one canonical file tree. */
export function resolveRelativePaths(doc: RawMap, ctx: PathContext): RawMap {
  const services = doc.services;
  if (isRawMap(services)) {
    for (const name in services) {
      const service = services[name];
      if (isRawMap(service)) resolveServicePaths(service, ctx, ["services", name]);
    }
  }
  const volumes = doc.volumes;
  if (isRawMap(volumes)) {
    for (const name in volumes) {
      const volume = volumes[name];
      if (isRawMap(volume)) resolveBindDevice(volume, ctx, ["volumes", name]);
    }
  }
  for (const kind of ["secrets", "configs"] as const) {
    const group = doc[kind];
    if (!isRawMap(group)) continue;
    for (const name in group) {
      const entry = group[name];
      if (isRawMap(entry)) resolveKey(entry, "file", ctx, [kind, name]);
    }
  }
  return doc;
}

// (The key paths below are made from `at` and the keys in between only for a message: this
// runs for every mount and env file of every service.)

export function resolveServicePaths(service: RawMap, ctx: PathContext, at: (string | number)[]): void {
  const build = service.build;
  if (isRawMap(build) && typeof build.context === "string" && !isRemote(build.context)) {
    resolveKey(build, "context", ctx, at, "build");
  }
  if (isRawMap(build)) {
    // compose-go: ssh keys' files and local additional contexts resolve like the context
    const ssh = build.ssh;
    if (isRawMap(ssh)) for (const id in ssh) resolveKey(ssh, id, ctx, at, "build", undefined, "ssh");
    const contexts = build.additional_contexts;
    if (isRawMap(contexts)) {
      for (const name in contexts) {
        const context = contexts[name];
        if (typeof context === "string" && !context.includes("://") && !context.startsWith("service:") && !isRemote(context)) resolveKey(contexts, name, ctx, at, "build", undefined, "additional_contexts");
      }
    }
  }
  if (isRawMap(service.extends)) resolveKey(service.extends, "file", { ...ctx, baseDir: ctx.sourcesDir }, at, "extends");
  const securityOpts = service.security_opt;
  if (isRawList(securityOpts)) for (let i = 0; i < securityOpts.length; i++) resolveSeccompProfile(securityOpts, i, ctx, at);
  const envFiles = service.env_file;
  if (isRawList(envFiles)) {
    for (let i = 0; i < envFiles.length; i++) {
      const entry = envFiles[i];
      if (isRawMap(entry)) resolveKey(entry, "path", ctx, at, "env_file", i);
    }
  }
  const volumes = service.volumes;
  if (isRawList(volumes)) {
    for (let i = 0; i < volumes.length; i++) {
      const entry = volumes[i];
      if (isRawMap(entry) && entry.type === "bind") resolveKey(entry, "source", ctx, at, "volumes", i);
    }
  }
  const labelFile = service.label_file;
  if (typeof labelFile === "string") resolveKey(service, "label_file", ctx, at);
  else if (isRawList(labelFile)) labelFile.forEach((_, i) => resolveKey(labelFile, i, ctx, at, "label_file"));
}

/**
 * `security_opt: ["seccomp:./profile.json"]` (or `seccomp=`): docker compose reads the profile
 * relative to the project directory (pkg/compose/create.go, parseSecurityOpts); the unit runs
 * from `/`, so the path is resolved here. `unconfined` and `builtin` name no file.
 */
function resolveSeccompProfile(opts: RawValue[], i: number, ctx: PathContext, at: (string | number)[]): void {
  const opt = opts[i];
  if (typeof opt !== "string") return;
  const match = /^seccomp([=:])(.+)$/.exec(opt);
  if (!match || match[2] === "unconfined" || match[2] === "builtin") return;
  const profile = resolveHostPath(match[2]!, ctx, () => [opts, i, [...at, "security_opt", i]]);
  opts[i] = `seccomp${match[1]}${profile}`;
}

/** A local volume bound to a host directory (`driver_opts: {o: bind, device: ./data}`): compose-go resolves the device. */
function resolveBindDevice(volume: RawMap, ctx: PathContext, at: (string | number)[]): void {
  const opts = volume.driver_opts;
  if ((volume.driver !== undefined && volume.driver !== "local") || !isRawMap(opts) || opts.o !== "bind") return;
  resolveKey(opts, "device", ctx, at, "driver_opts");
}

/** Resolves `container[key]`; the container sits at `at`, then `field`, `index` and `subfield` when given. */
function resolveKey(container: RawMap | RawValue[], key: string | number, ctx: PathContext, at: (string | number)[], field?: string, index?: number, subfield?: string): void {
  const value = (container as Record<string | number, RawValue>)[key];
  if (typeof value !== "string" || value === "") return;
  const resolved = resolveHostPath(value, ctx, () => {
    const keyPath = [...at];
    if (field !== undefined) keyPath.push(field);
    if (index !== undefined) keyPath.push(index);
    if (subfield !== undefined) keyPath.push(subfield);
    keyPath.push(key);
    return [container, key, keyPath];
  });
  (container as Record<string | number, RawValue>)[key] = resolved;
}
