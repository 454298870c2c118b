/**
 * A fast reader for the YAML compose files are usually written in: block
 * mappings and sequences, plain and quoted one-line scalars, `|` / `>` block
 * scalars, one-line flow collections, comments. It gives exactly what the yaml
 * package path in yamlFull.ts gives (values under YAML 1.2's core schema, key
 * order, positions), and `undefined` for anything else (anchors, tags, `<<`,
 * several documents, multi-line plain or quoted scalars, tabs, CRLF, errors of
 * any kind): the yaml package then reads the file and reports what is wrong.
 *
 * Why: the yaml package takes ~10 ms on a small file in a fresh process (its
 * lexer, CST, document model and their code all warming up), more than
 * everything else in a conversion. test/fast-paths.test.ts compares the two
 * readers on every corpus file and on variations of them.
 */
import { setReadPositions, SourceText, type RawMap, type RawValue } from "./raw.ts";

/** Thrown inside the reader for input it leaves to the yaml package. */
const BAIL = { bail: true };
/** The same guard as yamlFull.ts's alias-bomb limit (no aliases here, but the node count is the same). */
const MAX_NODES = 1_000_000;

const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;

/** The document in `text`, or undefined when the yaml package must read it. */
export function parseYamlFast(text: string, file: string): RawValue | undefined {
  // (three native scans: cheaper in a fresh process than compiling a regular expression)
  if (text.length === 0 || text.includes("\t") || text.includes("\r") || text.includes("\uFEFF")) return undefined;
  try {
    return new Reader(text, file).document();
  } catch (error) {
    if (error === BAIL) return undefined;
    throw error;
  }
}

class Reader {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Indentation of each line, or -1 for a blank or comment-only line. */
  private readonly indents: number[] = [];
  private nodes = 0;
  /** The next line to read. */
  private i = 0;
  /** The offset where the value last read by `value` starts. */
  private at = 0;
  /** The file's text, which the positions recorded are offsets into. */
  private readonly source: SourceText;
  /**
   * The places of the children of the containers being read, innermost last (a stack:
   * a container takes its own off the top when it is done). One array for the whole
   * file, so a container's positions are one array of exactly its size.
   */
  private readonly places: (string | number)[] = [];
  private top = 0;
  /** The offset after the colon of the key last read by `key`. */
  private after = 0;
  /** The offset after the scalar last read by `quoted` or `flow`. */
  private close = 0;

  constructor(
    private readonly text: string,
    file: string,
  ) {
    const n = text.length;
    // (locals and indexed stores: this loop runs once, mostly before the JIT has compiled it)
    const { starts, ends, indents } = this;
    let line = 0;
    let start = 0;
    // one entry per line; a final newline does not start another line
    while (start < n) {
      let end = text.indexOf("\n", start);
      if (end === -1) end = n;
      let p = start;
      while (p < end && text.charCodeAt(p) === SPACE) p++;
      starts[line] = start;
      ends[line] = end;
      indents[line] = p === end || text.charCodeAt(p) === HASH ? -1 : p - start;
      line++;
      if (p === start && p < end) {
        // directives and document markers: several documents or a header, the yaml package's business
        const c = text.charCodeAt(p);
        if (c === 37 /* % */ || ((c === DASH || c === 46) /* . */ && /^(---|\.\.\.)( |$)/.test(text.slice(p, Math.min(p + 4, end))))) throw BAIL;
      }
      if (end === n) break;
      start = end + 1;
    }
    this.source = new SourceText(file, this.starts);
  }

  document(): RawValue {
    const first = this.nextContent(0);
    if (first === -1) return null;
    if (this.indents[first] !== 0) throw BAIL;
    this.i = first;
    const value = this.blockNode(first);
    if (this.nextContent(this.i) !== -1) throw BAIL;
    return value;
  }

  // ---------------------------------------------------------------- lines

  private nextContent(from: number): number {
    const indents = this.indents;
    for (let j = from; j < indents.length; j++) if (indents[j]! >= 0) return j;
    return -1;
  }

  /** Records where an item of the list being read starts. */
  private placeItem(at: number): void {
    this.places[this.top++] = at;
  }

  /** Records a key of the mapping being read, where it is written and where its value starts. */
  private placeKey(key: string, keyAt: number, valueAt: number): void {
    const places = this.places;
    let top = this.top;
    places[top++] = key;
    places[top++] = keyAt;
    places[top++] = valueAt;
    this.top = top;
  }

