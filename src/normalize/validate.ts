/**
 * Validation of a merged, canonical document into the typed model, with zod's
 * complaints turned into located KhepriErrors (`compose.yaml:3:12:
 * services.web.cpus: expected a number, got "lots"`).
 */
import type { z } from "zod";
import { KhepriError } from "../diagnostics/index.ts";
import { positionAtPath, type RawMap, type RawValue } from "../load/index.ts";
import { fieldsAt, Project, specName } from "../model/index.ts";
import { closestName } from "./suggest.ts";

type Path = (string | number)[];

/** zod's type names in compose's words. */
const KIND: Record<string, string> = { array: "a list", object: "a mapping", record: "a mapping", string: "a string", number: "a number", boolean: "true or false", int: "an integer" };

function valueAt(root: RawValue, path: readonly PropertyKey[]): RawValue | undefined {
  let node: RawValue | undefined = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, RawValue>)[key as string | number];
  }
  return node;
}

/**
 * What an unknown key was probably meant to be: the closest field of the mapping it is in. A JSON
 * spec takes both the spec's names and compose's, so both are candidates there.
 */
function didYouMean(key: string, at: Path, spec: boolean): string {
  const fields = fieldsAt(at);
  const candidates = spec ? [...fields.map(specName), ...fields] : fields;
  const closest = closestName(key, candidates);
  return closest === undefined ? "" : `; did you mean ${JSON.stringify(closest)}?`;
}

/** One zod issue as a located error about the user's document (`spec`: a JSON spec's composition). */
export function issueToError(doc: RawMap, issue: z.core.$ZodIssue, spec = false): KhepriError {
  const path: Path = issue.path.filter((k): k is string | number => typeof k !== "symbol");
  let detail = issue.message;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const hint = didYouMean(key, path, spec);
    path.push(key);
    detail = issue.keys.length > 1 ? `unknown keys ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}` : `unknown key ${JSON.stringify(key)}`;
    detail += hint && issue.keys.length > 1 ? hint.replace("did you mean", `${JSON.stringify(key)}: did you mean`) : hint;
  } else {
    const value = valueAt(doc, path);
    if (issue.code === "invalid_type") detail = `expected ${KIND[issue.expected] ?? issue.expected}`;
    // every alternative of a union refused the value's type: name them all instead of zod's "Invalid input"
    if (issue.code === "invalid_union") {
      const kinds = issue.errors.map((branch) => branch[0]).map((i) => (i?.code === "invalid_type" && i.path.length === 0 ? (KIND[i.expected] ?? i.expected) : undefined));
      if (kinds.length > 0 && kinds.every((k) => k !== undefined)) detail = `expected ${[...new Set(kinds)].join(", ").replace(/, ([^,]*)$/, " or $1")}`;
    }
    // a record key refused by its schema (`ulimits: {NOFILE: ...}`): say why
    if (issue.code === "invalid_key" && issue.issues[0]) detail = issue.issues[0].message;
    if (value === undefined && issue.code === "invalid_type") detail = `is required (${detail})`;
    else if (value !== undefined && (typeof value !== "object" || value === null)) detail += `, got ${JSON.stringify(value)}`;
  }
  // An unknown or refused key is about the key itself: point at it, not at its value.
  const aboutKey = issue.code === "unrecognized_keys" || issue.code === "invalid_key";
  return new KhepriError(detail, positionAtPath(doc, path, aboutKey), path);
}

/** Validates a canonical, merged document; throws a KhepriError for the first problem found. */
export function validateProject(doc: RawMap, spec = false): z.infer<typeof Project> {
  const result = Project.safeParse(doc);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  if (!first) throw new KhepriError("invalid compose project");
  throw issueToError(doc, first, spec);
}
