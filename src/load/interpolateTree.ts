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
        value[i] = visit(item, ctx, path);
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
        value[key] = visit(item, ctx, path);
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