  /** Gives a container read from offset `self` the places recorded for it since `from`, and takes them off the stack. */
  private done(container: object, self: number, from: number): void {
    setReadPositions(container, this.source, self, this.places.slice(from, this.top));
    this.top = from;
  }

  private count(): void {
    if (++this.nodes > MAX_NODES) throw BAIL;
  }

  /** After a value on line `line` ending at `p`: nothing but spaces and a comment may follow. */
  private expectLineEnd(line: number, p: number): void {
    const end = this.ends[line]!;
    if (p === end) return;
    if (this.text.charCodeAt(p) !== SPACE) throw BAIL;
    const q = skipSpaces(this.text, p, end);
    if (q !== end && this.text.charCodeAt(q) !== HASH) throw BAIL;
  }

  // ---------------------------------------------------------------- block collections

  // (the line tables and the text are read into locals in the loops below: a fresh process runs
  // this code before the JIT has compiled it, and there every `this.` is a property look-up)

  /** The map or sequence starting at the first column of content line `line`. */
  private blockNode(line: number): RawValue {
    const p = this.starts[line]! + this.indents[line]!;
    if (isEntry(this.text, p, this.ends[line]!)) return this.sequence(line, p);
    return this.mapping(line, p);
  }

  /** A block sequence whose first `-` is at offset `first` on line `line`; its entries are in that column. */
  private sequence(line: number, first: number): RawValue[] {
    this.count();
    const { text, starts, ends, indents } = this;
    const col = first - starts[line]!;
    const list: RawValue[] = [];
    const from = this.top;
    let p = first;
    for (;;) {
      const q = skipSpaces(text, p + 1, ends[line]!);
      const value = this.value(line, q, col, true);
      this.placeItem(this.at);
      list.push(value);
      const next = this.nextContent(this.i);
      if (next === -1 || indents[next]! < col) break;
      if (indents[next]! > col) throw BAIL;
      p = starts[next]! + col;
      if (!isEntry(text, p, ends[next]!)) {
        this.i = next;
        break;
      }
      line = next;
    }
    this.done(list, first, from);
    return list;
  }

  /** A block mapping whose first key is at offset `first` on line `line`; its keys are in that column. */
  private mapping(line: number, first: number): RawMap {
    this.count();
    const { text, starts, ends, indents } = this;
    const col = first - starts[line]!;
    const map: RawMap = {};
    const from = this.top;
    let p = first;
    for (;;) {
      const key = this.key(line, p);
      if (Object.hasOwn(map, key)) throw BAIL;
      const q = skipSpaces(text, this.after, ends[line]!);
      map[key] = this.value(line, q, col, false);
      this.placeKey(key, p, this.at);
      const next = this.nextContent(this.i);
      if (next === -1 || indents[next]! < col) break;
      if (indents[next]! > col) throw BAIL;
      p = starts[next]! + col;
      if (isEntry(text, p, ends[next]!)) throw BAIL;
      line = next;
    }
    this.done(map, first, from);
    return map;
  }

