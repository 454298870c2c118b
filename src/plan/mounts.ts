/**
 * `volumes:`, `tmpfs:`, `secrets:` and `configs:` of a service as mounts. Bind
 * and named mounts use the typed `volumes` option where `-v` can say it; what
 * only `--mount` can say (subpath, no host-path creation, image mounts) goes to
 * extraOptions. Secret and config files are bind-mounted read-only from the
 * host, so their contents never enter /nix/store.
 */
import path from "node:path";
import type { FileMount, Project, Service, ServiceVolume } from "../model/index.ts";
import { volumeUnit } from "./naming.ts";
import type { Runtime, VolumeEntry } from "./types.ts";

/** A mount that no runtime flag can express. */
export class MountError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

export interface MountIssue {
  level: "warning" | "note";
  path: (string | number)[];
  message: string;
}

export interface ServiceMounts {
  volumes: VolumeEntry[];
  extraOptions: string[];
  /** Units of the project's named volumes this container needs. */
  units: string[];
  /** Host paths of bind mounts (for RequiresMountsFor and host-path creation). */
  bindSources: string[];
  /** Bind sources to create before the container starts, where the runtime would not. */
  createHostPaths: string[];
  issues: MountIssue[];
}

const mountOpt = (k: string, v: string | number | boolean) => `${k}=${v}`;

function bindOptions(v: ServiceVolume): string[] {
  const opts: string[] = [];
  if (v.read_only) opts.push("ro");
  if (v.bind?.selinux) opts.push(v.bind.selinux);
  if (v.bind?.propagation) opts.push(v.bind.propagation);
  return opts;
}

function volumeOptions(v: ServiceVolume): string[] {
  const opts: string[] = [];
  if (v.read_only) opts.push("ro");
  if (v.volume?.nocopy) opts.push("nocopy");
  return opts;
}

const withOptions = (spec: string, opts: string[]) => (opts.length ? `${spec}:${opts.join(",")}` : spec);

/** `--mount` for what `-v` cannot express. */
function mountFlag(fields: [string, string | number | boolean | undefined][]): string {
  return `--mount=${fields.filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => (v === true ? k : mountOpt(k, v!))).join(",")}`;
}

export function serviceMounts(
  runtime: Runtime,
  name: string,
  service: Service,
  project: Project,
  variables: Readonly<Record<string, string>>,
): ServiceMounts {
  const out: ServiceMounts = { volumes: [], extraOptions: [], units: [], bindSources: [], createHostPaths: [], issues: [] };
  const volumes = service.volumes;
  if (volumes) for (let i = 0; i < volumes.length; i++) addVolume(runtime, volumes[i]!, project, out, name, i);
  const tmpfs = service.tmpfs;
  if (tmpfs) for (let i = 0; i < tmpfs.length; i++) out.extraOptions.push(`--tmpfs=${tmpfs[i]}`);
  if (service.secrets) addFileMounts("secrets", service.secrets, project, variables, out, name);
  if (service.configs) addFileMounts("configs", service.configs, project, variables, out, name);
  return out;
}

/** The `i`th `volumes:` entry's path, for a message (made only then: this runs for every mount). */
const volumePath = (service: string, i: number): (string | number)[] => ["services", service, "volumes", i];

/**
 * Whether a missing bind source may be created as a directory (compose creates missing short-syntax
 * bind sources): never a path that names a socket, nor anything under /proc, /sys or /dev, where a
 * directory would take the place of what a daemon or the kernel provides later. Those go to the
 * runtime as --mount, which refuses a missing source instead of creating it.
 */
export function mayCreateHostPath(source: string): boolean {
  if (/\.(sock|socket)$/.test(source)) return false;
  return !/^\/(proc|sys|dev)(\/|$)/.test(path.posix.normalize(source));
}

