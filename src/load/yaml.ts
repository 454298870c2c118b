/**
 * YAML text -> raw tree with source positions, read by the yaml package.
 * Aliases and `<<` merge keys are expanded here (compose sees plain data), and
 * the compose-specific tags `!reset` / `!override` become marker objects for the
 * merge step.
 */
import { Composer, CST, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, type Document, type Node } from "yaml";
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

/**
 * The most a document may expand to, in characters of its scalars and keys, an alias counting by
 * what it expands to: twice the most khepri reads of a file (files.ts). One long anchored string
 * referenced a few thousand times would otherwise make a module of hundreds of megabytes.
 */
const MAX_EXPANDED = 32 * 1024 * 1024;
const MAX_EXPANDED_TEXT = "32 MiB";

/** How deep collections may nest: real compose files nest about ten deep; every stage after this recurses per level. */
const MAX_DEPTH = 100;

/**
 * Past this column no block collection of a real file starts. The yaml package's parser recurses
 * per block level (it overflows the stack near 2,000); a block nested that deep needs at least
 * about half as many columns of indentation. Only looked at when the parser gave up (see cstOf).
 */
const MAX_BLOCK_COLUMN = 500;

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
  /** Characters of scalars and keys so far, aliases counted by their expansion (see MAX_EXPANDED). */
  size: number;
  /** The outermost alias being expanded, to name in an error. */
  alias: { name: string; pos: SourcePos | undefined; path: (string | number)[] } | undefined;
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
  // What the yaml package's parseAllDocuments does, with the nesting checked between its parser and
  // its composer (which recurses per level). Duplicate keys are found while reading the tree below:
  // the package's own check (uniqueKeys) compares each key with every earlier one of its mapping,
  // which made a mapping of 20,000 keys take 28 s.
  const cst = cstOf(text, file, lines);
  const deep = tooDeep(cst);
  if (deep !== undefined) throw nestingError(file, lines, deep);
  const docs = new Composer({ uniqueKeys: false, merge: true }).compose(cst);
  const out: RawValue[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new KhepriError(`invalid YAML: ${firstLine(error.message)}`, { file, ...lines.linePos(error.pos[0]) });
    const w: Walk = { file, lines, doc, nodes: 0, found, anchors: new Map(), expanding: 0, size: 0, alias: undefined };
    out.push(doc.contents ? toRaw(w, doc.contents as Node, []) : null);
  }
  return out.length ? out : [null];
}

/** The yaml package's syntax tree of `text`; where its parser runs out of stack, the place nested too deep. */
function cstOf(text: string, file: string, lines: LineCounter): CST.Token[] {
  try {
    return Array.from(new Parser(lines.addNewLine).parse(text));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw nestingError(file, lines, deepBlockAt(text) ?? 0);
  }
}

function nestingError(file: string, lines: LineCounter, offset: number): KhepriError {
  return new KhepriError(`YAML nested more than ${MAX_DEPTH} deep (compose files nest about ten deep)`, { file, ...lines.linePos(offset) });
}

/** Where a collection nests deeper than MAX_DEPTH in the syntax tree, if anywhere (walked with a stack of its own: the tree may be deep). */
function tooDeep(tokens: readonly CST.Token[]): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((token) => [token, 0]);
  while (stack.length) {
    const [token, depth] = stack.pop()!;
    if (token.type === "document") {
      if (token.value) stack.push([token.value, depth]);
    } else if (CST.isCollection(token)) {
      if (depth >= MAX_DEPTH) return token.offset;
      for (const item of token.items) {
        if ("key" in item && item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
    }
  }
  return undefined;
}

/** The offset of the first block indicator past MAX_BLOCK_COLUMN (outside flow collections), or of a flow collection nested past MAX_DEPTH. */
function deepBlockAt(text: string): number | undefined {
  let offset = 0;
  let lineStart = 0;
  let flow = 0;
  for (const token of new Lexer().lex(text)) {
    // (the lexer's markers for the parser are not in the text)
    if (token === CST.DOCUMENT || token === CST.FLOW_END || token === CST.SCALAR) continue;
    const type = CST.tokenType(token);
    if (type === "flow-seq-start" || type === "flow-map-start") {
      if (++flow > MAX_DEPTH) return offset;
    } else if (type === "flow-seq-end" || type === "flow-map-end") {
      if (flow > 0) flow--;
    } else if (flow === 0 && (type === "seq-item-ind" || type === "explicit-key-ind" || type === "map-value-ind") && offset - lineStart > MAX_BLOCK_COLUMN) {
      return offset;
    }
    const newline = token.lastIndexOf("\n");
    if (newline !== -1) lineStart = offset + newline + 1;
    offset += token.length;
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

function toRaw(w: Walk, node: Node, path: (string | number)[]): RawValue {
  if (++w.nodes > MAX_NODES) {
    const through = w.alias ? ` through the alias *${w.alias.name} (aliases count by what they expand to)` : "";
    throw new KhepriError(`the YAML document expands to more than ${MAX_NODES} values${through}`, w.alias?.pos ?? posAt(w, node.range?.[0]), w.alias?.path ?? path);
  }
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
    const outermost = w.alias === undefined;
    if (outermost) w.alias = { name: node.source, pos, path };
    w.expanding++;
    try {
      return toRaw(w, target as Node, path);
    } finally {
      w.expanding--;
      if (outermost) w.alias = undefined;
    }
  }
  if (isScalar(node)) {
    const value = scalarValue(node.value);
    grow(w, typeof value === "string" ? value.length : 1, pos, path);
    // an integer too big for a double stays the text it was written as (an id, a port range...)
    if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) && node.source !== undefined) return node.source;
    return value;
  }
  if (isSeq(node)) {
    const list: RawValue[] = [];
    setSelfPosition(list, pos);
    node.items.forEach((item, i) => {
      // `!!pairs` and `!!omap` are sequences of key: value pairs
      if (isPair(item)) throw new KhepriError(`${node.tag?.replace("tag:yaml.org,2002:", "!!") ?? "a sequence"} (key: value pairs in a sequence) is not supported: write a mapping`, pos, path);
      const child = item as Node;
      list.push(toRaw(w, child, [...path, i]));
      setChildPosition(list, i, posAt(w, child.range?.[0]));
    });
    return list;
  }
  if (isMap(node)) return mapValue(w, node, path, pos);
  throw new KhepriError("unsupported YAML node", pos, path);
}

/** Counts `size` more characters of the expanded document; past MAX_EXPANDED, names the alias that got it there. */
function grow(w: Walk, size: number, pos: SourcePos | undefined, path: (string | number)[]): void {
  w.size += size;
  if (w.size <= MAX_EXPANDED) return;
  const through = w.alias ? ` through the alias *${w.alias.name} (aliases count by what they expand to)` : "";
  throw new KhepriError(`the YAML document expands to more than ${MAX_EXPANDED_TEXT}${through}`, w.alias?.pos ?? pos, w.alias?.path ?? path);
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
    if (Object.hasOwn(map, key)) throw new KhepriError("this key is already set in the same mapping", keyPos, [...path, key]);
    grow(w, key.length, keyPos, path);
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
