/**
 * Applies `${VAR}` interpolation to every string value of one file's tree
 * (never to keys), in place: the tree is fresh from the YAML parser.
 */
import { KhepriError } from "../diagnostics/index.ts";
import { InterpolationError, interpolate, referencedVariables, type VariableLookup } from "./interpolate.ts";
import { OverrideTag, isRawList, isRawMap, positionOf, type RawValue } from "./raw.ts";

/**
 * The variables interpolation substituted, with their values. Later stages look
 * for these values wherever they end up (after extends and merges have moved
 * them), to warn when a secret is about to be written into the module.
 */
export type UsedVariables = Map<string, string>;

export function interpolateTree(root: RawValue, lookup: VariableLookup, used: UsedVariables = new Map()): RawValue {
  const ctx = { lookup, used };
  return visit(root, ctx, []);
}

interface Ctx {
  lookup: VariableLookup;
  used: UsedVariables;
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
  if (!template.includes("$")) return template;
  try {
    const value = interpolate(template, ctx.lookup);
    for (const name of referencedVariables(template)) {
      const used = ctx.lookup(name);
      if (used !== undefined) ctx.used.set(name, used);
    }
    return value;
  } catch (error) {
    if (error instanceof InterpolationError) throw new KhepriError(error.message, positionOf(container, key), [...path, key]);
    throw error;
  }
}
