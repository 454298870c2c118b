/**
 * YAML text -> raw tree with source positions, read by the yaml package.
 * Aliases and `<<` merge keys are expanded here (compose sees plain data), and
 * the compose-specific tags `!reset` / `!override` become marker objects for the
 * merge step.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";
import {
  refuseProtoName,
  OverrideTag,
  ResetTag,
  copyChildPosition,
  isRawMap,
  setKeyPosition,
  setChildPosition,
  setSelfPosition,
  type RawMap,
  type RawValue,
  type TagsFound,
} from "./raw.ts";

/** Guards against alias bombs ("billion laughs"): no real compose file comes near this. */
const MAX_NODES = 1_000_000;

interface Walk {
  file: string;
  lines: LineCounter;
  doc: Document.Parsed;
  nodes: number;
  found: TagsFound | undefined;
  /**
   * The anchors met so far in document order, each name to its latest node: what an alias
   * refers to. (The yaml package's `alias.resolve(doc)` searches the whole document for each
   * alias: a file of 500 services each merging `<<: *common` took ~5 s.)
   */
  anchors: Map<string, Node>;
  /** Inside an alias's copy of its anchor: anchors met there were recorded where they are written. */
  expanding: number;
}

function posAt(w: Walk, offset: number | undefined): SourcePos | undefined {
  if (offset === undefined) return undefined;
  const { line, col } = w.lines.linePos(offset);
  return { file: w.file, line, col };
}

/** Parses a single-document YAML file (what compose files are). */
export function parseYaml(text: string, file: string, found?: TagsFound): RawValue {
  const docs = parseYamlDocuments(text, file, found);
  if (docs.length > 1) throw new KhepriError("a compose file must hold one YAML document, this one has several", { file, line: 1, col: 1 });
  return docs[0] ?? null;
}

/**
 * Parses every YAML document in `text`; an empty file is one `null` document.
 * `found.tags` is set when a document holds a `!reset` or `!override` tag (so a
 * caller can skip looking for them in the many files without).
 */
export function parseYamlDocuments(text: string, file: string, found?: TagsFound): RawValue[] {
  refuseProtoName(text, file);
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, merge: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const out: RawValue[] = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos: SourcePos = { file, ...lines.linePos(error.pos[0]) };
      if (error.code === "DUPLICATE_KEY") {
        const path = doc.contents ? keyPathAt(doc.contents as Node, error.pos[0], []) : undefined;
        throw new KhepriError("this key is already set in the same mapping", pos, path);
      }
      throw new KhepriError(`invalid YAML: ${firstLine(error.message)}`, pos);
    }
    const w: Walk = { file, lines, doc, nodes: 0, found, anchors: new Map(), expanding: 0 };
    out.push(doc.contents ? toRaw(w, doc.contents as Node, []) : null);
  }
  return out.length ? out : [null];
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

function toRaw(w: Walk, node: Node, path: (string | number)[]): RawValue {
  if (++w.nodes > MAX_NODES) throw new KhepriError("YAML expands to too many nodes (alias bomb?)", posAt(w, node.range?.[0]), path);
  recordAnchor(w, node);
  const pos = posAt(w, node.range?.[0]);
  const value = untagged(w, node, path, pos);
  switch (node.tag) {
    case "!reset":
      if (w.found) w.found.tags = true;
      return new ResetTag(pos);
    case "!override":
      if (w.found) w.found.tags = true;
      return new OverrideTag(value, pos);
    default:
      return value;
  }
}

