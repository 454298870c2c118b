/**
 * The zod API the compose model is written in (`z.string()`, `.optional()`,
 * `z.preprocess(...)`, `.refine(...)`), as light stand-ins typed as zod's own.
 *
 * Why not zod itself: in a fresh process, building the model with zod costs
 * ~13 ms and its first `safeParse` ~10 ms more (schema set-up, generated code
 * per object), most of what a conversion costs. These stand-ins record each
 * call in a def. `safeParse` checks a value with the schema's checker, compiled
 * from its def on first use (see `compile`), which follows zod's rules for input
 * it accepts (the same output: defaults, preprocess coercions, key order, absent
 * optional keys; unchanged parts of the input are handed back rather than copied,
 * see "Shared output"). When that check fails (or meets a kind it does not model)
 * the same model is built in real zod from the defs, and zod's answer is
 * returned: its issues and messages are the ones users see. `toJSONSchema` uses
 * the real model too. test/fast-paths.test.ts compares both on the corpus and on
 * mutations of it.
 *
 * A zod method missing here fails as soon as the model loads ("… is not a
 * function"): add it to `Lite` with its check, or as a kind the checkers leave to
 * zod (a schema holding it is then always checked by real zod).
 */
import type * as Z from "zod";
import { patternScan, type Scan } from "./patterns.ts";
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
/** Builds a schema in real zod, from the schema's def (one function per kind, shared: no closure per schema). */
type Make = (z: typeof Full.z, self: Lite) => AnyZod;

let full: typeof Full.z | undefined;
/** Real zod, evaluated on first use (a `require` so the bundle defers it; see zodFull.ts). */
const realZod = (): typeof Full.z => (full ??= (require("./zodFull.ts") as typeof Full).z);
const real = (s: Lite): AnyZod => (s.real ??= s.make(realZod(), s));
const realShape = (shape: Record<string, Lite>) => {
  const out: Record<string, AnyZod> = {};
  for (const key of Object.keys(shape)) out[key] = real(shape[key]!);
  return out;
};

/**
 * One schema: zod's def, optin and optout, how to build it in real zod, and its checker. It is
 * its own `_zod` (zod keeps these on a separate internals object): ~700 schemas are built at
 * every start, before any file is read, so each is one small object and a def, and nothing more.
 * (Fields are `declare`d and set in the constructor: no field initializers to run for each.)
 */
