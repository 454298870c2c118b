/**
 * depends_on as docker compose sees it: explicit entries plus the implicit
 * ones that `network_mode: service:`, `ipc: service:`, `pid: service:`, `links`
 * and `volumes_from` create; every reference checked, cycles rejected.
 */
import type { Diagnostic } from "../diagnostics/index.ts";
import { own, type DependsOn, type Project, type Service } from "../model/index.ts";
import type { Locate } from "./located.ts";

interface ImplicitDependency {
  service: string;
  path: (string | number)[];
}

const SERVICE_MODES = ["network_mode", "ipc", "pid"] as const;
const NONE: Readonly<Record<string, DependsOn>> = {};
const NO_LIST: readonly string[] = [];

/** `service:X` in network_mode/ipc/pid, `links: [X[:alias]]`, `volumes_from: [X[:ro]]`. */
export function implicitDependencies(name: string, service: Service): ImplicitDependency[] {
  const found: ImplicitDependency[] = [];
  for (const key of SERVICE_MODES) {
    const value = service[key];
    if (typeof value === "string" && value.startsWith("service:")) found.push({ service: value.slice(8), path: ["services", name, key] });
  }
  const links = service.links ?? NO_LIST;
  for (let i = 0; i < links.length; i++) found.push({ service: links[i]!.split(":")[0]!, path: ["services", name, "links", i] });
  const volumesFrom = service.volumes_from ?? NO_LIST;
  for (let i = 0; i < volumesFrom.length; i++) {
    const from = volumesFrom[i]!;
    if (!from.startsWith("container:")) found.push({ service: from.split(":")[0]!, path: ["services", name, "volumes_from", i] });
  }
  return found;
}

export function resolveDependencies(
  project: Project,
  inactive: ReadonlyMap<string, readonly string[]>,
  locate: Locate,
  diagnostics: Diagnostic[],
): Project {
  const services: Project["services"] = {};
  for (const name in project.services) {
    const service = project.services[name]!;
    const implicit = implicitDependencies(name, service);
    for (let i = 0; i < implicit.length; i++) {
      const dep = implicit[i]!;
      if (!own(project.services, dep.service)) throw missing(name, dep.service, project.services, inactive, locate, dep.path);
    }
    // A service whose depends_on comes out as it is written (no implicit or dropped entries) is kept as it is.
    let changed = implicit.length > 0;
    const explicit = service.depends_on ?? NONE;
    for (const dep in explicit) {
      const spec = explicit[dep]!;
      if (dep === name) throw locate.error(`service "${name}" depends on itself`, ["services", name, "depends_on", dep]);
      if (!own(project.services, dep)) {
        const path = ["services", name, "depends_on", dep];
        if (spec.required) throw missing(name, dep, project.services, inactive, locate, path);
        diagnostics.push({ level: "note", message: `optional dependency "${dep}" is not part of the project; ignored`, pos: locate(path), path });
        changed = true;
      }
    }
    services[name] = changed ? withDependsOn(service, dependsOnOf(implicit, explicit, project.services)) : service;
  }
  rejectCycles(services, locate);
  return { ...project, services };
}

/** The implicit dependencies, then the explicit ones on services of the project (an explicit entry overriding an implicit one). */
function dependsOnOf(implicit: ImplicitDependency[], explicit: Readonly<Record<string, DependsOn>>, services: Project["services"]): Record<string, DependsOn> {
  const dependsOn: Record<string, DependsOn> = {};
  for (let i = 0; i < implicit.length; i++) dependsOn[implicit[i]!.service] = { condition: "service_started", required: true };
  for (const dep in explicit) if (own(services, dep)) dependsOn[dep] = explicit[dep]!;
  return dependsOn;
}

/** The service with these dependencies; without a depends_on key when none is left (all were optional and absent). */
function withDependsOn(service: Service, dependsOn: Record<string, DependsOn>): Service {
  if (Object.keys(dependsOn).length) return { ...service, depends_on: dependsOn };
  const { depends_on: _dropped, ...rest } = service;
  return rest;
}

/** How many service names a "not defined" message lists (a typo is usually obvious from a few). */
const LISTED_SERVICES = 20;

function missing(name: string, dep: string, services: Project["services"], inactive: ReadonlyMap<string, readonly string[]>, locate: Locate, path: (string | number)[]) {
  const profiles = inactive.get(dep);
  const names = Object.keys(services);
  const listed = names.length > LISTED_SERVICES ? [...names.slice(0, LISTED_SERVICES), "…"] : names;
  const hint = profiles ? `, which is only in profile(s) ${profiles.join(", ")}: activate one with --profile` : `, which is not defined (services: ${listed.join(", ")})`;
  return locate.error(`service "${name}" depends on "${dep}"${hint}`, path);
}

function rejectCycles(services: Project["services"], locate: Locate): void {
  const state = new Map<string, "visiting" | "done">();
  // the services being visited, outermost first
  const chain: string[] = [];
  const visit = (name: string) => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...chain.slice(chain.indexOf(name)), name];
      throw locate.error(`dependency cycle: ${cycle.join(" -> ")}`, ["services", name, "depends_on"]);
    }
    state.set(name, "visiting");
    chain.push(name);
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) visit(dep);
    chain.pop();
    state.set(name, "done");
  };
  for (const name of Object.keys(services)) visit(name);
}