  /** The key at `p` (a plain or quoted scalar followed by `:`); `this.after` is left after its colon. */
  private key(line: number, p: number): string {
    const text = this.text;
    const end = this.ends[line]!;
    const c = text.charCodeAt(p);
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const value = this.quoted(p, end);
      const close = this.close;
      const colon = skipSpaces(text, close, end);
      if (text.charCodeAt(colon) !== COLON || (colon + 1 < end && text.charCodeAt(colon + 1) !== SPACE)) throw BAIL;
      if (close - p > 1024) throw BAIL;
      this.after = colon + 1;
      return value;
    }
    if (!startsPlainAt(text, p, end)) throw BAIL;
    const colon = indicatorColon(text, p, end);
    const written = colon === -1 ? "" : text.slice(p, colon);
    // (none, or a comment before it: the line is a scalar, not a key)
    if (colon === -1 || written.includes(" #")) throw BAIL;
    const source = written.trimEnd();
    if (source.length > 1024) throw BAIL;
    const value = plainValue(source);
    if (value === null) throw BAIL;
    this.after = colon + 1;
    return String(value);
  }

  /**
   * The value starting at offset `q` on line `line`, after a key's colon or an
   * entry's dash and their spaces. `indent` is the column of the collection it
   * belongs to. `this.at` is left at where the value starts, `this.i` at the
   * line after it.
   */
  private value(line: number, q: number, indent: number, entry: boolean): RawValue {
    const text = this.text;
    const end = this.ends[line]!;
    this.i = line + 1;
    if (q === end || text.charCodeAt(q) === HASH) {
      // nothing on this line: a nested collection below, or an empty (null) value here
      const next = this.nextContent(line + 1);
      if (next !== -1) {
        const nextIndent = this.indents[next]!;
        const p = this.starts[next]! + nextIndent;
        if (nextIndent > indent) {
          this.i = next;
          if (isEntry(text, p, this.ends[next]!) || this.looksLikeKey(next, p)) {
            const node = this.blockNode(next);
            this.at = p;
            return node;
          }
          // a scalar or flow collection on a line of its own
          const c = text.charCodeAt(p);
          if (c === 124 || c === 62) throw BAIL;
          return this.value(next, p, indent, false);
        }
        if (nextIndent === indent && !entry && isEntry(text, p, this.ends[next]!)) {
          this.i = next;
          const node = this.sequence(next, p);
          this.at = p;
          return node;
        }
      }
      this.count();
      this.at = q;
      return null;
    }
    const c = text.charCodeAt(q);
    let value: RawValue;
    if (c === 34 /* " */ || c === 39 /* ' */) {
      value = this.quoted(q, end);
      const close = this.close;
      if (entry) {
        const colon = skipSpaces(text, close, end);
        if (text.charCodeAt(colon) === COLON) {
          value = this.mapping(line, q);
          this.at = q;
          return value;
        }
      }
      this.expectLineEnd(line, close);
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      value = this.flow(line, q);
      this.expectLineEnd(line, this.close);
    } else if (c === 124 /* | */ || c === 62 /* > */) {
      value = this.blockScalar(line, q, indent);
      this.at = q;
      return value;
    } else if (entry && isEntry(text, q, end)) {
      // `- - a`: a sequence in a sequence entry
      value = this.sequence(line, q);
      this.at = q;
      return value;
    } else {
      if (!startsPlainAt(text, q, end)) throw BAIL;
      const scalar = plainScalar(text.slice(q, end));
      if (scalar === undefined) {
        // `- key: value`: a mapping in a sequence entry (`a: b: c` is an error)
        if (!entry) throw BAIL;
        value = this.mapping(line, q);
        this.at = q;
        return value;
      }
      value = plainValue(scalar);
    }
    this.count();
    // a more indented line after a scalar continues it (a multi-line scalar) or is an error
    const next = this.nextContent(this.i);
    if (next !== -1 && this.indents[next]! > indent) throw BAIL;
    this.at = q;
    return value;
  }

  /** Whether content line `line`, from `p`, holds a `key:` (rather than a scalar on a line of its own). */
  private looksLikeKey(line: number, p: number): boolean {
    const text = this.text;
    const end = this.ends[line]!;
    const c = text.charCodeAt(p);
    if (c === 91 || c === 123) return false;
    if (c === 34 || c === 39) {
      this.quoted(p, end);
      return text.charCodeAt(skipSpaces(text, this.close, end)) === COLON;
    }
    return plainScalar(text.slice(p, end)) === undefined;
  }

  // ---------------------------------------------------------------- scalars

  /** A one-line quoted scalar at `p`: its value; `this.close` is left after the closing quote. */
  private quoted(p: number, end: number): string {
    const text = this.text;
    if (text.charCodeAt(p) === 39) {
      let out = "";
      let from = p + 1;
      for (;;) {
        const k = text.indexOf("'", from);
        if (k === -1 || k >= end) throw BAIL; // continues on the next line
        if (k + 1 < end && text.charCodeAt(k + 1) === 39) {
          out += text.slice(from, k + 1);
          from = k + 2;
          continue;
        }
        this.close = k + 1;
        return out + text.slice(from, k);
      }
    }
    // Most double-quoted scalars have no escape: their text is what is between the quotes (native
    // searches; the loop below makes a call per character, in code that is never optimised). The
    // search runs past the line only for a scalar that does not close on it, which the reader leaves.
    const quote = text.indexOf('"', p + 1);
    if (quote !== -1 && quote < end) {
      const between = text.slice(p + 1, quote);
      if (!between.includes("\\")) {
        this.close = quote + 1;
        return between;
      }
    }
    let out = "";
    let from = p + 1;
    for (let k = p + 1; k < end; k++) {
      const ch = text.charCodeAt(k);
      if (ch === 34) {
        this.close = k + 1;
        return out + text.slice(from, k);
      }
      if (ch !== 92 /* \ */) continue;
      out += text.slice(from, k);
      const next = text[k + 1];
      if (next === undefined || k + 1 >= end) throw BAIL;
      const simple = ESCAPES[next];
      if (simple !== undefined) {
        out += simple;
        k += 1;
      } else if (next === "x" || next === "u" || next === "U") {
        const length = next === "x" ? 2 : next === "u" ? 4 : 8;
        const hex = text.slice(k + 2, k + 2 + length);
        if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) throw BAIL;
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) throw BAIL;
        out += String.fromCodePoint(code);
        k += 1 + length;
      } else throw BAIL;
      from = k + 1;
    }
    throw BAIL;
  }

  /** A `|` or `>` block scalar whose indicator is at `q`; its lines are indented more than `indent`. */
  private blockScalar(line: number, q: number, indent: number): string {
    const text = this.text;
    let h = q + 1;
    const chomp = text[h] === "-" || text[h] === "+" ? text[h++] : "";
    this.expectLineEnd(line, h);
    // the content: the lines after the header, indented as the first non-blank one
    const lines: string[] = [];
    let contentIndent = -1;
    let j = line + 1;
    let trailingBlank = 0;
    for (; j < this.starts.length; j++) {
      const start = this.starts[j]!;
      const lineEnd = this.ends[j]!;
      const spaces = skipSpaces(text, start, lineEnd) - start;
      if (start + spaces === lineEnd) {
        // a blank line: part of the scalar (a newline), unless it has more spaces than the indentation
        if (contentIndent === -1 || spaces > contentIndent) throw BAIL;
        lines.push("");
        trailingBlank++;
        continue;
      }
      if (contentIndent === -1) {
        if (spaces <= indent) break;
        contentIndent = spaces;
      } else if (spaces < contentIndent) break;
      // more-indented lines (kept as they are when folding): the yaml package's business
      if (spaces > contentIndent && text.charCodeAt(q) === 62) throw BAIL;
      lines.push(text.slice(start + contentIndent, lineEnd));
      trailingBlank = 0;
    }
    if (contentIndent === -1) throw BAIL;
    // what follows the scalar must be less indented than it (checked by the caller's next line)
    this.i = j - trailingBlank;
    const body = lines.slice(0, lines.length - trailingBlank);
    let value: string;
    if (text.charCodeAt(q) === 124) value = body.join("\n");
    else {
      value = "";
      let blank = 0;
      for (let k = 0; k < body.length; k++) {
        const l = body[k]!;
        if (l === "") {
          blank++;
          continue;
        }
        if (k > 0) value += blank ? "\n".repeat(blank) : " ";
        blank = 0;
        value += l;
      }
    }
    this.count();
    if (chomp === "-") return value;
    if (chomp === "+") return value + "\n".repeat(trailingBlank + 1);
    return value + "\n";
  }

  // ---------------------------------------------------------------- flow collections

  /** A flow sequence or mapping at `p` that closes on the same line; `this.close` is left after it. */
  private flow(line: number, p: number): RawValue {
    this.count();
    const text = this.text;
    const end = this.ends[line]!;
    const open = text.charCodeAt(p);
    const close = open === 91 ? 93 : 125;
    const isMap = open === 123;
    const container: RawValue[] | RawMap = isMap ? {} : [];
    const from = this.top;
    let k = skipSpaces(text, p + 1, end);
    if (text.charCodeAt(k) === close) {
      this.close = k + 1;
      this.done(container, p, from);
      return container;
    }
    for (;;) {
      if (k >= end) throw BAIL;
      if (isMap) {
        const map = container as RawMap;
        const c = text.charCodeAt(k);
        let key: string;
        let after: number;
        if (c === 34 || c === 39) {
          key = this.quoted(k, end);
          after = skipSpaces(text, this.close, end);
          if (text.charCodeAt(after) !== COLON) throw BAIL;
          after++;
        } else {
          const source = this.flowPlain(k, end);
          const stop = this.close;
          if (text.charCodeAt(stop) !== COLON) throw BAIL;
          const value = plainValue(source);
          if (value === null) throw BAIL;
          key = String(value);
          after = stop + 1;
        }
        if (Object.hasOwn(map, key)) throw BAIL;
        const v = skipSpaces(text, after, end);
        map[key] = this.flowValue(line, v, end);
        this.placeKey(key, k, v);
        k = this.close;
      } else {
        const list = container as RawValue[];
        const value = this.flowValue(line, k, end);
        this.placeItem(k);
        list.push(value);
        k = this.close;
        if (text.charCodeAt(k) === COLON) throw BAIL; // `[a: b]`, a pair in a sequence
      }
      const c = text.charCodeAt(k);
      if (c === close) {
        this.close = k + 1;
        this.done(container, p, from);
        return container;
      }
      if (c !== 44 /* , */) throw BAIL;
      k = skipSpaces(text, k + 1, end);
      // a trailing comma, `[a, ]`: left to the yaml package
      if (text.charCodeAt(k) === close) throw BAIL;
    }
  }

  /** One entry of a flow collection at `k`: its value; `this.close` is left after it and its spaces. */
  private flowValue(line: number, k: number, end: number): RawValue {
    const text = this.text;
    const c = text.charCodeAt(k);
    if (c === 91 || c === 123) {
      const value = this.flow(line, k);
      this.close = skipSpaces(text, this.close, end);
      return value;
    }
    this.count();
    if (c === 34 || c === 39) {
      const value = this.quoted(k, end);
      this.close = skipSpaces(text, this.close, end);
      return value;
    }
    return plainValue(this.flowPlain(k, end));
  }

  /** A plain scalar in a flow collection: its text; `this.close` is left at what ends it (`,` `]` `}` or `:`). */
  private flowPlain(k: number, end: number): string {
    const text = this.text;
    if (!startsPlainAt(text, k, end)) throw BAIL;
    for (let j = k; j < end; j++) {
      const ch = text.charCodeAt(j);
      if (ch === 44 || ch === 93 || ch === 125 || ch === 91 || ch === 123) {
        if (ch === 91 || ch === 123) throw BAIL;
        const source = text.slice(k, j).trimEnd();
        if (source === "") throw BAIL;
        this.close = j;
        return source;
      }
      if (ch === COLON) {
        const after = text.charCodeAt(j + 1);
        if (j + 1 === end || after === SPACE || after === 44 || after === 93 || after === 125) {
          const source = text.slice(k, j).trimEnd();
          if (source === "") throw BAIL;
          this.close = j;
          return source;
        }
      }
      if (ch === HASH && text.charCodeAt(j - 1) === SPACE) throw BAIL;
    }
    throw BAIL;
  }
}

