/**
 * Profiles and the service filter: which services a `docker compose up`
 * with these `--profile`s (and service names) would start.
 */
import type { Diagnostic } from "../diagnostics/index.ts";
import { own, type Project, type Service } from "../model/index.ts";
import type { Locate } from "./located.ts";

export function isActive(service: Service, active: ReadonlySet<string>): boolean {
  const profiles = service.profiles;
  return profiles === undefined || profiles.length === 0 || active.has("*") || profiles.some((p) => active.has(p));
}

/** Drops services whose profiles are all inactive, with a note for each. */
export function applyProfiles(project: Project, active: ReadonlySet<string>, locate: Locate, diagnostics: Diagnostic[]): Project {
  const services: Project["services"] = {};
  for (const name in project.services) {
    const service = project.services[name]!;
    if (isActive(service, active)) {
      services[name] = service;
      continue;
    }
    const path = ["services", name, "profiles"];
    diagnostics.push({
      level: "note",
      message: `service "${name}" left out: its profiles (${service.profiles!.join(", ")}) are not active (activate with --profile)`,
      pos: locate(path),
      path,
    });
  }
  return { ...project, services };
}

/** Keeps the selected services and everything they depend on. */
export function selectServices(project: Project, selected: readonly string[], locate: Locate): Project {
  if (!selected.length) return project;
  const keep = new Set<string>();
  const visit = (name: string) => {
    if (keep.has(name)) return;
    const service = own(project.services, name);
    if (!service) throw locate.error(`unknown service "${name}" (given with --service)`, []);
    keep.add(name);
    for (const [dep, spec] of Object.entries(service.depends_on ?? {})) if (spec.required || own(project.services, dep)) visit(dep);
  };
  selected.forEach(visit);
  const services = Object.fromEntries(Object.entries(project.services).filter(([name]) => keep.has(name)));
  return { ...project, services };
}
