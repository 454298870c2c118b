/**
 * The zod API the compose model is written in (`z.string()`, `.optional()`,
 * `z.preprocess(...)`, `.refine(...)`), as light stand-ins typed as zod's own.
 *
 * Why not zod itself: in a fresh process, building the model with zod costs
 * ~13 ms and its first `safeParse` ~10 ms more (schema set-up, generated code
 * per object), most of what a conversion costs. These stand-ins record each
 * call. `safeParse` checks a value with the small interpreter below, which
 * follows zod's rules for input it accepts (the same output: defaults,
 * preprocess coercions, key order, absent optional keys). When that check fails
 * (or meets something it does not model) the same model is built in real zod,
 * replaying the recorded calls, and zod's answer is returned: its issues and
 * messages are the ones users see. `toJSONSchema` uses the real model too.
 * test/fast-paths.test.ts compares both on the corpus and on mutations of it.
 *
 * A zod method missing here fails as soon as the model loads ("… is not a
 * function"): add it to `Lite` with its rule, or as `opaque` (the interpreter
 * then always asks real zod).
 */
import type * as Z from "zod";
import type * as Full from "./zodFull.ts";

export type { core, infer, input, output, ZodType } from "zod";

type Optin = "optional" | "defaulted" | undefined;
type Check =
  | { kind: "regex"; re: RegExp }
  | { kind: "int" }
  | { kind: "gte" | "gt" | "lte" | "lt" | "minLength" | "maxLength"; n: number }
  | { kind: "refine"; fn: (v: unknown) => unknown };
/** zod's def, with the same field names (src/model/specNames.ts walks it), plus checks. */
type Def = { type: string; checks?: Check[]; [key: string]: any };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyZod = any;
type Make = (z: typeof Full.z) => AnyZod;

interface Internals {
  def: Def;
  optin: Optin;
  optout: Optin;
  /** Builds this schema in real zod. */
  make: Make;
  real: AnyZod;
}

let full: typeof Full.z | undefined;
/** Real zod, evaluated on first use (a `require` so the bundle defers it; see zodFull.ts). */
const realZod = (): typeof Full.z => (full ??= (require("./zodFull.ts") as typeof Full).z);
const real = (s: Lite): AnyZod => (s._zod.real ??= s._zod.make(realZod()));
const realShape = (shape: Record<string, Lite>) => {
  const out: Record<string, AnyZod> = {};
  for (const key of Object.keys(shape)) out[key] = real(shape[key]!);
  return out;
};

// Kinds, for the interpreter: every Lite has the same fields (k, a, b, c, …), so its reads stay monomorphic.
const STRING = 1, NUMBER = 2, BOOLEAN = 3, NULL = 4, ANY = 5, VALUES = 6, ARRAY = 7, RECORD = 8, OBJECT = 9;
const UNION = 10, OPTIONAL = 11, NULLABLE = 12, DEFAULT = 13, PIPE = 14, TRANSFORM = 15, OTHER = 0;
const KINDS: Record<string, number> = {
  string: STRING, number: NUMBER, boolean: BOOLEAN, null: NULL, any: ANY, unknown: ANY, enum: VALUES, literal: VALUES,
  array: ARRAY, record: RECORD, object: OBJECT, union: UNION, optional: OPTIONAL, nullable: NULLABLE, default: DEFAULT,
  pipe: PIPE, transform: TRANSFORM,
};