/** Whether the text at `p` (on a line ending at `end`) is a block sequence entry: `-` then a space or the end. */
function isEntry(text: string, p: number, end: number): boolean {
  return text.charCodeAt(p) === DASH && (p + 1 === end || text.charCodeAt(p + 1) === SPACE);
}

function skipSpaces(text: string, p: number, end: number): number {
  while (p < end && text.charCodeAt(p) === SPACE) p++;
  return p;
}

/**
 * Whether a plain scalar can start at `p`: not on an indicator, except `-`, `?`
 * and `:` followed by something that is not a space or a flow indicator.
 */
function startsPlainAt(text: string, p: number, end: number): boolean {
  const c = text.charCodeAt(p);
  if (c === DASH || c === 63 /* ? */ || c === COLON) {
    if (p + 1 >= end) return false;
    const next = text.charCodeAt(p + 1);
    return next !== SPACE && next !== 44 && next !== 91 && next !== 93 && next !== 123 && next !== 125;
  }
  return startsPlain(c);
}

/**
 * Where the first `:` from `from` on a line ending at `end` that is a mapping indicator
 * (followed by a space or the line's end) is; -1 if the line has none. For keys only: the native
 * search (a loop would make a call per character) runs past the line's end only on a line that
 * is not a key after all, and the reader then gives up (scalars are looked at in a slice of
 * their line, by plainScalar: a long run of lines without a `:` would make this quadratic).
 */
