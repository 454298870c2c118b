/**
 * Scalar schemas shared by the compose model.
 *
 * Interpolation works on text, so a value the spec types as a number or a
 * boolean often reaches us as a string (`cpus: "${CPUS}"`). compose-go coerces
 * such strings while decoding; these schemas do the same, and reject anything
 * that does not read as the wanted type with a message that says what was expected.
 */
import * as z from "zod";

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const isExtension = (key: string) => key.startsWith("x-");

/** Drops `x-*` extension keys so strict objects only complain about real unknown keys. */
export function stripExtensions(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!isExtension(k)) out[k] = v;
  return out;
}

/** A strict object (unknown keys are errors) that accepts and drops `x-*` extensions. */
export const ext = <S extends z.core.$ZodLooseShape>(shape: S) => z.preprocess(stripExtensions, z.strictObject(shape));

// Go's strconv.ParseBool spellings, which compose-go accepts for booleans.
const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

export const bool = z.preprocess((v) => {
  if (typeof v === "string") {
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  return v;
}, z.boolean({ error: "expected a boolean (true or false)" }));

const numeric = (v: unknown) => (typeof v === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : v);

export const int = z.preprocess(numeric, z.number({ error: "expected an integer" }).int("expected an integer"));
export const number = z.preprocess(numeric, z.number({ error: "expected a number" }));

/** Text the spec wants as a string even when YAML read it as a number or boolean (`FOO: 1`). */
export const str = z.preprocess(
  (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
  z.string({ error: "expected a string" }),
);

export const stringList = z.array(z.string());
/** A list whose entries the spec allows as numbers too (`expose: [80]`), kept as strings. */
export const strList = z.array(str);

// Go's time.ParseDuration, which compose-go uses for every duration field.
// (built from a string: its source, shown in `khepri schema`, keeps the µ/μ characters; esbuild
// writes the bundle in ASCII and would escape them in a regular expression literal)
const DURATION = new RegExp("^[-+]?(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$");

/** Go's duration units and their length in seconds. */
export const DURATION_UNIT_SECONDS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
export const duration = z
  .string({ error: "expected a duration such as 30s or 1m30s" })
  .regex(DURATION, "expected a duration such as 30s or 1m30s");

// docker/go-units RAMInBytes, which compose-go uses for byte sizes.
const BYTES = /^\s*-?(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?\s*$/;
/** A byte size: a number of bytes or a string such as `512m` / `1g`; kept as given. */
export const byteSize = z.union([
  z.number(),
  z.string().regex(BYTES, "expected a byte size such as 512m or 1g"),
]);

/** `KEY: value` maps (labels, sysctls, …): values coerced to strings, null read as "". */
export const labels = z.record(
  z.string(),
  z.preprocess((v) => (v === null ? "" : v), str),
);

/** `KEY: value` maps where null means "unset / take from the environment" (environment, build.args). */
export const mappingWithEquals = z.record(z.string(), str.nullable());

/** Driver options: values the spec allows as string or number, kept as strings. */
export const options = z.record(z.string(), str);

/** A record where a bare null (`net:` with no body) means an empty definition. */
export const nullAsEmpty = (v: unknown) => (v === null ? {} : v);
