/**
 * Names and references of top-level resources: the implicit `default`
 * network, `<project>_<key>` names (or `name:`; external ones keep their own),
 * container names, and a check that everything a service refers to exists.
 */
import type { Project, Service } from "../model/index.ts";
import type { Locate } from "./located.ts";

const DEFAULT_NETWORK = "default";

/** Services that neither name networks nor take another network mode join `default`. */
function withDefaultNetwork(service: Service): Service {
  if (service.networks || service.network_mode) return service;
  return { ...service, networks: { [DEFAULT_NETWORK]: null } };
}

function checkService(name: string, service: Service, project: Project, locate: Locate): void {
  const at = ["services", name];
  if (!service.image && !service.build) throw locate.error(`service "${name}" has neither an image nor a build context`, at);
  if (service.network_mode && service.networks) {
    throw locate.error("network_mode and networks cannot both be set", [...at, "network_mode"]);
  }
  for (const network of Object.keys(service.networks ?? {})) {
    if (network !== DEFAULT_NETWORK && !project.networks[network]) {
      throw locate.error(`service "${name}" refers to undefined network "${network}"`, [...at, "networks", network]);
    }
  }
  (service.volumes ?? []).forEach((volume, i) => {
    if ((volume.type === "bind" || volume.type === "image") && !volume.source) {
      throw locate.error(`a ${volume.type} mount needs a source`, [...at, "volumes", i]);
    }
    if (volume.type === "volume" && volume.source && !project.volumes[volume.source]) {
      throw locate.error(`service "${name}" refers to undefined volume "${volume.source}"`, [...at, "volumes", i]);
    }
  });
  for (const kind of ["secrets", "configs"] as const) {
    (service[kind] ?? []).forEach((ref, i) => {
      if (!project[kind][ref.source]) {
        throw locate.error(`service "${name}" refers to undefined ${kind.slice(0, -1)} "${ref.source}"`, [...at, kind, i]);
      }
    });
  }
}

export function resolveResources(project: Project, directory: string, locate: Locate): Project {
  const services: Project["services"] = {};
  const containers = new Map<string, string>();
  for (const [name, service] of Object.entries(project.services)) {
    const joined = withDefaultNetwork(service);
    checkService(name, joined, project, locate);
    const container = joined.container_name ?? `${project.name}-${name}`;
    const other = containers.get(container);
    if (other !== undefined) {
      // Two containers with one name cannot both run (compose-go refuses this too).
      throw locate.error(`container name "${container}" is also the name of service "${other}"'s container`, ["services", name, ...(joined.container_name ? ["container_name"] : [])]);
    }
    containers.set(container, name);
    services[name] = { ...joined, container_name: container };
    // compose builds in the project directory when `build:` names no context.
    if (joined.build && joined.build.context === undefined) services[name]!.build = { ...joined.build, context: directory };
  }
  const networks = { ...project.networks };
  const usesDefault = Object.values(services).some((s) => s.networks && DEFAULT_NETWORK in s.networks);
  if (usesDefault && !networks[DEFAULT_NETWORK]) networks[DEFAULT_NETWORK] = {};
  const named = <T extends { name?: string | undefined; external?: boolean | undefined }>(entries: Record<string, T>) =>
    Object.fromEntries(
      Object.entries(entries).map(([key, value]) => [key, { ...value, name: value.name ?? (value.external ? key : `${project.name}_${key}`) }]),
    );
  return {
    ...project,
    services,
    networks: named(networks),
    volumes: named(project.volumes),
    secrets: named(project.secrets),
    configs: named(project.configs),
  };
}
