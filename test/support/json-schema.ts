// A small JSON Schema (draft-07) checker, enough for the Compose spec's schema: type, properties,
// additionalProperties, patternProperties, required, $ref (local "#/..."), oneOf, anyOf, allOf,
// not, items, enum, const. Other keywords (format, pattern, minimum, uniqueItems, ...) are ignored,
// so it can only be less strict than a full validator: when it rejects a document, so would one.
// Test-only; the project takes no JSON Schema dependency.

export type JsonSchema = boolean | { [keyword: string]: unknown };

export interface SchemaError {
  /** where in the document, e.g. ["services", "web", "ports"] */
  path: (string | number)[];
  message: string;
}

const typeOf = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === "number") return actual === "number" || actual === "integer";
  return actual === type;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  if (!ref.startsWith("#")) throw new Error(`json-schema: only local $ref are supported, not ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    node = (node as Record<string, unknown>)?.[part];
    if (node === undefined) throw new Error(`json-schema: unresolvable $ref ${ref}`);
  }
  return node as JsonSchema;
}

/** All the ways `value` breaks `schema` (empty when valid). */
export function validateJsonSchema(root: JsonSchema, value: unknown): SchemaError[] {
  const errors: SchemaError[] = [];
  check(root, root, value, [], errors);
  return errors;
}

function check(root: JsonSchema, schema: JsonSchema, value: unknown, path: (string | number)[], errors: SchemaError[]): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push({ path, message: "no value is allowed here" });
    return;
  }
  const s = schema as Record<string, unknown>;

  if (typeof s.$ref === "string") {
    // draft-07: $ref ignores its siblings
    check(root, resolveRef(root, s.$ref), value, path, errors);
    return;
  }

  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => hasType(value, t))) {
      errors.push({ path, message: `expected ${types.join(" or ")}, got ${typeOf(value)}` });
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) {
    errors.push({ path, message: `expected one of ${JSON.stringify(s.enum)}, got ${JSON.stringify(value)}` });
  }
  if ("const" in s && !deepEqual(s.const, value)) errors.push({ path, message: `expected ${JSON.stringify(s.const)}` });

  if (Array.isArray(s.allOf)) for (const sub of s.allOf as JsonSchema[]) check(root, sub, value, path, errors);
  for (const keyword of ["anyOf", "oneOf"] as const) {
    if (!Array.isArray(s[keyword])) continue;
    const results = (s[keyword] as JsonSchema[]).map((sub) => validateAt(root, sub, value, path));
    const matches = results.filter((r) => r.length === 0).length;
    if (matches === 0) {
      // Like ajv's "best match": when only one alternative accepts the value's shape, its errors
      // (which point deeper, at the real mistake) are the ones to report.
      const sameShape = results.filter((r) => !r.some((e) => e.path.length === path.length && e.message.startsWith("expected ")));
      if (sameShape.length === 1) errors.push(...sameShape[0]!);
      else errors.push({ path, message: `matches none of ${keyword}` });
    } else if (keyword === "oneOf" && matches > 1) {
      errors.push({ path, message: `matches ${matches} of oneOf` });
    }
  }
  if (s.not !== undefined && validateAt(root, s.not as JsonSchema, value, path).length === 0) {
    errors.push({ path, message: "matches a forbidden schema (not)" });
  }

  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, JsonSchema>).map(
      ([p, sub]) => [new RegExp(p, "u"), sub] as const,
    );
    for (const key of (s.required ?? []) as string[]) {
      if (!Object.hasOwn(obj, key)) errors.push({ path, message: `missing required key ${JSON.stringify(key)}` });
    }
    for (const [key, child] of Object.entries(obj)) {
      let matched = false;
      if (Object.hasOwn(properties, key)) {
        matched = true;
        check(root, properties[key]!, child, [...path, key], errors);
      }
      for (const [re, sub] of patterns) {
        if (re.test(key)) {
          matched = true;
          check(root, sub, child, [...path, key], errors);
        }
      }
      if (!matched && s.additionalProperties !== undefined) {
        if (s.additionalProperties === false) errors.push({ path: [...path, key], message: `unknown key ${JSON.stringify(key)}` });
        else check(root, s.additionalProperties as JsonSchema, child, [...path, key], errors);
      }
    }
  }

  if (Array.isArray(value) && s.items !== undefined) {
    if (Array.isArray(s.items)) {
      (s.items as JsonSchema[]).forEach((sub, i) => {
        if (i < value.length) check(root, sub, value[i], [...path, i], errors);
      });
    } else {
      value.forEach((item, i) => check(root, s.items as JsonSchema, item, [...path, i], errors));
    }
  }
}

function validateAt(root: JsonSchema, schema: JsonSchema, value: unknown, path: (string | number)[]): SchemaError[] {
  const errors: SchemaError[] = [];
  check(root, schema, value, path, errors);
  return errors;
}
