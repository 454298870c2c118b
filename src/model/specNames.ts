/**
 * The JSON composition spec speaks camelCase (`containerName`, `capAdd`,
 * `environmentFiles`, `cmd`), the first khepri README's vocabulary; compose
 * files speak snake_case. The mapping is derived from the zod schemas: object
 * fields are renamed, record keys (service names, environment variables,
 * labels) never are.
 */
import type { z } from "zod";
import { Project } from "./compose.ts";

/** Spec names that are not plain camelCase of the compose key, kept from the first khepri README. */
const SPEC_NAME: Record<string, string> = { command: "cmd", env_file: "environmentFiles" };

export const camelCase = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const specName = (composeKey: string) => SPEC_NAME[composeKey] ?? camelCase(composeKey);

type Def = { type: string; [k: string]: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** The object shape a value of this schema is checked against, looking through wrappers. */
function unwrap(schema: unknown): Def {
  let def = defOf(schema);
  for (;;) {
    if (def.type === "pipe") def = defOf(def.out);
    else if (["optional", "nullable", "default", "readonly", "catch", "prefault", "nonoptional"].includes(def.type)) def = defOf(def.innerType);
    else if (def.type === "lazy") def = defOf((def.getter as () => unknown)());
    else return def;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Picks the branch of a union that can hold this value: objects for maps, arrays for lists. */
function branchFor(def: Def, value: unknown): Def | undefined {
  for (const option of def.options as unknown[]) {
    const d = unwrap(option);
    if (isObject(value) && (d.type === "object" || d.type === "record")) return d;
    if (Array.isArray(value) && d.type === "array") return d;
  }
  return undefined;
}

/**
 * How a spec value meets the compose files' value at its key (the spec's own words for compose's
 * `!override` and `!reset` tags, which JSON cannot write): `{"!override": value}` replaces it
 * whole instead of merging, `{"!reset": null}` removes it.
 */
export const OVERRIDE = "!override";
export const RESET = "!reset";

/** The marker's key when `value` is `{"!override": ...}` or `{"!reset": ...}`. */
export function specMarker(value: unknown): typeof OVERRIDE | typeof RESET | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  return keys[0] === OVERRIDE ? OVERRIDE : keys[0] === RESET ? RESET : undefined;
}

export type Rename = (key: string, fields: readonly string[]) => string | undefined;

/**
 * Walks `value` along `schema`, renaming object fields with `rename` (given the
 * field and the compose names of the object's fields). `onRename` lets the
 * caller carry source positions over to the new key.
 */
export function renameFields(
  value: unknown,
  schema: unknown,
  rename: Rename,
  onRename?: (from: Record<string, unknown>, fromKey: string, to: Record<string, unknown>, toKey: string) => void,
): unknown {
  // a marker's value is renamed as the value it stands for
  if (specMarker(value) === OVERRIDE) {
    const marker = value as Record<string, unknown>;
    const out = { [OVERRIDE]: renameFields(marker[OVERRIDE], schema, rename, onRename) };
    onRename?.(marker, OVERRIDE, out, OVERRIDE);
    return out;
  }
  let def = unwrap(schema);
  if (def.type === "union") def = branchFor(def, value) ?? def;
  if (def.type === "array" && Array.isArray(value)) return value.map((item) => renameFields(item, def.element, rename, onRename));
  if (!isObject(value)) return value;
  if (def.type === "record") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = renameFields(v, def.valueType, rename, onRename);
      onRename?.(value, k, out, k);
    }
    return out;
  }
  if (def.type !== "object") return value;
  const shape = def.shape as Record<string, unknown>;
  const fields = Object.keys(shape);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const target = rename(k, fields) ?? k;
    // (an unknown key is kept for the schema to report; `Object.hasOwn`: `constructor` is no field)
    out[target] = Object.hasOwn(shape, target) ? renameFields(v, shape[target], rename, onRename) : v;
    onRename?.(value, k, out, target);
  }
  return out;
}

/** Spec (camelCase) -> compose field names; compose spellings are accepted as they are. */
export const toComposeName: Rename = (key, fields) =>
  fields.includes(key) ? key : fields.find((f) => specName(f) === key || camelCase(f) === key);

/** Compose -> spec field names. */
export const toSpecName: Rename = (key, fields) => (fields.includes(key) ? specName(key) : key);

/** A project in the spec's vocabulary (what `--format json` writes for each composition). */
export function projectToSpec(project: z.infer<typeof Project>): unknown {
  return renameFields(project, Project, toSpecName);
}

/** JSON Schema of one composition in the spec's vocabulary, from the compose model's. */
export function toSpecJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toSpecJsonSchema);
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "properties" && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [specName(name), toSpecJsonSchema(sub)]));
    } else if (k === "required" && Array.isArray(v)) {
      out[k] = v.map((name) => specName(String(name)));
    } else out[k] = toSpecJsonSchema(v);
  }
  return out;
}

/** A schema's def, or for a union the branch that holds maps or lists. */
function containerDef(schema: unknown): Def | undefined {
  const def = schema === undefined ? undefined : unwrap(schema);
  return def?.type === "union" ? (def.options as unknown[]).map(unwrap).find((d) => ["object", "record", "array"].includes(d.type)) : def;
}

/** A compose key path in the spec's names (`services.web.dependsOn.db`), walking the model's schema. */
export function toSpecPath(path: readonly (string | number)[]): (string | number)[] {
  let schema: unknown = Project;
  return path.map((segment) => {
    const def = containerDef(schema);
    if (def?.type === "object" && typeof segment === "string") {
      const shape = def.shape as Record<string, unknown>;
      const field = Object.hasOwn(shape, segment);
      schema = field ? shape[segment] : undefined;
      return field ? specName(segment) : segment;
    }
    schema = def?.type === "record" ? def.valueType : def?.type === "array" ? def.element : undefined;
    return segment;
  });
}

/** The compose field names of the mapping at a key path (`["services", "web"]`: every service key), if it is one. */
export function fieldsAt(path: readonly (string | number)[]): string[] {
  let schema: unknown = Project;
  for (const segment of path) {
    const def = containerDef(schema);
    if (def?.type === "object" && typeof segment === "string") schema = Object.hasOwn(def.shape as object, segment) ? (def.shape as Record<string, unknown>)[segment] : undefined;
    else schema = def?.type === "record" ? def.valueType : def?.type === "array" ? def.element : undefined;
  }
  const def = containerDef(schema);
  return def?.type === "object" ? Object.keys(def.shape as object) : [];
}
