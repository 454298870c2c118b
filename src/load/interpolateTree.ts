/**
 * Applies `${VAR}` interpolation to every string value of one file's tree
 * (never to keys), in place: the tree is fresh from the YAML parser.
 */
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";
import { InterpolationError, interpolate, type VariableLookup } from "./interpolate.ts";
import { OverrideTag, isRawList, isRawMap, positionOf, type RawValue } from "./raw.ts";
import { looksSecret } from "../model/index.ts";

/**
 * What interpolating a project's files found out, gathered over all of them.
 * Values keep where they were written through extends, merges and short-syntax
 * rewrites, so a later stage asks `sources` by a value's position which
 * variables it was made from: no value is ever looked for by its text.
 */
export interface Interpolation {
  /** For each string interpolation made from variables, keyed by placeKey of where it is written: those variables. */
  readonly sources: Map<string, readonly string[]>;
  /** The value of each variable a value was made from (to keep secret ones out of messages). */
  readonly values: Map<string, string>;
  /** Variables interpolated under a secret-looking key (`DB_PASSWORD: ${PW}`): their values are secret too. */
  readonly underSecretKeys: Set<string>;
  /** Each unset variable used as `${VAR}`, at its first use (compose warns once it is blank). */
  readonly unset: Map<string, { pos: SourcePos | undefined; path: (string | number)[] }>;
  /**
   * The values of the secret-looking variables the project's env files read in their own `${VAR}`s,
   * each with the variable's name: a message must not show one arriving through another variable
   * (`.env`: `B=${DB_PASSWORD}`).
   */
  readonly secretsPassedOn: Map<string, string>;
}

export const emptyInterpolation = (): Interpolation => ({ sources: new Map(), values: new Map(), underSecretKeys: new Set(), unset: new Map(), secretsPassedOn: new Map() });

/** The key of a position in `Interpolation.sources`. */
export const placeKey = (pos: SourcePos) => `${pos.line}:${pos.col}:${pos.file}`;

/**
 * How much interpolation may add to one file. One long variable used in many places would
 * otherwise grow a small file into gigabytes (as YAML aliases could: see MAX_EXPANDED in yaml.ts).
 */
const MAX_GROWTH = 32 * 1024 * 1024;
const MAX_GROWTH_TEXT = "32 MiB";

export function interpolateTree(root: RawValue, lookup: VariableLookup, record: Interpolation = emptyInterpolation()): RawValue {
  const ctx = { lookup, record, growth: 0 };
  return visit(root, ctx, []);
}

interface Ctx {
  lookup: VariableLookup;
  record: Interpolation;
  /** Characters the substitutions so far added to the file. */
  growth: number;
}

/** `path` is the container's key path, shared and restored on the way out (copied only when a message needs it). */
function visit(value: RawValue, ctx: Ctx, path: (string | number)[]): RawValue {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof OverrideTag) return new OverrideTag(visit(value.value, ctx, path), value.pos);
  if (isRawList(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      if (typeof item === "string") {
        if (item.includes("$")) value[i] = substitute(item, ctx, value, i, path);
      } else if (typeof item === "object" && item !== null) {
        path.push(i);
        const visited = visit(item, ctx, path);
        if (visited !== item) value[i] = visited; // (only a tag is replaced: a store for every container cost)
        path.pop();
      }
    }
    return value;
  }
  if (isRawMap(value)) {
    for (const key in value) {
      const item = value[key]!;
      if (typeof item === "string") {
        if (item.includes("$")) value[key] = substitute(item, ctx, value, key, path);
      } else if (typeof item === "object" && item !== null) {
        path.push(key);
        const visited = visit(item, ctx, path);
        if (visited !== item) value[key] = visited;
        path.pop();
      }
    }
  }
  return value;
}

function substitute(template: string, ctx: Ctx, container: object, key: string | number, path: (string | number)[]): string {
  const { record, lookup } = ctx;
  const from = new Set<string>();
  const onUnset = (name: string) => {
    if (!record.unset.has(name)) record.unset.set(name, { pos: positionOf(container, key), path: [...path, key] });
  };
  try {
    const value = interpolate(template, lookup, { from, onUnset });
    ctx.growth += value.length - template.length;
    if (ctx.growth > MAX_GROWTH) {
      const longest = [...from].sort((a, b) => (lookup(b)?.length ?? 0) - (lookup(a)?.length ?? 0))[0];
      const through = longest === undefined ? "" : `, here through the variable ${longest} (${lookup(longest)?.length ?? 0} characters)`;
      throw new KhepriError(`interpolation makes this file more than ${MAX_GROWTH_TEXT} longer${through}`, positionOf(container, key), [...path, key]);
    }
    if (from.size) {
      const pos = positionOf(container, key);
      if (pos) record.sources.set(placeKey(pos), [...from]);
      const secretKey = typeof key === "string" && looksSecret(key);
      for (const name of from) {
        const used = lookup(name);
        if (used !== undefined) record.values.set(name, used);
        if (secretKey) record.underSecretKeys.add(name);
      }
    }
    return value;
  } catch (error) {
    if (error instanceof InterpolationError) throw new KhepriError(error.message, positionOf(container, key), [...path, key]);
    throw error;
  }
}