class Lite {
  declare readonly def: Def;
  declare readonly make: Make;
  declare readonly optin: Optin;
  declare readonly optout: Optin;
  /** The same schema in real zod, once built. */
  declare real: AnyZod;
  /**
   * `value` as zod outputs it, or FAIL: this schema's checker (see `compile`), built on first use,
   * so a process builds only the checkers its files reach and building the model stays cheap.
   */
  declare run: Checker;
  constructor(def: Def, make: Make, optin?: Optin, optout?: Optin) {
    this.def = def;
    this.make = make;
    this.optin = optin;
    this.optout = optout;
    this.real = undefined;
    this.run = compileOnFirstRun;
  }
  /** zod's internals (`_zod.def`, `_zod.optin`, ...), which src/model/specNames.ts reads. */
  get _zod(): Lite {
    return this;
  }
  get shape(): Record<string, Lite> | undefined {
    return this.def.shape;
  }
  safeParse(value: unknown): AnyZod {
    const data = this.run(value);
    return data === FAIL ? real(this).safeParse(value) : { success: true, data };
  }
  parse(value: unknown): unknown {
    const data = this.run(value);
    return data === FAIL ? real(this).parse(value) : data;
  }
  optional(): Lite {
    return new Lite({ type: "optional", innerType: this }, MAKE.optional, this.optin === "defaulted" ? "defaulted" : "optional", "optional");
  }
  nullable(): Lite {
    return new Lite({ type: "nullable", innerType: this }, MAKE.nullable, this.optin, this.optout);
  }
  nullish(): Lite {
    return this.nullable().optional();
  }
  default(value: unknown): Lite {
    const def: Def = {
      type: "default",
      innerType: this,
      value,
      // zod hands out a shallow copy of the default each time (or calls it, if a function)
      get defaultValue() {
        return typeof value === "function" ? value() : shallowClone(value);
      },
    };
    return new Lite(def, MAKE.default, "defaulted", undefined);
  }
  pipe(out: Lite): Lite {
    return new Lite({ type: "pipe", in: this, out }, MAKE.pipe, this.optin, out.optout);
  }
  transform(fn: (v: unknown) => unknown): Lite {
    return new Lite({ type: "pipe", in: this, out: transform(fn) }, MAKE.pipeTransform, this.optin, undefined);
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
    return this.with({ kind: this.def.type === "number" ? "gte" : "minLength", n }, () => real(this).min(n, params));
  }
  max(n: number, params?: unknown): Lite {
    return this.with({ kind: this.def.type === "number" ? "lte" : "maxLength", n }, () => real(this).max(n, params));
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
  private with(check: Check | undefined, make: () => AnyZod): Lite {
    const def = { ...Object.getOwnPropertyDescriptors(this.def) };
    const copy = Object.defineProperties({}, def) as Def;
    if (check) copy.checks = [...(this.def.checks ?? []), check];
    return new Lite(copy, make, this.optin, this.optout);
  }
}

// ---------------------------------------------------------------- factories

/**
 * How each kind of schema is built in real zod, from its def. A def keeps what the call that
 * made it was given (`params`: zod's error messages; an object's `kind`; a literal's `value`).
 */
const MAKE = {
  string: (z, s) => z.string(s.def.params),
  number: (z, s) => z.number(s.def.params),
  boolean: (z, s) => z.boolean(s.def.params),
  null: (z, s) => z.null(s.def.params),
  any: (z) => z.any(),
  unknown: (z) => z.unknown(),
  never: (z, s) => z.never(s.def.params),
  enum: (z, s) => z.enum(s.def.entries, s.def.params),
  literal: (z, s) => z.literal(s.def.value, s.def.params),
  array: (z, s) => z.array(real(s.def.element), s.def.params),
  record: (z, s) => z.record(real(s.def.keyType), real(s.def.valueType), s.def.params),
  union: (z, s) => z.union(s.def.options.map(real), s.def.params),
  object: (z, s) => z[s.def.kind as "object" | "strictObject" | "looseObject"](realShape(s.def.shape), s.def.params),
  transform: (z, s) => z.transform(s.def.transform),
  preprocess: (z, s) => z.preprocess(s.def.in.def.transform, real(s.def.out)),
  lazy: (z, s) => z.lazy(() => real(s.def.getter())),
  optional: (_z, s) => real(s.def.innerType).optional(),
  nullable: (_z, s) => real(s.def.innerType).nullable(),
  default: (_z, s) => real(s.def.innerType).default(s.def.value),
  pipe: (_z, s) => real(s.def.in).pipe(real(s.def.out)),
  pipeTransform: (_z, s) => real(s.def.in).transform(s.def.out.def.transform),
} satisfies Record<string, Make>;

function transform(fn: (v: unknown, ctx?: unknown) => unknown): Lite {
  return new Lite({ type: "transform", transform: fn }, MAKE.transform, "optional", undefined);
}

function array(element: Lite, params?: unknown): Lite {
  return new Lite({ type: "array", element, params }, MAKE.array);
}

function union(options: Lite[], params?: unknown): Lite {
  const optin: Optin = options.some((o) => o.optin === "defaulted")
    ? "defaulted"
    : options.some((o) => o.optin !== undefined)
      ? "optional"
      : undefined;
  const optout: Optin = options.some((o) => o.optout === "optional") ? "optional" : undefined;
  return new Lite({ type: "union", options, params }, MAKE.union, optin, optout);
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

const CATCHALL_NEVER = new Lite({ type: "never" }, MAKE.never);
const CATCHALL_UNKNOWN = new Lite({ type: "unknown" }, MAKE.unknown);

function object(kind: "object" | "strictObject" | "looseObject", shape: Record<string, Lite>, params?: unknown): Lite {
  const catchall = kind === "strictObject" ? CATCHALL_NEVER : kind === "looseObject" ? CATCHALL_UNKNOWN : undefined;
  return new Lite({ type: "object", shape, catchall, kind, params }, MAKE.object);
}

const api = {
  string: (params?: unknown) => new Lite({ type: "string", params }, MAKE.string),
  number: (params?: unknown) => new Lite({ type: "number", params }, MAKE.number),
  boolean: (params?: unknown) => new Lite({ type: "boolean", params }, MAKE.boolean),
  null: (params?: unknown) => new Lite({ type: "null", params }, MAKE.null),
  any: () => new Lite({ type: "any" }, MAKE.any),
  unknown: () => new Lite({ type: "unknown" }, MAKE.unknown),
  never: (params?: unknown) => new Lite({ type: "never", params }, MAKE.never),
  enum: (entries: unknown, params?: unknown) => new Lite({ type: "enum", entries, values: enumValues(entries), params }, MAKE.enum),
  literal: (value: unknown, params?: unknown) => new Lite({ type: "literal", value, values: Array.isArray(value) ? value : [value], params }, MAKE.literal),
  array,
  record: (keyType: Lite, valueType: Lite, params?: unknown) => new Lite({ type: "record", keyType, valueType, params }, MAKE.record),
  union,
  object: (shape: Record<string, Lite>, params?: unknown) => object("object", shape, params),
  strictObject: (shape: Record<string, Lite>, params?: unknown) => object("strictObject", shape, params),
  looseObject: (shape: Record<string, Lite>, params?: unknown) => object("looseObject", shape, params),
  transform,
  preprocess: (fn: (v: unknown, ctx?: unknown) => unknown, schema: Lite) => {
    const step = transform(fn);
    return new Lite({ type: "pipe", in: step, out: schema }, MAKE.preprocess, step.optin, schema.optout);
  },
  // (no stand-in: a schema holding a lazy one is checked by real zod only)
  lazy: (getter: () => Lite) => new Lite({ type: "opaque", getter }, MAKE.lazy),
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

// ---------------------------------------------------------------- key droppers

/** Preprocess functions registered with `dropsKeys`, with the test naming the keys each drops. */
const keyDroppers = new WeakMap<Function, (key: string) => boolean>();

/**
 * `fn`, registered as a preprocess step that drops a plain object's keys `dropped` names (and hands
 * anything else on, as it is): `z.preprocess(fn, z.strictObject(shape))` is then checked in one step,
 * the object's checker leaving those keys out as it meets them (see `piped`), with no pass of its own
 * over the keys nor a copy of the object before the check.
 */
export function dropsKeys<F extends (value: unknown) => unknown>(fn: F, dropped: (key: string) => boolean): F {
  keyDroppers.set(fn, dropped);
  return fn;
}

// ---------------------------------------------------------------- for tests

/** The checkers' own answer, without asking real zod (test/fast-paths.test.ts). */
export function liteParse(schema: unknown, value: unknown): { ok: true; data: unknown } | { ok: false } {
  const data = (schema as Lite).run(value);
  return data === FAIL ? { ok: false } : { ok: true, data };
}

/** The same schema built in real zod. */
export const realSchema = (schema: unknown): Z.ZodType => real(schema as Lite);

// ---------------------------------------------------------------- the checkers
//
// Each schema is compiled once, on first use, into a checker closure specialised to its kind
// (the way ajv compiles a JSON Schema): the per-value work is only the checks themselves, with
// every key list, key index and option read hoisted to compile time. (One class per kind, with
// its check as a method, was tried too: V8 then sees many maps at each `.run` and does more work.)
//
// Shared output: zod outputs new containers; these checkers hand back an input list or mapping
// itself while everything in it comes out unchanged (same values, same key order, a plain
// prototype), and copy it at the first difference. The validated project thus shares unchanged
// parts with the loaded tree, which nothing changes afterwards (later stages copy, `{...x}`,
// before they change anything), and most of a project is not copied at all: fewer objects
// made, less for the garbage collector to copy.

const FAIL: unique symbol = Symbol("invalid");
/** `value` as zod would output it, or FAIL when zod would report an issue (or might: anything unusual is left to zod). */
type Checker = (value: unknown) => unknown;

function compileOnFirstRun(this: Lite, value: unknown): unknown {
  const checker = compile(this);
  this.run = checker;
  return checker(value);
}

const NOT_PLAIN: unique symbol = Symbol("not a plain object");
/** A plain object's prototype (Object.prototype or null), or NOT_PLAIN: zod checks mappings only when they are plain. */
function plainPrototype(v: unknown): object | null | typeof NOT_PLAIN {
  if (typeof v !== "object" || v === null) return NOT_PLAIN;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null ? proto : NOT_PLAIN;
}
const isPlain = (v: unknown): v is Record<string, unknown> => plainPrototype(v) !== NOT_PLAIN;

function shallowClone(value: unknown): unknown {
  if (Array.isArray(value)) return [...value];
  if (isPlain(value)) return { ...value };
  return value;
}

function compile(schema: Lite): Checker {
  const def = schema.def;
  const checks = def.checks;
  if (checks === undefined) return compileKind(def);
  if (def.type === "string" && checks.length === 1 && checks[0]!.kind === "regex") return matching(checks[0]!.re);
  // An optional schema hands back an absent value as it is, before its checks.
  if (def.type === "optional" && def.innerType.optin !== "defaulted") {
    const checked = withChecks(compileKind(def), checks);
    return (value) => (value === undefined ? undefined : checked(value));
  }
  return withChecks(compileKind(def), checks);
}

function compileKind(def: Def): Checker {
  switch (def.type) {
    case "string":
      return isString;
    case "number":
      return isFiniteNumber;
    case "boolean":
      return isBoolean;
    case "null":
      return isNull;
    case "any":
    case "unknown":
      return anything;
    case "enum":
    case "literal":
      return oneOf(def.values);
    case "array":
      return arrayOf(def.element);
    case "record":
      return recordOf(def.keyType, def.valueType);
    case "object":
      return objectOf(def.shape, def.catchall);
    case "union":
      return firstOf(def.options);
    case "optional":
      return optional(def.innerType);
    case "nullable":
      return nullable(def.innerType);
    case "default":
      return defaulted(def.innerType, def);
    case "pipe":
      return piped(def.in, def.out);
    case "transform":
      return transformed(def.transform);
    default:
      // never, opaque: real zod decides
      return refuse;
  }
}

// The leaves: one shared function each, so the call sites that reach them stay few-shaped.
const isString: Checker = (v) => (typeof v === "string" ? v : FAIL);
const isFiniteNumber: Checker = (v) => (typeof v === "number" && Number.isFinite(v) ? v : FAIL);
const isBoolean: Checker = (v) => (typeof v === "boolean" ? v : FAIL);
const isNull: Checker = (v) => (v === null ? v : FAIL);
const anything: Checker = (v) => v;
const refuse: Checker = () => FAIL;

const oneOf = (values: unknown[]): Checker => (v) => (values.includes(v) ? v : FAIL);

/** z.string().regex(re), the commonest checked schema, in one step. */
function matching(re: RegExp): Checker {
  const test = stringTest(re);
  return (value) => (typeof value === "string" && test(value) ? value : FAIL);
}

/** `re.test`, as a scan where the model has one (see patterns.ts): no expression to compile. */
function stringTest(re: RegExp): Scan {
  return (
    patternScan(re) ??
    ((value) => {
      re.lastIndex = 0;
      return re.test(value);
    })
  );
}

function withChecks(base: Checker, checks: Check[]): Checker {
  const tests = checks.map(predicate);
  if (tests.length === 1) {
    const test = tests[0]!;
    return (value) => {
      const out = base(value);
      return out !== FAIL && test(out) ? out : FAIL;
    };
  }
  return (value) => {
    const out = base(value);
    if (out === FAIL) return FAIL;
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(out)) return FAIL;
    return out;
  };
}

function predicate(check: Check): (value: any) => boolean {
  switch (check.kind) {
    case "regex":
      return stringTest(check.re);
    case "int":
      return (value: number) => Number.isSafeInteger(value);
    case "refine": {
      const fn = check.fn;
      return (value) => {
        const ok = fn(value);
        return !!ok && !(ok instanceof Promise);
      };
    }
  }
  const n = check.n;
  switch (check.kind) {
    case "gte":
      return (value: number) => value >= n;
    case "gt":
      return (value: number) => value > n;
    case "lte":
      return (value: number) => value <= n;
    case "lt":
      return (value: number) => value < n;
    case "minLength":
      return (value: { length: number }) => value.length >= n;
    case "maxLength":
      return (value: { length: number }) => value.length <= n;
  }
}

// The loops over a value's elements or keys are module functions, shared by every schema of
// their kind (and so warmed up and optimised once by V8), behind a small closure per schema.

function arrayOf(element: Lite): Checker {
  return (value) => checkList(element, value);
}

function checkList(element: Lite, value: unknown): unknown {
  if (!Array.isArray(value)) return FAIL;
  // the input list itself while every element comes out as it went in (see "Shared output")
  let list: unknown[] | undefined = Object.getPrototypeOf(value) === Array.prototype ? undefined : [];
  for (let i = 0; i < value.length; i++) {
    const given: unknown = value[i];
    const item = element.run(given);
    if (item === FAIL) return FAIL;
    if (list !== undefined) list.push(item);
    // (an undefined element may be a hole, which zod's copy fills)
    else if (item !== given || item === undefined) {
      list = value.slice(0, i);
      list.push(item);
    }
  }
  return list ?? value;
}

function recordOf(keyType: Lite, valueType: Lite): Checker {
  const keyDef = keyType.def;
  // A record over an enum must have every key: zod's business. (zod also reads enumerable
  // symbol keys, and refuses them; compose data, from YAML or JSON, has none.)
  if (keyDef.type === "enum" || keyDef.type === "literal") return refuse;
  const anyKey = keyDef.type === "string" && keyDef.checks === undefined;
  return (input) => checkRecord(keyType, valueType, anyKey, input);
}

function checkRecord(keyType: Lite, valueType: Lite, anyKey: boolean, input: unknown): unknown {
  const proto = plainPrototype(input);
  if (proto === NOT_PLAIN) return FAIL;
  const value = input as Record<string, unknown>;
  // the input mapping itself while every entry comes out as it went in (see "Shared output")
  let map: Record<string, unknown> | undefined = proto === Object.prototype ? undefined : {};
  for (const key in value) {
    if (key === "__proto__") {
      map ??= entriesBefore(value, key);
      continue;
    }
    const k = anyKey ? key : keyType.run(key);
    if (typeof k !== "string" || k === "__proto__") return FAIL;
    const given = value[key];
    const item = valueType.run(given);
    if (item === FAIL) return FAIL;
    if (map === undefined) {
      if (item === given && k === key) continue;
      map = entriesBefore(value, key);
    }
    map[k] = item;
  }
  return map ?? value;
}

/** A copy of `value`'s entries before `stop` (all unchanged so far), to go on from. */
function entriesBefore(value: Record<string, unknown>, stop: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (key === stop) break;
    copy[key] = value[key];
  }
  return copy;
}

/** What an object does with keys its shape lacks. */
const enum Unknown {
  /** z.object: left out of the output */
  Strip,
  /** z.strictObject: an issue */
  Refuse,
  /** z.looseObject: kept, after the shape's keys */
  Keep,
}

/** An object's checker; keys `dropped` names are left out, as if gone before the check (see `dropsKeys`). */
function objectOf(shape: Record<string, Lite>, catchall: Lite | undefined, dropped?: (key: string) => boolean): Checker {
  const keys = Object.keys(shape);
  const fields: Lite[] = [];
  // What checks a present, defined value: an optional field's inner schema, one call fewer per key.
  const definedFields: Lite[] = [];
  const index = new Map<string, number>();
  // The fields that matter when their key is absent (required or defaulted ones), in the shape's
  // order: an absent optional key contributes nothing, whatever its schema makes of undefined.
  const whenAbsent: number[] = [];
  // (one pass: this runs in every process, at an object's first value)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const field = shape[key]!;
    fields.push(field);
    definedFields.push(skipOptional(field));
    index.set(key, i);
    if (field.optin !== "optional" || field.optout !== "optional") whenAbsent.push(i);
  }
  // zod tests a key's presence with `in`, which also finds what every object has (`toString`);
  // the checker below does not. (Object.prototype's dozen names looked up in the index, rather
  // than each of a shape's keys, up to ~95, tested with `in`.)
  const inherited = (objectPrototypeKeys ??= Object.getOwnPropertyNames(Object.prototype));
  for (let i = 0; i < inherited.length; i++) if (index.has(inherited[i]!)) return refuse;
  const catchallType = catchall?.def.type;
  const unknown = catchall === undefined ? Unknown.Strip : catchallType === "any" || catchallType === "unknown" ? Unknown.Keep : Unknown.Refuse;
  const plan: ObjectPlan = { keys, fields, definedFields, index, whenAbsent, unknown, dropped };