class Lite {
  readonly _zod: Internals;
  /** The kind and its parts, from the def (see `run`). */
  readonly k: number;
  readonly a: any;
  readonly b: any;
  readonly c: any;
  readonly d: any;
  readonly checks: Check[] | undefined;
  readonly oi: Optin;
  readonly oo: Optin;
  constructor(def: Def, make: Make, optin?: Optin, optout?: Optin) {
    this._zod = { def, make, optin, optout, real: undefined };
    const k = KINDS[def.type] ?? OTHER;
    this.k = k;
    this.a =
      k === ARRAY ? def.element
      : k === RECORD ? def.keyType
      : k === OBJECT ? Object.keys(def.shape)
      : k === UNION ? def.options
      : k === OPTIONAL || k === NULLABLE || k === DEFAULT ? def.innerType
      : k === PIPE ? def.in
      : k === TRANSFORM ? def.transform
      : k === VALUES ? def.values
      : undefined;
    this.b = k === RECORD ? def.valueType : k === OBJECT ? Object.values(def.shape) : k === PIPE ? def.out : k === DEFAULT ? def : undefined;
    // a transform's arity, read once here rather than at every call (`length` is an accessor)
    this.c = k === OBJECT ? def.catchall : k === TRANSFORM ? def.transform.length : undefined;
    // an object's field index, by key; undefined when a key is also a property every object has
    // (`toString`): zod tests presence with `in`, which the fast loop in `run` does not
    this.d =
      k === OBJECT && !Object.keys(def.shape).some((key) => key in Object.prototype)
        ? new Map(Object.keys(def.shape).map((key, i) => [key, i]))
        : undefined;
    this.checks = def.checks;
    this.oi = optin;
    this.oo = optout;
  }
  get shape(): Record<string, Lite> | undefined {
    return this._zod.def.shape;
  }
  safeParse(value: unknown): AnyZod {
    const data = run(this, value);
    return data === FAIL ? real(this).safeParse(value) : { success: true, data };
  }
  parse(value: unknown): unknown {
    const data = run(this, value);
    return data === FAIL ? real(this).parse(value) : data;
  }
  optional(): Lite {
    const inner = this._zod;
    return new Lite({ type: "optional", innerType: this }, () => real(this).optional(), inner.optin === "defaulted" ? "defaulted" : "optional", "optional");
  }
  nullable(): Lite {
    return new Lite({ type: "nullable", innerType: this }, () => real(this).nullable(), this._zod.optin, this._zod.optout);
  }
  nullish(): Lite {
    return this.nullable().optional();
  }
  default(value: unknown): Lite {
    const def: Def = {
      type: "default",
      innerType: this,
      // zod hands out a shallow copy of the default each time (or calls it, if a function)
      get defaultValue() {
        return typeof value === "function" ? value() : shallowClone(value);
      },
    };
    return new Lite(def, () => real(this).default(value), "defaulted", undefined);
  }
  pipe(out: Lite): Lite {
    return new Lite({ type: "pipe", in: this, out }, () => real(this).pipe(real(out)), this._zod.optin, out._zod.optout);
  }
  transform(fn: (v: unknown) => unknown): Lite {
    return new Lite({ type: "pipe", in: this, out: transform(fn) }, () => real(this).transform(fn), this._zod.optin, undefined);
  }
  array(): Lite {
    return array(this);
  }
  or(other: Lite): Lite {
    return union([this, other]);
  }
  describe(description: string): Lite {
    return this.with(undefined, () => real(this).describe(description));
  }
  meta(meta: unknown): Lite {
    return this.with(undefined, () => real(this).meta(meta));
  }
  refine(fn: (v: unknown) => unknown, params?: unknown): Lite {
    return this.with({ kind: "refine", fn }, () => real(this).refine(fn, params));
  }
  regex(re: RegExp, params?: unknown): Lite {
    return this.with({ kind: "regex", re }, () => real(this).regex(re, params));
  }
  int(params?: unknown): Lite {
    return this.with({ kind: "int" }, () => real(this).int(params));
  }
  min(n: number, params?: unknown): Lite {
    return this.with({ kind: this._zod.def.type === "number" ? "gte" : "minLength", n }, () => real(this).min(n, params));
  }
  max(n: number, params?: unknown): Lite {
    return this.with({ kind: this._zod.def.type === "number" ? "lte" : "maxLength", n }, () => real(this).max(n, params));
  }
  gte(n: number, params?: unknown): Lite {
    return this.with({ kind: "gte", n }, () => real(this).gte(n, params));
  }
  gt(n: number, params?: unknown): Lite {
    return this.with({ kind: "gt", n }, () => real(this).gt(n, params));
  }
  lte(n: number, params?: unknown): Lite {
    return this.with({ kind: "lte", n }, () => real(this).lte(n, params));
  }
  lt(n: number, params?: unknown): Lite {
    return this.with({ kind: "lt", n }, () => real(this).lt(n, params));
  }
  nonnegative(params?: unknown): Lite {
    return this.with({ kind: "gte", n: 0 }, () => real(this).nonnegative(params));
  }
  positive(params?: unknown): Lite {
    return this.with({ kind: "gt", n: 0 }, () => real(this).positive(params));
  }
  nonempty(params?: unknown): Lite {
    return this.with({ kind: "minLength", n: 1 }, () => real(this).nonempty(params));
  }
  /** The same schema with one more check (or none: a description), as zod's clone-with-check. */
  private with(check: Check | undefined, make: Make): Lite {
    const def = { ...Object.getOwnPropertyDescriptors(this._zod.def) };
    const copy = Object.defineProperties({}, def) as Def;
    if (check) copy.checks = [...(this._zod.def.checks ?? []), check];
    return new Lite(copy, make, this._zod.optin, this._zod.optout);
  }
}