function addVolume(runtime: Runtime, v: ServiceVolume, project: Project, out: ServiceMounts, service: string, i: number): void {
  switch (v.type) {
    case "bind": {
      const source = v.source!;
      out.bindSources.push(source);
      if (source.includes(",") || v.target.includes(",")) {
        throw new MountError(volumePath(service, i), "a bind mount path containing \",\" cannot be passed to the runtime");
      }
      const create = v.bind?.create_host_path !== false && mayCreateHostPath(source);
      if (!create || source.includes(":") || v.target.includes(":")) {
        // -v splits on ":" and creates a missing source; --mount does neither.
        out.extraOptions.push(mountFlag([["type", "bind"], ["source", source], ["target", v.target], ["readonly", !!v.read_only], ["bind-propagation", v.bind?.propagation]]));
        if (create) out.createHostPaths.push(source);
        return;
      }
      // docker creates a missing -v source itself (compose's create_host_path); podman refuses.
      if (runtime === "podman") out.createHostPaths.push(source);
      out.volumes.push(withOptions(`${source}:${v.target}`, bindOptions(v)));
      return;
    }
    case "volume": {
      if (!v.source) {
        out.volumes.push(v.target);
        return;
      }
      const volume = project.volumes[v.source]!;
      if (!volume.external) out.units.push(volumeUnit(runtime, volume.name!));
      if (v.volume?.subpath) {
        const subpathKey = runtime === "docker" ? "volume-subpath" : "subpath";
        out.extraOptions.push(
          mountFlag([["type", "volume"], ["source", volume.name!], ["target", v.target], ["readonly", !!v.read_only], ["volume-nocopy", !!v.volume.nocopy], [subpathKey, v.volume.subpath]]),
        );
        return;
      }
      out.volumes.push(withOptions(`${volume.name}:${v.target}`, volumeOptions(v)));
      return;
    }
    case "tmpfs": {
      const opts = [v.tmpfs?.size !== undefined ? `size=${v.tmpfs.size}` : "", v.tmpfs?.mode !== undefined ? `mode=${modeText(v.tmpfs.mode)}` : "", v.read_only ? "ro" : ""].filter(Boolean);
      out.extraOptions.push(`--tmpfs=${withOptions(v.target, opts)}`);
      return;
    }
    case "image":
      out.extraOptions.push(mountFlag([["type", "image"], ["source", v.source], ["target", v.target], ["subpath", v.image?.subpath]]));
      return;
    default:
      out.issues.push({ level: "warning", path: volumePath(service, i), message: `volume type "${v.type}" is not supported on Linux hosts; not mounted` });
  }
}

/** compose writes tmpfs modes as octal numbers (YAML reads 1777 as decimal); the flag wants octal text. */
const modeText = (mode: number | string) => (typeof mode === "number" ? mode.toString(8) : mode);

function addFileMounts(
  kind: "secrets" | "configs",
  refs: readonly FileMount[],
  project: Project,
  variables: Readonly<Record<string, string>>,
  out: ServiceMounts,
  service: string,
): void {
  refs.forEach((ref, i) => {
    const def = project[kind][ref.source]!;
    const target = fileMountTarget(kind, ref);
    if (ref.uid !== undefined || ref.gid !== undefined || ref.mode !== undefined) {
      out.issues.push({ level: "warning", path: ["services", service, kind, i], message: "uid, gid and mode only apply to swarm secrets/configs; the file keeps its host owner and mode" });
    }
    // External secrets/configs live in a swarm; the resource itself is reported once.
    if (def.external) return;
    if (def.file) {
      if (def.file.includes(",") || target.includes(",")) throw new MountError([kind, ref.source, "file"], "a path containing \",\" cannot be mounted by the runtime");
      // -v splits on ":"; --mount does not.
      if (def.file.includes(":") || target.includes(":")) out.extraOptions.push(mountFlag([["type", "bind"], ["source", def.file], ["target", target], ["readonly", true]]));
      else out.volumes.push(`${def.file}:${target}:ro`);
      return;
    }
    const storeText = (text: string) => ({ storeText: { name: `${project.name}-${kind.slice(0, -1)}-${ref.source}`, text }, target });
    if ("content" in def && def.content !== undefined) {
      out.volumes.push(storeText(def.content));
      return;
    }
    if (def.environment) {
      const value = variables[def.environment];
      const defPath = [kind, ref.source, "environment"];
      if (value === undefined) {
        out.issues.push({ level: "warning", path: defPath, message: `variable ${def.environment} is not set; ${kind.slice(0, -1)} "${ref.source}" not mounted` });
        return;
      }
      // compose reads the variable when it starts the stack; here that is now, so the
      // value can only travel in the module, that is through /nix/store.
      if (kind === "secrets") {
        out.issues.push({
          level: "warning",
          path: defPath,
          message: `secret "${ref.source}" comes from variable ${def.environment}: its value is written to /nix/store, readable by every local user; point \`file:\` at a host file (sops-nix, agenix) instead`,
        });
      }
      out.volumes.push(storeText(value));
      return;
    }
    out.issues.push({ level: "warning", path: [kind, ref.source], message: `${kind.slice(0, -1)} "${ref.source}" has no file or content; not mounted` });
  });
}

/** Secrets go to /run/secrets/<name> (a relative target too); configs to /<name>. */
export function fileMountTarget(kind: "secrets" | "configs", ref: FileMount): string {
  if (kind === "secrets") return ref.target ? path.posix.resolve("/run/secrets", ref.target) : `/run/secrets/${ref.source}`;
  return path.posix.resolve("/", ref.target ?? ref.source);
}
