/**
 * Applies `${VAR}` interpolation to every string value of one file's tree
 * (never to keys), in place: the tree is fresh from the YAML parser.
 */
import { KhepriError } from "../diagnostics/index.ts";
import { InterpolationError, interpolate, type VariableLookup } from "./interpolate.ts";
import { OverrideTag, isRawList, isRawMap, positionOf, type RawValue } from "./raw.ts";

export function interpolateTree(root: RawValue, lookup: VariableLookup): RawValue {
  return visit(root, lookup, []);
}

function visit(value: RawValue, lookup: VariableLookup, path: (string | number)[]): RawValue {
  if (value instanceof OverrideTag) return new OverrideTag(visit(value.value, lookup, path), value.pos);
  if (isRawList(value)) {
    value.forEach((item, i) => {
      value[i] = typeof item === "string" ? substitute(item, lookup, value, i, path) : visit(item, lookup, [...path, i]);
    });
    return value;
  }
  if (isRawMap(value)) {
    for (const [key, item] of Object.entries(value)) {
      value[key] = typeof item === "string" ? substitute(item, lookup, value, key, path) : visit(item, lookup, [...path, key]);
    }
  }
  return value;
}

function substitute(
  template: string,
  lookup: VariableLookup,
  container: object,
  key: string | number,
  path: (string | number)[],
): string {
  if (!template.includes("$")) return template;
  try {
    return interpolate(template, lookup);
  } catch (error) {
    if (error instanceof InterpolationError) throw new KhepriError(error.message, positionOf(container, key), [...path, key]);
    throw error;
  }
}