  // The present keys' places and values go into two lists kept for the next object rather than
  // made for each. A checker is not re-entered while it runs, unless its schema contains itself:
  // the inner run then gets lists of its own.
  const places: number[] = [];
  const values: unknown[] = [];
  let inUse = false;
  return (input) => {
    const proto = plainPrototype(input);
    if (proto === NOT_PLAIN) return FAIL;
    if (inUse) return checkObject(plan, input as Record<string, unknown>, proto, [], []);
    inUse = true;
    const out = checkObject(plan, input as Record<string, unknown>, proto, places, values);
    inUse = false;
    return out;
  };
}

/** Object.prototype's own property names, read at the first object compiled. */
let objectPrototypeKeys: string[] | undefined;

/** What an object's checker needs at each value. */
interface ObjectPlan {
  keys: string[];
  fields: Lite[];
  definedFields: Lite[];
  index: Map<string, number>;
  whenAbsent: number[];
  unknown: Unknown;
  /** Keys left out as if absent, whatever `unknown` says (see `dropsKeys`). */
  dropped: ((key: string) => boolean) | undefined;
}

function checkObject(plan: ObjectPlan, value: Record<string, unknown>, proto: object | null, present: number[], given: unknown[]): unknown {
  const { keys, fields, definedFields, index, whenAbsent, unknown, dropped } = plan;
  // The input's keys (a few) by their place in the shape, rather than testing each of the
  // shape's keys (a service has ~95) against the input; their values read here, where the
  // key loop makes that cheap. (A count beside the lists: emptying a list frees its storage.)
  let count = 0;
  let ordered = proto === Object.prototype;
  let extra: string[] | undefined;
  for (const key in value) {
    const i = index.get(key);
    if (i !== undefined) {
      if (ordered && count > 0 && i < present[count - 1]!) ordered = false;
      present[count] = i;
      given[count++] = value[key];
    } else if (unknown === Unknown.Strip || (dropped !== undefined && dropped(key))) ordered = false;
    else {
      if (unknown === Unknown.Refuse || key === "__proto__") return FAIL;
      (extra ??= []).push(key);
      ordered = false;
    }
  }
  if (!ordered) sortByPlace(present, given, count);
  // The output has the shape's key order, as zod writes it: the present keys merged with the
  // ones that count when absent. While the input is that output already, it is the output
  // (see "Shared output"): `out` is made at the first difference.
  let out: Record<string, unknown> | undefined = ordered ? undefined : {};
  let p = 0;
  let a = 0;
  while (p < count || a < whenAbsent.length) {
    const nextPresent = p < count ? present[p]! : keys.length;
    const nextAbsent = a < whenAbsent.length ? whenAbsent[a]! : keys.length;
    if (nextPresent <= nextAbsent) {
      if (nextPresent === nextAbsent) a++;
      const v = given[p];
      const item = v === undefined ? fields[nextPresent]!.run(v) : definedFields[nextPresent]!.run(v);
      if (item === FAIL) return FAIL;
      if (out === undefined && item !== v) out = presentBefore(keys, present, given, p);
      if (out !== undefined) out[keys[nextPresent]!] = item;
      p++;
      continue;
    }
    a++;
    const field = fields[nextAbsent]!;
    // a required key is missing
    if (field.optin === undefined) return FAIL;
    const item = field.run(undefined);
    if (item === FAIL) {
      if (field.optout === "optional") continue;
      return FAIL;
    }
    if (item !== undefined || (field.optin === "defaulted" && field.optout !== "optional")) {
      out ??= presentBefore(keys, present, given, p);
      out[keys[nextAbsent]!] = item;
    }
  }
  if (out === undefined) return value;
  if (extra) for (const key of extra) out[key] = value[key];
  return out;
}

