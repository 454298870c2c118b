/**
 * `build:` as a oneshot unit that builds the image on the host before the
 * container starts, so the container never runs without its image.
 */
import path from "node:path";
import type { Build, Project } from "../model/index.ts";
import { buildUnit } from "./naming.ts";
import { shellCommand, shellQuote } from "./shell.ts";
import { emptyUnit, type OneshotPlan, type Runtime } from "./types.ts";

export interface BuildIssue {
  path: (string | number)[];
  message: string;
  /** A warning unless said. */
  level?: "note";
}

/** A remote context (git URL) names its Dockerfile itself; a host directory's is joined onto it. */
const isLocal = (context: string) => context.startsWith("/");

function dockerfilePath(build: Build): string {
  const dockerfile = build.dockerfile!;
  if (!build.context || !isLocal(build.context) || path.posix.isAbsolute(dockerfile)) return dockerfile;
  return path.posix.join(build.context, dockerfile);
}

function buildFlags(build: Build, variables: Readonly<Record<string, string>>, runtime: Runtime, issues: BuildIssue[], at: (string | number)[]): string[] {
  const flags: string[] = [];
  // A relative Dockerfile is relative to the context; docker build would resolve it against its working directory.
  if (build.dockerfile && !build.dockerfile_inline) flags.push(`--file=${dockerfilePath(build)}`);
  if (build.dockerfile_inline) flags.push("--file=-");
  for (const [k, v] of Object.entries(build.args ?? {})) {
    const value = v ?? variables[k];
    if (value !== undefined) flags.push(`--build-arg=${k}=${value}`);
  }
  if (build.target) flags.push(`--target=${build.target}`);
  for (const [k, v] of Object.entries(build.labels ?? {})) flags.push(`--label=${k}=${v}`);
  if (build.network) flags.push(`--network=${build.network}`);
  if (build.no_cache) flags.push("--no-cache");
  if (build.pull) flags.push("--pull");
  if (build.shm_size !== undefined) flags.push(`--shm-size=${build.shm_size}`);
  for (const [host, ips] of Object.entries(build.extra_hosts ?? {})) for (const ip of ips) flags.push(`--add-host=${host}:${ip}`);
  for (const platform of build.platforms ?? []) flags.push(`--platform=${platform}`);
  for (const [name, limit] of Object.entries(build.ulimits ?? {})) flags.push(`--ulimit=${name}=${limit.soft}:${limit.hard}`);
  for (const tag of build.tags ?? []) flags.push(`--tag=${tag}`);
  for (const key of ["ssh", "secrets", "cache_to", "additional_contexts", "entitlements", "isolation"] as const) {
    if (build[key] !== undefined) issues.push({ path: [...at, key], message: `build.${key} is not passed to ${runtime} build; ignored` });
  }
  // only a hint where to find layers: what is built is the same without it
  if (build.cache_from !== undefined) issues.push({ level: "note", path: [...at, "cache_from"], message: `build.cache_from is not passed to ${runtime} build (the image is the same, built without that cache)` });
  return flags;
}

export function buildUnits(runtime: Runtime, project: Project, variables: Readonly<Record<string, string>>, issues: BuildIssue[]): OneshotPlan[] {
  const units: OneshotPlan[] = [];
  for (const name in project.services) {
    const service = project.services[name]!;
    const build = service.build;
    if (!build) continue;
    const at = ["services", name, "build"];
    const image = service.image ?? `${project.name}-${name}`;
    const context = build.context!;
    const command = shellCommand([runtime, "build", `--tag=${image}`, ...buildFlags(build, variables, runtime, issues, at), context]);
    const script = build.dockerfile_inline !== undefined ? `printf '%s' ${shellQuote(build.dockerfile_inline)} | ${command}\n` : `${command}\n`;
    units.push({ unitName: buildUnit(runtime, service.container_name!), kind: "build", resource: image, script, unit: emptyUnit() });
  }
  return units;
}
