/**
 * Names and references of top-level resources: the implicit `default`
 * network, `<project>_<key>` names (or `name:`; external ones keep their own),
 * container names, and a check that everything a service refers to exists.
 */
import type { Diagnostic } from "../diagnostics/index.ts";
import { isRawMap, type RawMap } from "../load/index.ts";
import { own, type Project, type Service } from "../model/index.ts";
import type { Locate } from "./located.ts";

const DEFAULT_NETWORK = "default";

/** Services that neither name networks nor take another network mode join `default`. */
const joinsDefaultNetwork = (service: Service): boolean => !service.networks && !service.network_mode;

function checkService(name: string, service: Service, project: Project, locate: Locate): void {
  if (!service.image && !service.build) throw locate.error(`service "${name}" has neither an image nor a build context`, ["services", name]);
  if (service.network_mode && service.networks) {
    throw locate.error("network_mode and networks cannot both be set", ["services", name, "network_mode"]);
  }
  for (const network in service.networks) {
    if (network !== DEFAULT_NETWORK && !own(project.networks, network)) {
      throw locate.error(`service "${name}" refers to undefined network "${network}"`, ["services", name, "networks", network]);
    }
  }
  const volumes = service.volumes ?? [];
  for (let i = 0; i < volumes.length; i++) {
    const volume = volumes[i]!;
    if ((volume.type === "bind" || volume.type === "image") && !volume.source) {
      throw locate.error(`a ${volume.type} mount needs a source`, ["services", name, "volumes", i]);
    }
    if (volume.type === "volume" && volume.source && !own(project.volumes, volume.source)) {
      throw locate.error(`service "${name}" refers to undefined volume "${volume.source}"`, ["services", name, "volumes", i]);
    }
  }
  checkFileMounts(name, "secrets", service.secrets, project, locate);
  checkFileMounts(name, "configs", service.configs, project, locate);
}

function checkFileMounts(name: string, kind: "secrets" | "configs", refs: Service["secrets"], project: Project, locate: Locate): void {
  if (refs === undefined) return;
  for (let i = 0; i < refs.length; i++) {
    if (!own(project[kind], refs[i]!.source)) {
      throw locate.error(`service "${name}" refers to undefined ${kind.slice(0, -1)} "${refs[i]!.source}"`, ["services", name, kind, i]);
    }
  }
}

/**
 * `container_name: ""` (as `${UNSET}` gives): compose-go reads an empty name as none, so the
 * service gets the default name. Removed from the raw tree before validation, which refuses "".
 */
export function dropEmptyContainerNames(doc: RawMap, locate: Locate, diagnostics: Diagnostic[]): void {
  const services = doc.services;
  if (!isRawMap(services)) return;
  for (const name in services) {
    const service = services[name];
    if (!isRawMap(service) || service.container_name !== "") continue;
    const path = ["services", name, "container_name"];
    diagnostics.push({ level: "note", message: "container_name is empty (an unset variable?): the default container name is used, as docker compose does", pos: locate(path), path });
    delete service.container_name;
  }
}

export function resolveResources(project: Project, directory: string, locate: Locate, diagnostics: Diagnostic[]): Project {
  const services: Project["services"] = {};
  const containers = new Map<string, string>();
  let usesDefault = false;
  for (const name in project.services) {
    const service = project.services[name]!;
    // (the default network, added below in the one copy made of each service, needs no check)
    checkService(name, service, project, locate);
    const container = service.container_name ?? `${project.name}-${name}`;
    const other = containers.get(container);
    if (other !== undefined) {
      // Two containers with one name cannot both run (compose-go refuses this too).
      throw locate.error(`container name "${container}" is also the name of service "${other}"'s container`, ["services", name, ...(service.container_name ? ["container_name"] : [])]);
    }
    containers.set(container, name);
    const resolved: Service = joinsDefaultNetwork(service)
      ? { ...service, networks: { [DEFAULT_NETWORK]: null }, container_name: container }
      : { ...service, container_name: container };
    // compose builds in the project directory when `build:` names no context.
    if (resolved.build && resolved.build.context === undefined) resolved.build = { ...resolved.build, context: directory };
    if (resolved.networks && DEFAULT_NETWORK in resolved.networks) usesDefault = true;
    services[name] = resolved;
  }
  const networks = { ...project.networks };
  if (usesDefault && !networks[DEFAULT_NETWORK]) networks[DEFAULT_NETWORK] = {};
  const networkNames = named("networks", networks, project.name, locate, diagnostics);
  const volumeNames = named("volumes", project.volumes, project.name, locate, diagnostics);
  checkEngineNames("networks", networkNames, networks, locate);
  checkEngineNames("volumes", volumeNames, project.volumes, locate);
  return {
    ...project,
    services,
    networks: networkNames,
    volumes: volumeNames,
    secrets: named("secrets", project.secrets, project.name, locate, diagnostics),
    configs: named("configs", project.configs, project.name, locate, diagnostics),
  };
}

/**
 * What podman accepts as a network or volume name (docker's volume rule, too, less its two-character
 * minimum). The name becomes part of systemd unit names (`podman-network-<name>.service`) and of the
 * runtime's command lines: a newline would start a new line of a unit file, a leading `-` an option.
 */
const ENGINE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function checkEngineNames(kind: "networks" | "volumes", entries: Record<string, { name: string }>, given: Record<string, { name?: string | undefined }>, locate: Locate): void {
  for (const key in entries) {
    const name = entries[key]!.name;
    if (ENGINE_NAME.test(name)) continue;
    const what = kind === "networks" ? "network" : "volume";
    const at = own(given, key)?.name !== undefined ? [kind, key, "name"] : [kind, key];
    throw locate.error(`${JSON.stringify(name)} is not a ${what} name the runtime accepts: a letter or digit, then letters, digits, '_', '.' and '-'`, at);
  }
}

/**
 * Top-level resources with their names: `name:`, else an external one's key, else `<project>_<key>`.
 * An empty `name:` (as `${UNSET}` gives) counts as none, as in compose-go; keys are unique, so two
 * such resources get two names.
 */
function named<T extends { name?: string | undefined; external?: boolean | undefined }>(
  kind: string,
  entries: Record<string, T>,
  project: Project["name"],
  locate: Locate,
  diagnostics: Diagnostic[],
): Record<string, T & { name: string }> {
  const out: Record<string, T & { name: string }> = {};
  for (const key in entries) {
    const value = entries[key]!;
    const name = value.name || (value.external ? key : `${project}_${key}`);
    if (value.name === "") {
      const path = [kind, key, "name"];
      diagnostics.push({ level: "note", message: `name is empty (an unset variable?): "${name}" is used, as docker compose does`, pos: locate(path), path });
    }
    out[key] = { ...value, name };
  }
  return out;
}
