/**
 * Secrets on their way into the module, by one rule: a value written into the
 * module that was interpolated from a secret-looking variable (or interpolated
 * at all under a secret-looking key) is written to /nix/store, readable by every
 * local user. Which variables a value was made from is what the loader recorded
 * for the place it was written (Interpolation.sources): a value is never matched
 * by its text, so a literal that happens to equal a variable's value is not
 * blamed on it. One warning per cause, naming where it reaches the module.
 */
import type { Diagnostic, SourcePos } from "../diagnostics/index.ts";
import { looksSecret } from "../model/index.ts";
import { placeKey, type Interpolation } from "../normalize/index.ts";
import type { Project } from "../model/index.ts";

/** A private key in PEM (`RSA`, `EC`, `ENCRYPTED`, `OPENSSH` ...) or PGP armour: key material whatever its name. */
const KEY_MATERIAL = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/;

type Report = (level: Diagnostic["level"], message: string, path: readonly (string | number)[]) => void;

interface Sighting {
  /** The variable it carries the value of; undefined for key material written as is. */
  variable: string | undefined;
  /** The first place it was seen, the one the warning points at. */
  path: (string | number)[];
  /** `services web`, `configs tls`, ...: where it reaches the module, in order. */
  places: Map<string, string[]>;
}

interface Walk {
  sources: Interpolation["sources"];
  locate: (path: readonly (string | number)[]) => SourcePos | undefined;
  variables: Readonly<Record<string, string>>;
  /** Sightings by their cause: the variable's name ("" for key material). */
  causes: Map<string, Sighting>;
}

/** Warns about every secret the project writes into the module, once per cause. */
export function reportStoredSecrets(
  project: Project,
  interpolation: Interpolation,
  locate: Walk["locate"],
  variables: Walk["variables"],
  report: Report,
): void {
  const walk: Walk = { sources: interpolation.sources, locate, variables, causes: new Map() };
  for (const name in project.services) {
    const service = project.services[name]!;
    // `- KEY` (environment, build args): the value is taken from the variable of that name, as if written `${KEY}`
    for (const [settings, at] of [[service.environment, ["environment"]], [service.build?.args, ["build", "args"]]] as const) {
      for (const key in settings) if (settings[key] === null && variables[key] !== undefined && looksSecret(key)) sighted(walk, key, ["services", name, ...at, key]);
    }
  }
  for (const name in project.configs) {
    const config = project.configs[name]!;
    const at = ["configs", name];
    if (config.environment !== undefined && looksSecret(config.environment) && variables[config.environment] !== undefined) sighted(walk, config.environment, [...at, "environment"]);
    if (config.content !== undefined && KEY_MATERIAL.test(config.content)) sighted(walk, undefined, [...at, "content"]);
  }
  // Only values interpolation made can carry a variable: with none, there is nothing to look at.
  if (walk.sources.size) visit(project as unknown as Record<string, unknown>, [], walk);
  for (const [, sighting] of walk.causes) report("warning", message(sighting), sighting.path);
}

/** Every value of the project, by its key path. */
function visit(value: unknown, path: (string | number)[], walk: Walk): void {
  if (value === null || value === undefined) return;
  if (typeof value === "object") {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(value[i], path, walk);
        path.pop();
      }
    } else {
      for (const key in value) {
        path.push(key);
        visit((value as Record<string, unknown>)[key], path, walk);
        path.pop();
      }
    }
    return;
  }
  const pos = walk.locate(path);
  const from = pos && walk.sources.get(placeKey(pos));
  if (!from) return;
  // the secret-looking variables it was made from; under a secret-looking key, whichever it was made from
  const key = path[path.length - 1];
  let blamed: readonly string[] = from.filter(looksSecret);
  if (!blamed.length && typeof key === "string" && looksSecret(key)) blamed = from;
  for (const variable of blamed) sighted(walk, variable, written(path, pos, walk));
}

/** The path of what was written at `pos`: a short syntax's whole entry (`volumes[0]`), not the part of it a leaf is. */
function written(path: readonly (string | number)[], pos: SourcePos, walk: Walk): (string | number)[] {
  let end = path.length;
  while (end > 1) {
    const up = walk.locate(path.slice(0, end - 1));
    if (!up || placeKey(up) !== placeKey(pos)) break;
    end--;
  }
  return path.slice(0, end);
}

function sighted(walk: Walk, variable: string | undefined, path: readonly (string | number)[]): void {
  const cause = variable ?? "";
  let sighting = walk.causes.get(cause);
  if (!sighting) walk.causes.set(cause, (sighting = { variable, path: [...path], places: new Map() }));
  const kind = String(path[0]);
  const name = path.length > 1 ? String(path[1]) : "";
  let names = sighting.places.get(kind);
  if (!names) sighting.places.set(kind, (names = []));
  if (name && !names.includes(name)) names.push(name);
}

function message(sighting: Sighting): string {
  const where: string[] = [];
  for (const [kind, names] of sighting.places) where.push(names.length ? `${kind} ${names.join(", ")}` : kind);
  const variable = sighting.variable;
  const what = variable === undefined ? "key material (a private key)" : `the value of ${variable}`;
  const looks = variable !== undefined && !looksSecret(variable) ? " under a key that looks like a secret" : "";
  return (
    `${what}${looks} is written into the module (${where.join("; ")}) and so into /nix/store, readable by every local user; ` +
    "keep it in an env_file or a secrets: file on the host (sops-nix, agenix) instead"
  );
}