// ---------------------------------------------------------------- factories

const leaf = (type: string, make: Make, extra?: Record<string, unknown>) => new Lite({ type, ...extra }, make);

/** Methods of the real zod schema that have no stand-in: the model is then checked by real zod only. */
function opaque(make: Make): Lite {
  return new Lite({ type: "opaque" }, make);
}

function transform(fn: (v: unknown, ctx?: unknown) => unknown): Lite {
  return new Lite({ type: "transform", transform: fn }, (z) => z.transform(fn), "optional", undefined);
}

function array(element: Lite, params?: unknown): Lite {
  return leaf("array", (z) => z.array(real(element), params as never), { element });
}

function union(options: Lite[], params?: unknown): Lite {
  const optin: Optin = options.some((o) => o._zod.optin === "defaulted")
    ? "defaulted"
    : options.some((o) => o._zod.optin !== undefined)
      ? "optional"
      : undefined;
  const optout: Optin = options.some((o) => o._zod.optout === "optional") ? "optional" : undefined;
  return new Lite({ type: "union", options }, (z) => z.union(options.map(real) as never, params as never), optin, optout);
}

/** zod's getEnumValues: an array, or a TypeScript enum object without its reverse mappings. */
function enumValues(entries: unknown): unknown[] {
  if (Array.isArray(entries)) return entries;
  const object = entries as Record<string, unknown>;
  const numeric = Object.values(object).filter((v) => typeof v === "number");
  return Object.entries(object)
    .filter(([k]) => !numeric.includes(+k))
    .map(([, v]) => v);
}

const CATCHALL_NEVER = leaf("never", (z) => z.never());
const CATCHALL_UNKNOWN = leaf("unknown", (z) => z.unknown());

function object(kind: "object" | "strictObject" | "looseObject", shape: Record<string, Lite>, params?: unknown): Lite {
  const catchall = kind === "strictObject" ? CATCHALL_NEVER : kind === "looseObject" ? CATCHALL_UNKNOWN : undefined;
  return leaf("object", (z) => z[kind](realShape(shape), params as never), { shape, catchall });
}

const api = {
  string: (params?: unknown) => leaf("string", (z) => z.string(params as never)),
  number: (params?: unknown) => leaf("number", (z) => z.number(params as never)),
  boolean: (params?: unknown) => leaf("boolean", (z) => z.boolean(params as never)),
  null: (params?: unknown) => leaf("null", (z) => z.null(params as never)),
  any: () => leaf("any", (z) => z.any()),
  unknown: () => leaf("unknown", (z) => z.unknown()),
  never: (params?: unknown) => leaf("never", (z) => z.never(params as never)),
  enum: (entries: unknown, params?: unknown) => leaf("enum", (z) => z.enum(entries as never, params as never), { entries, values: enumValues(entries) }),
  literal: (value: unknown, params?: unknown) =>
    leaf("literal", (z) => z.literal(value as never, params as never), { values: Array.isArray(value) ? value : [value] }),
  array,
  record: (keyType: Lite, valueType: Lite, params?: unknown) =>
    leaf("record", (z) => z.record(real(keyType), real(valueType), params as never), { keyType, valueType }),
  union,
  object: (shape: Record<string, Lite>, params?: unknown) => object("object", shape, params),
  strictObject: (shape: Record<string, Lite>, params?: unknown) => object("strictObject", shape, params),
  looseObject: (shape: Record<string, Lite>, params?: unknown) => object("looseObject", shape, params),
  transform,
  preprocess: (fn: (v: unknown, ctx?: unknown) => unknown, schema: Lite) => {
    const step = transform(fn);
    return new Lite({ type: "pipe", in: step, out: schema }, (z) => z.preprocess(fn, real(schema)), step._zod.optin, schema._zod.optout);
  },
  lazy: (getter: () => Lite) => opaque((z) => z.lazy(() => real(getter()))),
  toJSONSchema: (schema: Lite, params?: unknown) => realZod().toJSONSchema(real(schema), params as never),
};

