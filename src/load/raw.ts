/**
 * The loader's untyped document tree, and where each of its values came from.
 *
 * Compose files are read into plain JS values (maps, lists, scalars) so that
 * interpolation, extends/include and multi-file merging can work the way
 * compose-go does, on raw data before any typing. Source positions ride along on
 * each container (a private field holding offsets into the file's text, below), so
 * a later stage can say `compose.yaml:12:9: services.web.ports[1]: ...` about any value.
 */
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";

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

/** Set by a reader when a document it read holds a `!reset` or `!override` tag. */
export interface TagsFound {
  tags: boolean;
}

export const isRawMap = (v: unknown): v is RawMap =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ResetTag) && !(v instanceof OverrideTag);

export const isRawList = (v: unknown): v is RawList => Array.isArray(v);

// ------------------------------------------------------------------ places

/** The 1-based line and column of `offset` in `text`, found by a scan: for a message, where no line table was made. */
export function lineAndColumn(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * A file holding `__proto__` is refused, with where it is: a compose file, a spec, or an env file
 * whose variables khepri reads (`.env`, an env_file or label_file copied into the module). As a key
 * or a name, JavaScript objects give it a meaning of its own (assigning it replaces the object's
 * prototype), so the entry would vanish on the way without a word; nothing real needs the name.
 */
export function refuseProtoName(text: string, file: string): void {
  const at = text.indexOf("__proto__");
  if (at === -1) return;
  throw new KhepriError(`khepri cannot read "__proto__" (JavaScript gives the name a meaning of its own: the entry would be lost); rename it`, {
    file,
    ...lineAndColumn(text, at),
  });
}

/** Whether `text` may hold a NUL once parsed: raw, or as a YAML/JSON escape (a cheap look before the walk below). */
export const mayHoldNul = (text: string): boolean => /\0|\\(0|x00|u0000|U00000000)/.test(text);

export const NUL_MESSAGE = "a NUL character cannot be written into a NixOS module (Nix strings cannot hold it)";

/** Refuses a key or string holding a NUL, where it is: Nix strings cannot hold one. */
export function refuseNul(value: RawValue, at: (string | number)[] = []): void {
  if (isRawList(value)) {
    value.forEach((item, i) => {
      if (typeof item === "string" && item.includes("\0")) throw new KhepriError(NUL_MESSAGE, positionOf(value, i), [...at, i]);
      refuseNul(item, [...at, i]);
    });
  } else if (isRawMap(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes("\0")) throw new KhepriError(NUL_MESSAGE, keyPositionOf(value, key) ?? positionOf(value, key), [...at, key]);
      if (typeof item === "string" && item.includes("\0")) throw new KhepriError(NUL_MESSAGE, positionOf(value, key), [...at, key]);
      refuseNul(item, [...at, key]);
    }
  }
}

/**
 * Where a container itself starts, and where each of its children starts. For a
 * list, `children[i]` is the place of item i. For a mapping, `children` holds three
 * entries per key: the key, where the key is written, where its value starts (a
 * key is looked up by a scan: only messages, merges and canonical rewrites ask).
 */
class Positions {
  declare self: SourcePos | undefined;
  declare children: (string | SourcePos | undefined)[];
  /** Also the positions of another container (a copy with the same keys): copied before a change. */
  declare shared: boolean;
  /** For a big mapping, where each key's entries start in `children` (made by the first look-up). */
  declare index: Map<string, number> | undefined;

  constructor(self: SourcePos | undefined, children: (string | SourcePos | undefined)[], shared: boolean) {
    this.self = self;
    this.children = children;
    this.shared = shared;
    this.index = undefined;
  }

  /** Where `key`'s three entries start in `children`, or -1. */
  slotOf(key: string): number {
    const children = this.children;
    if (children.length < BIG_MAPPING) {
      for (let j = 0; j < children.length; j += 3) if (children[j] === key) return j;
      return -1;
    }
    if (!this.index) {
      this.index = new Map();
      for (let j = children.length - 3; j >= 0; j -= 3) this.index.set(children[j] as string, j);
    }
    return this.index.get(key) ?? -1;
  }

  /** The slot for `key`, added when missing. */
  slotFor(key: string): number {
    let slot = this.slotOf(key);
    if (slot === -1) {
      slot = this.children.length;
      this.children.push(key, undefined, undefined);
      this.index?.set(key, slot);
    }
    return slot;
  }

  /** The place of a child (by index for a list, by key for a mapping), if recorded. */
  child(list: boolean, key: string | number): SourcePos | undefined {
    if (this.children === AT_SELF) return this.self;
    if (list) return typeof key === "number" ? (this.children[key] as SourcePos | undefined) : undefined;
    if (typeof key !== "string") return undefined;
    const slot = this.slotOf(key);
    return slot === -1 ? undefined : (this.children[slot + 2] as SourcePos | undefined);
  }

  /** Where a mapping's key is written, if recorded. */
  key(key: string): SourcePos | undefined {
    const slot = this.slotOf(key);
    return slot === -1 ? undefined : (this.children[slot + 1] as SourcePos | undefined);
  }
}

/**
 * The `children` of a value built from short syntax (stampPositions): every child is where the
 * value is, so no table is made. Such positions are always `shared`, and a change copies them
 * into a table first (entryFor).
 */
const AT_SELF = Object.freeze([]) as unknown as (string | SourcePos | undefined)[];

/** From this many entries (a mapping of 16 keys: `services`, a long `environment`), a key look-up goes through an index. */
const BIG_MAPPING = 48;