/** The first `count` present keys and values (unchanged so far), as an object to go on from. */
function presentBefore(keys: string[], present: number[], given: unknown[], count: number): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (let j = 0; j < count; j++) copy[keys[present[j]!]!] = given[j];
  return copy;
}

/** An optional schema's inner one, where it answers a defined value alike; else the schema. */
function skipOptional(field: Lite): Lite {
  const def = field.def;
  return def.type === "optional" && def.checks === undefined ? def.innerType : field;
}

/**
 * Sorts an object's present keys (their first `count` places, and their values alike) into the
 * shape's order, in place: an insertion sort, as there are a few and mostly in order already.
 */
function sortByPlace(places: number[], values: unknown[], count: number): void {
  for (let i = 1; i < count; i++) {
    const place = places[i]!;
    const value = values[i];
    let j = i - 1;
    while (j >= 0 && places[j]! > place) {
      places[j + 1] = places[j]!;
      values[j + 1] = values[j];
      j--;
    }
    places[j + 1] = place;
    values[j + 1] = value;
  }
}

function firstOf(options: Lite[]): Checker {
  return (value) => {
    for (let i = 0; i < options.length; i++) {
      const item = options[i]!.run(value);
      if (item !== FAIL) return item;
    }
    return FAIL;
  };
}