// Typed as zod's own: the model's types are inferred by zod's declarations.
export const string = api.string as unknown as typeof Z.string;
export const number = api.number as unknown as typeof Z.number;
export const boolean = api.boolean as unknown as typeof Z.boolean;
const _null = api.null as unknown as typeof Z.null;
export const any = api.any as unknown as typeof Z.any;
export const unknown = api.unknown as unknown as typeof Z.unknown;
export const never = api.never as unknown as typeof Z.never;
const _enum = api.enum as unknown as typeof Z.enum;
export const literal = api.literal as unknown as typeof Z.literal;
const _array = api.array as unknown as typeof Z.array;
export const record = api.record as unknown as typeof Z.record;
const _union = api.union as unknown as typeof Z.union;
const _object = api.object as unknown as typeof Z.object;
export const strictObject = api.strictObject as unknown as typeof Z.strictObject;
export const looseObject = api.looseObject as unknown as typeof Z.looseObject;
const _transform = api.transform as unknown as typeof Z.transform;
export const preprocess = api.preprocess as unknown as typeof Z.preprocess;
export const lazy = api.lazy as unknown as typeof Z.lazy;
export const toJSONSchema = api.toJSONSchema as unknown as typeof Z.toJSONSchema;
export { _null as null, _enum as enum, _array as array, _union as union, _object as object, _transform as transform };

// ---------------------------------------------------------------- for tests

/** The interpreter's own answer, without asking real zod (test/fast-paths.test.ts). */
export function liteParse(schema: unknown, value: unknown): { ok: true; data: unknown } | { ok: false } {
  const data = run(schema as Lite, value);
  return data === FAIL ? { ok: false } : { ok: true, data };
}

/** The same schema built in real zod. */
export const realSchema = (schema: unknown): Z.ZodType => real(schema as Lite);

// ---------------------------------------------------------------- the interpreter

const FAIL: unique symbol = Symbol("invalid");
/** An object's slot for a key the input does not have. */
const ABSENT: unique symbol = Symbol("absent");
type Result = unknown;

const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

function shallowClone(value: unknown): unknown {
  if (Array.isArray(value)) return [...value];
  if (isPlain(value)) return { ...value };
  return value;
}

function passes(check: Check, value: unknown): boolean {
  switch (check.kind) {
    case "regex":
      check.re.lastIndex = 0;
      return check.re.test(value as string);
    case "int":
      return Number.isSafeInteger(value);
    case "gte":
      return (value as number) >= check.n;
    case "gt":
      return (value as number) > check.n;
    case "lte":
      return (value as number) <= check.n;
    case "lt":
      return (value as number) < check.n;
    case "minLength":
      return (value as { length: number }).length >= check.n;
    case "maxLength":
      return (value as { length: number }).length <= check.n;
    case "refine": {
      const ok = check.fn(value);
      return !!ok && !(ok instanceof Promise);
    }
  }
}

/**
 * `schema` applied to `value` the way zod parses valid input, or FAIL when zod
 * would report an issue (or might: anything unusual is left to zod).
 */
