/**
 * The loader's untyped document tree, and where each of its values came from.
 *
 * Compose files are read into plain JS values (maps, lists, scalars) so that
 * interpolation, extends/include and multi-file merging can work the way
 * compose-go does, on raw data before any typing. Source positions ride along on
 * each container (a hidden property, below), so a later stage can say
 * `compose.yaml:12:9: services.web.ports[1]: ...` about any value.
 */
import type { SourcePos } from "../diagnostics/index.ts";

/** `!reset` on a value: the key is removed (or emptied) when this file is merged over another. */
export class ResetTag {
  constructor(readonly pos?: SourcePos) {}
}

/** `!override` on a value: the value replaces the one underneath instead of merging with it. */
export class OverrideTag {
  constructor(
    readonly value: RawValue,
    readonly pos?: SourcePos,
  ) {}
}

export type RawScalar = string | number | boolean | null;
export type RawMap = { [key: string]: RawValue };
export type RawList = RawValue[];
export type RawValue = RawScalar | RawList | RawMap | ResetTag | OverrideTag;

export const isRawMap = (v: unknown): v is RawMap =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ResetTag) && !(v instanceof OverrideTag);

export const isRawList = (v: unknown): v is RawList => Array.isArray(v);

/** Where a container itself starts, and where each of its children (by key or index) starts. */
interface ContainerPositions {
  self?: SourcePos | undefined;
  children: Map<string | number, SourcePos>;
  /** Where each key of a mapping is written (messages about the key itself: unknown keys). */
  keys?: Map<string, SourcePos> | undefined;
  /** Also the positions of another container (a copy with the same keys): copied before a change. */
  shared: boolean;
}

/**
 * The positions ride on the container itself, under a symbol property that is
 * not enumerable: Object.keys, for…in, spreads, JSON and zod never see it (and a
 * spread copy starts without positions, as a fresh object should). A WeakMap
 * beside the tree cost several times more, mostly in garbage collection.
 */
const POSITIONS = Symbol("khepri.positions");
type Positioned = { [POSITIONS]?: ContainerPositions };

const positionsOf = (container: object): ContainerPositions | undefined => (container as Positioned)[POSITIONS];

function attach(container: object, entry: ContainerPositions): void {
  if (positionsOf(container)) (container as Positioned)[POSITIONS] = entry;
  else Object.defineProperty(container, POSITIONS, { value: entry, writable: true, configurable: true });
}

/** The container's own positions, to change. */
function entryFor(container: object): ContainerPositions {
  let entry = positionsOf(container);
  if (!entry || entry.shared) {
    entry = {
      self: entry?.self,
      children: entry ? new Map(entry.children) : new Map(),
      keys: entry?.keys ? new Map(entry.keys) : undefined,
      shared: false,
    };
    attach(container, entry);
  }
  return entry;
}

export function setSelfPosition(container: object, pos: SourcePos | undefined): void {
  if (pos) entryFor(container).self = pos;
}

export function setChildPosition(container: object, key: string | number, pos: SourcePos | undefined): void {
  if (pos) entryFor(container).children.set(key, pos);
}

/** Positions for a container just built (the YAML reader): its own, and the map to put its children's in. */
export function newPositions(container: object, self: SourcePos): Map<string | number, SourcePos> {
  const children = new Map<string | number, SourcePos>();
  // (every entry has the same fields, in the same order: one shape, and no field added later)
  attach(container, { self, children, keys: undefined, shared: false });
  return children;
}

/**
 * Gives `to`, a fresh copy of `from` with the same keys (values may differ), the
 * positions of `from`: shared until either changes, rather than copied key by key.
 */
export function sharePositions(to: object, from: object): void {
  const entry = positionsOf(from);
  if (!entry) return;
  entry.shared = true;
  attach(to, entry);
}

/** Position of `container[key]`, or of the container itself when key is omitted. */
export function positionOf(container: object, key?: string | number): SourcePos | undefined {
  const entry = positionsOf(container);
  if (!entry) return undefined;
  return key === undefined ? entry.self : (entry.children.get(key) ?? entry.self);
}

/** Carries the recorded position of `from[fromKey]` over to `to[toKey]` (merge builds new containers). */
export function copyChildPosition(to: object, toKey: string | number, from: object, fromKey: string | number): void {
  const entry = positionsOf(from);
  const pos = entry?.children.get(fromKey);
  if (pos) setChildPosition(to, toKey, pos);
  const keyPos = typeof fromKey === "string" ? entry?.keys?.get(fromKey) : undefined;
  if (keyPos && typeof toKey === "string") keyPositions(to).set(toKey, keyPos);
}

/** The key positions of a mapping, to fill while reading it. */
export function keyPositions(map: object): Map<string, SourcePos> {
  const entry = entryFor(map);
  return (entry.keys ??= new Map());
}

/** Where `key` itself is written in `map` (not its value); undefined when unknown. */
export function keyPositionOf(map: object, key: string | number): SourcePos | undefined {
  return typeof key === "string" ? positionsOf(map)?.keys?.get(key) : undefined;
}

/** Carries a container's own position over to a rebuilt copy of it. */
export function copySelfPosition(to: object, from: object): void {
  setSelfPosition(to, positionsOf(from)?.self);
}

/**
 * The best known position for a key path under `root`: the deepest value on
 * the path that has one. Used to place errors found by later stages.
 */
export function positionAtPath(root: RawValue, path: readonly (string | number)[], atKey = false): SourcePos | undefined {
  let best = typeof root === "object" && root !== null ? positionOf(root) : undefined;
  let node: RawValue | undefined = root;
  for (const [i, key] of path.entries()) {
    if (typeof node !== "object" || node === null || node instanceof ResetTag || node instanceof OverrideTag) break;
    const here = (atKey && i === path.length - 1 ? keyPositionOf(node, key) : undefined) ?? positionOf(node, key);
    if (here) best = here;
    node = Array.isArray(node) ? node[key as number] : (node as RawMap)[key as string];
  }
  return best;
}

/** A shallow copy of a map that keeps its recorded positions. */
export function copyMap(map: RawMap): RawMap {
  const copy: RawMap = { ...map };
  sharePositions(copy, map);
  return copy;
}
