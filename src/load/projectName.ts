/**
 * The project name, by docker compose's precedence: `-p`, then
 * COMPOSE_PROJECT_NAME, then the top-level `name:`, then the project
 * directory's base name. Names given by the user must already be valid; one
 * derived from a directory is normalized.
 */
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * What compose keeps of a directory's name: lower-cased (which may turn a letter into ASCII ones),
 * the characters `[a-z0-9_-]`, from the first letter or digit on.
 */
export function normalizeProjectName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[^a-z0-9]+/, "");
}

export interface ProjectNameSources {
  flag?: string | undefined;
  environment?: string | undefined;
  file?: { value: string; pos: SourcePos | undefined } | undefined;
  /** A JSON spec's composition key, which is the project name. */
  composition?: { value: string; pos: SourcePos | undefined } | undefined;
  /** Absolute and normalized, as path.resolve gives it. */
  directory: string;
}

export function projectNameFrom(sources: ProjectNameSources): string {
  const { composition, file } = sources;
  // The first one given (and not empty), by precedence.
  if (composition?.value) return givenName(composition.value, "the composition's name", composition.pos, []);
  if (sources.flag) return givenName(sources.flag, "-p/--project");
  if (sources.environment) return givenName(sources.environment, "COMPOSE_PROJECT_NAME");
  if (file?.value) return givenName(file.value, "name", file.pos, ["name"]);
  // the directory's base name (it is absolute and normalized, as path.resolve made it)
  const directory = sources.directory;
  const derived = normalizeProjectName(directory.slice(directory.lastIndexOf("/") + 1));
  if (!derived) throw new KhepriError(`cannot derive a project name from directory ${sources.directory}; set one with -p or name:`);
  return derived;
}

/** A name the user gave, which must be valid as it is. */
function givenName(value: string, origin: string, pos?: SourcePos, keyPath?: (string | number)[]): string {
  if (!VALID.test(value)) {
    throw new KhepriError(
      `project name "${value}" (from ${origin}) must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit`,
      pos,
      pos ? keyPath : undefined,
    );
  }
  return value;
}