function run(schema: Lite, value: unknown): Result | typeof FAIL {
  let out: unknown = value;
  switch (schema.k) {
    case STRING:
      if (typeof value !== "string") return FAIL;
      break;
    case NUMBER:
      if (typeof value !== "number" || !Number.isFinite(value)) return FAIL;
      break;
    case BOOLEAN:
      if (typeof value !== "boolean") return FAIL;
      break;
    case NULL:
      if (value !== null) return FAIL;
      break;
    case ANY:
      break;
    case VALUES:
      if (!(schema.a as unknown[]).includes(value)) return FAIL;
      break;
    case ARRAY: {
      if (!Array.isArray(value)) return FAIL;
      const element: Lite = schema.a;
      const list = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        const item = run(element, value[i]);
        if (item === FAIL) return FAIL;
        list[i] = item;
      }
      out = list;
      break;
    }
    case RECORD: {
      const keyType: Lite = schema.a;
      // A record over an enum must have every key: zod's business. (zod also reads enumerable
      // symbol keys, and refuses them; compose data, from YAML or JSON, has none.)
      if (!isPlain(value) || keyType.k === VALUES) return FAIL;
      const valueType: Lite = schema.b;
      const map: Record<string, unknown> = {};
      for (const key in value) {
        if (key === "__proto__") continue;
        const k = keyType.k === STRING && keyType.checks === undefined ? key : run(keyType, key);
        if (typeof k !== "string" || k === "__proto__") return FAIL;
        const item = run(valueType, value[key]);
        if (item === FAIL) return FAIL;
        map[k] = item;
      }
      out = map;
      break;
    }
    case OBJECT: {
      if (!isPlain(value)) return FAIL;
      const keys = schema.a as string[];
      const fields = schema.b as Lite[];
      const index = schema.d as Map<string, number> | undefined;
      const catchall: Lite | undefined = schema.c;
      if (index === undefined) return FAIL;
      // The input's keys first (a few), into slots in the shape's order, rather than testing
      // each of the shape's keys (a service has ~90) against the input.
      const slots: unknown[] = new Array(keys.length).fill(ABSENT);
      let extra: string[] | undefined;
      for (const key in value) {
        const i = index.get(key);
        if (i !== undefined) slots[i] = value[key];
        else if (catchall) {
          if (catchall.k !== ANY || key === "__proto__") return FAIL;
          (extra ??= []).push(key);
        }
      }
      const map: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const field = fields[i]!;
        if (key === "__proto__") continue;
        const slot = slots[i];
        const present = slot !== ABSENT;
        const optin = field.oi;
        const optout = field.oo;
        // an absent optional key contributes nothing, whatever its schema makes of undefined
        if (!present && optin === "optional" && optout === "optional") continue;
        const item = run(field, present ? slot : undefined);
        if (item === FAIL) {
          if (optin !== undefined && optout === "optional" && !present) continue;
          return FAIL;
        }
        if (!present && optin === undefined) return FAIL;
        if (item === undefined) {
          if (present || (optin === "defaulted" && optout !== "optional")) map[key] = undefined;
        } else map[key] = item;
      }
      if (extra) for (const key of extra) map[key] = value[key];
      out = map;
      break;
    }
    case UNION: {
      out = FAIL;
      const options = schema.a as Lite[];
      for (let i = 0; i < options.length; i++) {
        const item = run(options[i]!, value);
        if (item !== FAIL) {
          out = item;
          break;
        }
      }
      if (out === FAIL) return FAIL;
      break;
    }
    case OPTIONAL: {
      const inner: Lite = schema.a;
      if (value === undefined) {
        if (inner.oi !== "defaulted") return undefined;
        const item = run(inner, undefined);
        out = item === FAIL ? undefined : item;
      } else {
        out = run(inner, value);
        if (out === FAIL) return FAIL;
      }
      break;
    }
    case NULLABLE:
      if (value !== null) {
        out = run(schema.a, value);
        if (out === FAIL) return FAIL;
      }
      break;
    case DEFAULT:
      if (value === undefined) out = schema.b.defaultValue;
      else {
        out = run(schema.a, value);
        if (out === FAIL) return FAIL;
        if (out === undefined) out = schema.b.defaultValue;
      }
      break;
    case PIPE: {
      const left = run(schema.a, value);
      if (left === FAIL) return FAIL;
      out = run(schema.b, left);
      if (out === FAIL) return FAIL;
      break;
    }
    case TRANSFORM: {
      const fn = schema.a as (v: unknown, ctx?: unknown) => unknown;
      if ((schema.c as number) < 2) out = fn(value);
      else {
        // a transform that may report issues through its context
        const issues: unknown[] = [];
        out = fn(value, { value, issues, addIssue: (issue: unknown) => void issues.push(issue) });
        if (issues.length) return FAIL;
      }
      if (out instanceof Promise) return FAIL;
      break;
    }
    default:
      // never, opaque: real zod decides
      return FAIL;
  }
  const checks = schema.checks;
  if (checks !== undefined) for (let i = 0; i < checks.length; i++) if (!passes(checks[i]!, out)) return FAIL;
  return out;
}