function untagged(w: Walk, node: Node, path: (string | number)[], pos: SourcePos | undefined): RawValue {
  if (isAlias(node)) {
    // (read into fresh containers at every use: canonical.ts rewrites the tree in place, so no
    // container may be reachable twice in it)
    const target = w.anchors.get(node.source) ?? node.resolve(w.doc);
    if (!target) throw new KhepriError(`unknown YAML alias *${node.source}`, pos, path);
    w.expanding++;
    try {
      return toRaw(w, target as Node, path);
    } finally {
      w.expanding--;
    }
  }
  if (isScalar(node)) {
    const value = scalarValue(node.value);
    // an integer too big for a double stays the text it was written as (an id, a port range...)
    if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) && node.source !== undefined) return node.source;
    return value;
  }
  if (isSeq(node)) {
    const list: RawValue[] = [];
    setSelfPosition(list, pos);
    node.items.forEach((item, i) => {
      const child = item as Node;
      list.push(toRaw(w, child, [...path, i]));
      setChildPosition(list, i, posAt(w, child.range?.[0]));
    });
    return list;
  }
  if (isMap(node)) return mapValue(w, node, path, pos);
  throw new KhepriError("unsupported YAML node", pos, path);
}

/** Notes `node`'s anchor, if it has one, where the document writes it (not in an alias's copy). */
function recordAnchor(w: Walk, node: Node): void {
  if (node.anchor && w.expanding === 0) w.anchors.set(node.anchor, node);
}

function scalarValue(value: unknown): RawValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  return String(value);
}

function mapValue(w: Walk, node: Node & { items: unknown[] }, path: (string | number)[], pos: SourcePos | undefined): RawMap {
  const map: RawMap = {};
  setSelfPosition(map, pos);
  // Keys written in the map itself win over keys brought in by `<<`, whatever their order.
  const merged: RawMap[] = [];
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    const keyNode = pair.key as Node | null;
    const valueNode = pair.value as Node | null;
    const keyPos = posAt(w, keyNode?.range?.[0]);
    if (keyNode) recordAnchor(w, keyNode);
    if (isMergeKey(keyNode)) {
      merged.push(...mergeSources(w, valueNode, path, keyPos));
      continue;
    }
    const key = keyText(keyNode, keyPos, path);
    const childPath = [...path, key];
    map[key] = valueNode ? toRaw(w, valueNode, childPath) : null;
    setChildPosition(map, key, posAt(w, valueNode?.range?.[0]) ?? keyPos);
    setKeyPosition(map, key, keyPos);
  }
  for (const source of merged) {
    for (const [key, value] of Object.entries(source)) {
      if (Object.hasOwn(map, key)) continue;
      map[key] = value;
      copyChildPosition(map, key, source, key);
    }
  }
  return map;
}

function isMergeKey(key: Node | null): boolean {
  // With `merge: true` the yaml package gives the plain `<<` key a symbol value.
  return !!key && isScalar(key) && (typeof key.value === "symbol" || (key.value === "<<" && key.type === "PLAIN"));
}

function mergeSources(w: Walk, value: Node | null, path: (string | number)[], pos: SourcePos | undefined): RawMap[] {
  const raw = value ? toRaw(w, value, path) : null;
  const sources = Array.isArray(raw) ? raw : [raw];
  return sources.map((source) => {
    if (!isRawMap(source)) throw new KhepriError("`<<` merges mappings only", pos, path);
    return source;
  });
}

function keyText(key: Node | null, pos: SourcePos | undefined, path: (string | number)[]): string {
  if (key && isScalar(key) && key.value !== null && typeof key.value !== "object") return String(key.value);
  throw new KhepriError("mapping keys must be plain scalars", pos, path);
}

/** The key path of the mapping key written at `offset` (to name a duplicate key). */
function keyPathAt(node: Node, offset: number, path: (string | number)[]): (string | number)[] | undefined {
  const inside = (n: Node | null | undefined) => !!n?.range && n.range[0] <= offset && offset < n.range[2];
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const label = key && isScalar(key) ? String(key.value) : "?";
      if (key?.range?.[0] === offset) return [...path, label];
      const value = pair.value as Node | null;
      if (value && inside(value)) return keyPathAt(value, offset, [...path, label]);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      if (inside(item as Node)) return keyPathAt(item as Node, offset, [...path, i]);
    }
  }
  return undefined;
}