/**
 * The positions ride on the container itself, in a private field: Object.keys, for…in,
 * spreads, Object.assign, JSON and zod never see it (and a spread copy starts without
 * positions, as a fresh object should). A WeakMap beside the tree cost several times more,
 * mostly in garbage collection, and a non-enumerable property (Object.defineProperty) a call
 * into the runtime for every container.
 *
 * A class can give its private fields to any object: a base constructor that returns the
 * object it is handed makes that object the `this` the subclass installs its fields on. (Raw
 * containers must therefore stay extensible: never freeze or seal one before it has its
 * positions. A TC39 proposal would make adding a private field to a non-extensible object throw.)
 */
class AdoptObject extends null {
  // (`extends null`: this constructor makes no object of its own to throw away, as a base class's would)
  constructor(object: object) {
    return object;
  }
}

class Positioned extends AdoptObject {
  #positions: Positions;

  private constructor(container: object, positions: Positions) {
    super(container);
    this.#positions = positions;
  }

  static of(container: object): Positions | undefined {
    return #positions in container ? (container as Positioned).#positions : undefined;
  }

  static attach(container: object, positions: Positions): void {
    if (#positions in container) (container as Positioned).#positions = positions;
    else new Positioned(container, positions);
  }
}

const positionsOf = Positioned.of;
const attach = Positioned.attach;

/** The container's own positions, to change. */
function entryFor(container: object): Positions {
  const entry = positionsOf(container);
  if (entry && !entry.shared) return entry;
  const own = entry ? new Positions(entry.self, childrenCopy(container, entry), false) : new Positions(undefined, [], false);
  attach(container, own);
  return own;
}

/** A table of `entry`'s children to change, laid out as `Positions.children` says. */
function childrenCopy(container: object, entry: Positions): (string | SourcePos | undefined)[] {
  if (entry.children !== AT_SELF) return entry.children.slice();
  const place = entry.self;
  if (Array.isArray(container)) return container.map(() => place);
  // (where each key is written: unknown, as for any rewritten map)
  return Object.keys(container).flatMap((key) => [key, undefined, place]);
}

function setChild(container: object, entry: Positions, key: string | number, place: SourcePos): void {
  if (Array.isArray(container)) {
    if (typeof key === "number") entry.children[key] = place;
  } else if (typeof key === "string") entry.children[entry.slotFor(key) + 2] = place;
}

// ------------------------------------------------------------------ reading positions

/** Position of `container[key]`, or of the container itself when key is omitted. */
export function positionOf(container: object, key?: string | number): SourcePos | undefined {
  const entry = positionsOf(container);
  if (!entry) return undefined;
  if (key === undefined) return entry.self;
  return entry.child(Array.isArray(container), key) ?? entry.self;
}

/** Where `key` itself is written in `map` (not its value); undefined when unknown. */
export function keyPositionOf(map: object, key: string | number): SourcePos | undefined {
  const entry = positionsOf(map);
  return entry && typeof key === "string" && !Array.isArray(map) ? entry.key(key) : undefined;
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

// ------------------------------------------------------------------ recording positions

export function setSelfPosition(container: object, pos: SourcePos | undefined): void {
  if (pos) entryFor(container).self = pos;
}

export function setChildPosition(container: object, key: string | number, pos: SourcePos | undefined): void {
  if (pos) setChild(container, entryFor(container), key, pos);
}

/** Where `key` itself is written in `map`. */
export function setKeyPosition(map: object, key: string, pos: SourcePos | undefined): void {
  if (!pos || Array.isArray(map)) return;
  const entry = entryFor(map);
  entry.children[entry.slotFor(key) + 1] = pos;
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

/** Carries the recorded position of `from[fromKey]` over to `to[toKey]` (merge builds new containers). */
export function copyChildPosition(to: object, toKey: string | number, from: object, fromKey: string | number): void {
  const entry = positionsOf(from);
  if (!entry) return;
  const fromList = Array.isArray(from);
  const place = entry.child(fromList, fromKey);
  const keyPlace = !fromList && typeof fromKey === "string" ? entry.key(fromKey) : undefined;
  if (place === undefined && keyPlace === undefined) return;
  const target = entryFor(to);
  if (place !== undefined) setChild(to, target, toKey, place);
  if (keyPlace !== undefined && typeof toKey === "string" && !Array.isArray(to)) target.children[target.slotFor(toKey) + 1] = keyPlace;
}

/** Carries a container's own position over to a rebuilt copy of it. */
export function copySelfPosition(to: object, from: object): void {
  const entry = positionsOf(from);
  if (entry?.self === undefined) return;
  entryFor(to).self = entry.self;
}

/**
 * Gives a freshly built value (and the fresh containers inside it) the position of
 * `from[fromKey]` (of `from` itself when it has none for the key), for itself and
 * every child: what a short syntax was rewritten from.
 */
export function stampPositions(value: RawValue, from: object, fromKey: string | number): void {
  const entry = positionsOf(from);
  if (!entry) return;
  const place = entry.child(Array.isArray(from), fromKey) ?? entry.self;
  // one entry for all of them, with no table of children: a short volume or port becomes two or
  // three containers, thousands in a big file, and most of their positions are never read
  if (place !== undefined) stamp(value, new Positions(place, AT_SELF, true));
}

function stamp(value: RawValue, positions: Positions): void {
  if (typeof value !== "object" || value === null || value instanceof ResetTag || value instanceof OverrideTag) return;
  for (const item of Object.values(value)) stamp(item, positions);
  attach(value, positions);
}

/** A shallow copy of a map that keeps its recorded positions. */
export function copyMap(map: RawMap): RawMap {
  const copy: RawMap = { ...map };
  sharePositions(copy, map);
  return copy;
}