function indicatorColon(text: string, from: number, end: number): number {
  for (let c = text.indexOf(":", from); c !== -1 && c < end; c = text.indexOf(":", c + 1)) {
    if (c + 1 === end || text.charCodeAt(c + 1) === SPACE) return c;
  }
  return -1;
}

/**
 * The plain scalar that `rest`, the rest of a line, starts with: up to a comment (` #`), its
 * trailing spaces trimmed; undefined when a mapping indicator `:` (followed by a space or the
 * line's end) comes first: the text is a `key: value`, not a scalar. (Native searches in the
 * line's own text: a loop would make a call per character, in code that is never optimised.)
 */
function plainScalar(rest: string): string | undefined {
  const comment = rest.indexOf(" #");
  const scalar = comment === -1 ? rest : rest.slice(0, comment);
  // (a `:` that ends `scalar` is followed by the comment's space or ends the line)
  if (scalar.includes(":") && (scalar.includes(": ") || scalar.endsWith(":"))) return undefined;
  return scalar.trimEnd();
}

// ---------------------------------------------------------------- YAML 1.2 core schema

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  e: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
};

/**
 * Characters that cannot begin a plain scalar (indicators), and `-`, `?`, `:` which this
 * reader leaves alone there: a table, one look-up per scalar (a `switch` over them is a
 * comparison per case, in code that is never optimised).
 */
