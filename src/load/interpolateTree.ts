/**
 * Applies `${VAR}` interpolation to every string value of one file's tree
 * (never to keys), in place: the tree is fresh from the YAML parser.
 */
import { KhepriError } from "../diagnostics/index.ts";
import { InterpolationError, interpolate, referencedVariables, type VariableLookup } from "./interpolate.ts";
import { OverrideTag, isRawList, isRawMap, positionOf, type RawValue } from "./raw.ts";

/** Key paths (services.web.environment.DB_PASSWORD) whose value came from a variable. */
export type InterpolatedPaths = Set<string>;

export const pathKey = (path: readonly (string | number)[]) => path.join("\u0000");

export function interpolateTree(root: RawValue, lookup: VariableLookup, interpolated: InterpolatedPaths = new Set()): RawValue {
  const ctx = { lookup, interpolated };
  return visit(root, ctx, []);
}

interface Ctx {
  lookup: VariableLookup;
  interpolated: InterpolatedPaths;
}

function visit(value: RawValue, ctx: Ctx, path: (string | number)[]): RawValue {
  if (value instanceof OverrideTag) return new OverrideTag(visit(value.value, ctx, path), value.pos);
  if (isRawList(value)) {
    value.forEach((item, i) => {
      value[i] = typeof item === "string" ? substitute(item, ctx, value, i, path) : visit(item, ctx, [...path, i]);
    });
    return value;
  }
  if (isRawMap(value)) {
    for (const [key, item] of Object.entries(value)) {
      value[key] = typeof item === "string" ? substitute(item, ctx, value, key, path) : visit(item, ctx, [...path, key]);
    }
  }
  return value;
}

function substitute(template: string, ctx: Ctx, container: object, key: string | number, path: (string | number)[]): string {
  if (!template.includes("$")) return template;
  try {
    const value = interpolate(template, ctx.lookup);
    if (referencedVariables(template).length) ctx.interpolated.add(pathKey(valuePath(path, key, template)));
    return value;
  } catch (error) {
    if (error instanceof InterpolationError) throw new KhepriError(error.message, positionOf(container, key), [...path, key]);
    throw error;
  }
}

/** `environment: ["KEY=${X}"]` is recorded under the variable's name, as the map form would be. */
function valuePath(path: (string | number)[], key: string | number, template: string): (string | number)[] {
  if (typeof key === "number" && path[path.length - 1] === "environment") return [...path, template.split("=")[0]!];
  return [...path, key];
}