function optional(inner: Lite): Checker {
  if (inner.optin !== "defaulted") return (value) => (value === undefined ? undefined : inner.run(value));
  return (value) => {
    const item = inner.run(value);
    return item === FAIL && value === undefined ? undefined : item;
  };
}

function nullable(inner: Lite): Checker {
  return (value) => (value === null ? null : inner.run(value));
}

function defaulted(inner: Lite, def: Def): Checker {
  return (value) => {
    if (value === undefined) return def.defaultValue;
    const out = inner.run(value);
    return out === undefined ? def.defaultValue : out;
  };
}

function piped(first: Lite, then: Lite): Checker {
  const firstDef = first.def;
  const thenDef = then.def;
  const dropped = firstDef.type === "transform" ? keyDroppers.get(firstDef.transform) : undefined;
  // z.preprocess(dropping keys, object): one checker, dropping the keys as it meets them (a shape
  // naming such a key would see it absent: left to the two steps)
  if (dropped !== undefined && firstDef.checks === undefined && thenDef.type === "object" && thenDef.checks === undefined && !Object.keys(thenDef.shape).some(dropped)) {
    return objectOf(thenDef.shape, thenDef.catchall, dropped);
  }
  // z.preprocess(fn, schema): the function called here, without a checker of its own between
  if (firstDef.type === "transform" && firstDef.checks === undefined && firstDef.transform.length < 2) {
    const fn = firstDef.transform as (v: unknown) => unknown;
    return (value) => {
      const left = fn(value);
      return left instanceof Promise ? FAIL : then.run(left);
    };
  }
  return (value) => {
    const left = first.run(value);
    return left === FAIL ? FAIL : then.run(left);
  };
}

function transformed(fn: (v: unknown, ctx?: unknown) => unknown): Checker {
  // `length` is an accessor: the arity read once here rather than at every call
  if (fn.length < 2) {
    return (value) => {
      const out = fn(value);
      return out instanceof Promise ? FAIL : out;
    };
  }
  // a transform that may report issues through its context
  return (value) => {
    const issues: unknown[] = [];
    const out = fn(value, { value, issues, addIssue: (issue: unknown) => void issues.push(issue) });
    return issues.length || out instanceof Promise ? FAIL : out;
  };
}
