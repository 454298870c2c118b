/**
 * The normalize stage: the loader's merged raw tree -> the typed, checked and
 * completed model (`Project`), as `docker compose config` would show it for
 * the active profiles. Later stages read only this and `locate`.
 */
import { redactDiagnostics, withRedactions, type Diagnostic, type SourcePos } from "../diagnostics/index.ts";
import { secretRedactions, type Interpolation, type LoadedProject } from "../load/index.ts";
import { own, type Project } from "../model/index.ts";

// What later stages need of the loader's interpolation record, through this stage's public face.
export { placeKey, secretRedactions, type Interpolation } from "../load/index.ts";
import { validateProject } from "./validate.ts";
import { resolveDependencies } from "./dependencies.ts";
import { locatorFor } from "./located.ts";
import { applyProfiles, isActive, selectServices } from "./profiles.ts";
import { dropEmptyContainerNames, resolveResources } from "./resources.ts";

export interface NormalizeOptions {
  /** Active profiles (`--profile`, else COMPOSE_PROFILES). */
  profiles: readonly string[];
  /** `--service`: only these and their dependencies. */
  services?: readonly string[];
  /** The project is a JSON spec's composition (messages may use the spec's names). */
  spec?: boolean;
}

export interface NormalizedProject {
  project: Project;
  /** Directory relative paths were resolved against. */
  directory: string;
  /** Where a key path of the model was written, for messages. */
  locate: (path: readonly (string | number)[]) => SourcePos | undefined;
  /** Which variables each interpolated value was made from. */
  interpolation: Interpolation;
  /** Variables of the project environment (.env and process), for `environment: [KEY]` entries. */
  variables: Readonly<Record<string, string>>;
  diagnostics: Diagnostic[];
}

export function activeProfiles(flags: readonly string[], variables: Readonly<Record<string, string>>): string[] {
  if (flags.length) return [...flags];
  return (variables.COMPOSE_PROFILES ?? "").split(",").map((p) => p.trim()).filter(Boolean);
}

export function normalizeProject(loaded: LoadedProject, options: NormalizeOptions): NormalizedProject {
  // No message shows a secret variable's value (a value quoted in an error, say).
  const redactions = () => secretRedactions(loaded.interpolation);
  const normalized = withRedactions(redactions, () => normalizeLoaded(loaded, options));
  redactDiagnostics(normalized.diagnostics, redactions());
  return normalized;
}

function normalizeLoaded(loaded: LoadedProject, options: NormalizeOptions): NormalizedProject {
  const locate = locatorFor(loaded.model);
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  dropEmptyContainerNames(loaded.model, locate, diagnostics);
  const validated = validateProject(loaded.model, options.spec);
  // A service named with --service starts whatever its profiles: docker compose activates them.
  const targeted = (options.services ?? []).flatMap((name) => own(validated.services, name)?.profiles ?? []);
  const active = new Set([...options.profiles, ...targeted]);
  const inactive = new Map<string, readonly string[]>();
  for (const name in validated.services) {
    const service = validated.services[name]!;
    if (!isActive(service, active)) inactive.set(name, service.profiles ?? []);
  }
  let project = applyProfiles(validated, active, locate, diagnostics);
  project = resolveDependencies(project, inactive, locate, diagnostics);
  project = selectServices(project, options.services ?? [], locate);
  project = resolveResources(project, loaded.directory, locate, diagnostics);
  return {
    project,
    directory: loaded.directory,
    locate,
    interpolation: loaded.interpolation,
    variables: loaded.variables,
    diagnostics,
  };
}