const NOT_PLAIN_START = new Uint8Array(128);
for (const c of "-?:,[]{}#&*!|>'\"%@`") NOT_PLAIN_START[c.charCodeAt(0)] = 1;

function startsPlain(c: number): boolean {
  if (c < 128) return NOT_PLAIN_START[c] === 0;
  return c === c; // not NaN (the end of the text)
}

const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value, resolved as the yaml package's core schema does (tags tried in its order). */
/**
 * An integer past 2^53 cannot be a JS number without changing its digits
 * (Discord IDs, account numbers): compose keeps them, so the text is kept.
 */
export function exactInteger(value: number, source: string): RawValue {
  return Number.isSafeInteger(value) ? value : source;
}

/** What a plain scalar's text can be as a number, from a scan of its characters. */
const enum NumberLike {
  /** only decimal digits: an integer */
  DIGITS,
  /** a character no core-schema number has: a string */
  TEXT,
  /** anything else: the number patterns decide */
  MAYBE,
}

function numberLike(source: string): NumberLike {
  let digits = true;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    digits = false;
    // what numbers are written with: hex digits, `o` `x`, `.inf` `.nan` in their cases, `.` `+` `-`
    if (!NUMBER_CHARS.includes(source[i]!)) return NumberLike.TEXT;
  }
  return digits ? NumberLike.DIGITS : NumberLike.MAYBE;
}

const NUMBER_CHARS = "abcdefABCDEFoxinINaA.+-";

export function plainValue(source: string): RawValue {
  const c = source.charCodeAt(0);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) {
    // a letter: only null and the booleans can match (the numbers start otherwise)
    if (c === 110 || c === 78) return source === "null" || source === "Null" || source === "NULL" ? null : source;
    if (c === 116 || c === 84) return source === "true" || source === "True" || source === "TRUE" ? true : source;
    if (c === 102 || c === 70) return source === "false" || source === "False" || source === "FALSE" ? false : source;
    return source;
  }
  if (c === c && !(c >= 48 && c <= 57) && c !== 126 && c !== 45 && c !== 43 && c !== 46) return source;
  // (no letter first: of null's spellings only `~` and the empty text are left, and no boolean)
  if (source === "~" || source === "") return null;
  // Digits only (a port, a count) or a character no number has (`8080:80`, `1.2.3`-like text is
  // left to the patterns): decided without the regular expressions, which a fresh process would
  // compile first.
  const kind = numberLike(source);
  if (kind === NumberLike.DIGITS) return exactInteger(parseInt(source, 10), source);
  if (kind === NumberLike.TEXT) return source;
  if (INT_OCT.test(source)) return parseInt(source.substring(2), 8);
  if (INT.test(source)) return exactInteger(parseInt(source, 10), source);
  if (INT_HEX.test(source)) return parseInt(source.substring(2), 16);
  if (FLOAT_NAN.test(source)) return source.slice(-3).toLowerCase() === "nan" ? NaN : source[0] === "-" ? -Infinity : Infinity;
  if (FLOAT_EXP.test(source) || FLOAT.test(source)) return parseFloat(source);
  return source;
}
