// Prints the Nix tree the way nixfmt (RFC 166 style) lays out generated modules.
//
// Rather than a general pretty-printing engine, every node either has a one-line
// ("flat") form or not, and `render` picks the flat form when it exists and fits the
// 100-column line; otherwise the node expands in nixfmt's shape. Rules follow nixfmt:
// - lists and attrsets with more than one element always expand; singletons stay on
//   one line when they fit; empty ones print as `[ ]` / `{ }`;
// - a non-empty attrset bound with `=` always expands (nixfmt's "wide" RHS);
// - strings and paths stay on the `=` line; other values move below `key =` when long;
// - `f a b { ... }`: the last argument is absorbed when it is a non-empty set or list or
//   a multi-line string and the rest fits on the line; otherwise leading arguments stay
//   on the function's line while they fit and the rest go one per line;
// - non-last list arguments of up to 6 simple items may stay on one line;
// - `{ a, b, ... }:` stays on one line only with at most two parameters (no defaults).
// Text widths count code points.
//
// The layout is written as it is decided, into pieces (`Out`) joined at the end: a module is
// mostly many short pieces (indentation, names, quoted values), and building each node's text
// from its children's would make a string of every size on the way.

import { isBinding, isIdentifier, str } from "./ast.ts";
import type { Apply, Attrs, Binding, Comment, Entry, Expr, Inherit, Lambda, Let, List, ListItem, NixString, Param, SetParam, StringPart, With } from "./ast.ts";

export const LINE_WIDTH = 100;

/** How many pieces make a chunk of the output. */
const CHUNK = 2048;

/**
 * The largest module printed. A value repeated many times (one long string behind YAML aliases,
 * `extends` or a variable used in many places) could otherwise make a module of gigabytes from a
 * small file; real modules are far below this (a 5,000-service stack gives a few MiB).
 */
export const MAX_MODULE = 64 * 1024 * 1024;

export class ModuleTooLargeError extends Error {
  constructor() {
    super(`the generated module would be larger than ${MAX_MODULE / 1024 / 1024} MiB: some long value is repeated many times (through YAML aliases, extends, or a long variable interpolated in many places)`);
  }
}

/**
 * The printed text, written a piece at a time. Every few thousand pieces are joined into a
 * chunk: then only that many short strings are alive at once (garbage collection copies what
 * is alive), and the end is one join of a few hundred chunks, not of every piece.
 * The pieces of a chunk go into the same array each time, overwritten in place (an array
 * emptied by `length = 0` would give up its storage and grow again for every chunk).
 */
class Out {
  private readonly pieces: string[] = [];
  private count = 0;
  private readonly chunks: string[] = [];
  /** Characters written so far (see MAX_MODULE). */
  private size = 0;

  /** Appends up to five pieces (most writes are a few in a row, e.g. a binding's line: no array is made for them). */
  write(a: string, b?: string, c?: string, d?: string, e?: string): void {
    const pieces = this.pieces;
    let n = this.count;
    pieces[n++] = a;
    let size = this.size + a.length;
    if (b !== undefined) (pieces[n++] = b), (size += b.length);
    if (c !== undefined) (pieces[n++] = c), (size += c.length);
    if (d !== undefined) (pieces[n++] = d), (size += d.length);
    if (e !== undefined) (pieces[n++] = e), (size += e.length);
    this.count = n;
    this.size = size;
    if (size > MAX_MODULE) throw new ModuleTooLargeError();
    if (n >= CHUNK) this.flush();
  }

  private flush(): void {
    // (a chunk may end up to four pieces past CHUNK: the array is cut to this one's pieces)
    this.pieces.length = this.count;
    this.chunks.push(this.pieces.join(""));
    this.count = 0;
  }

  /** The whole text; the end of writing. */
  end(): string {
    this.flush();
    return this.chunks.join("");
  }
}

// Where a node is written is given by three numbers (no object per node): `indent`, the
// current line's indentation; `col`, the column it starts at; `tail`, how many characters
// must follow it on its last line (e.g. `;`).

/**
 * Formats a whole file: the expression followed by exactly one newline, after `header`, a
 * comment, when given. (The header is written here, not prepended to the result: the result is
 * then one flat string, not a pair a writer must first copy into one.)
 */
export function printNix(expr: Expr, header = ""): string {
  const out = new Out();
  if (header !== "") for (const line of commentLines(header)) out.write(line, "\n");
  render(out, expr, 0, 0, 0);
  out.write("\n");
  return out.end();
}

/** Formats an expression starting at column 0 (no trailing newline). */
export function formatExpr(expr: Expr): string {
  return renderToString(expr, 0, 0, 0);
}

/** A node's layout as a string, where text must be complete before it is placed (inside `${}`, rare). */
function renderToString(e: Expr, indent: number, col: number, tail: number): string {
  const out = new Out();
  render(out, e, indent, col, tail);
  return out.end();
}

// ---------------------------------------------------------------------------------
// Names

/** An attribute name as written: bare when it can be, else quoted. */
export function formatAttrName(name: string): string {
  return isIdentifier(name) ? name : quoteString(name);
}

export function formatAttrPath(key: string | readonly string[]): string {
  if (typeof key === "string") return formatAttrName(key);
  return key.map(formatAttrName).join(".");
}

function formatRef(name: string): string {
  const [head, ...rest] = name.split(".");
  return [head, ...rest.map(formatAttrName)].join(".");
}

// ---------------------------------------------------------------------------------
// Strings
//
// A multi-line string is handled a line at a time, each line a sequence of text runs
// and interpolated expressions. Escaping decisions need one character of lookahead
// (`$` before `{`); it stays within a run, as runs next to each other are joined.

/** One line of a `''` string: non-empty text runs (never two in a row) and interpolations. */
type Line = StringPart[];

const isInterp = (a: StringPart | undefined): a is Expr => a !== undefined && typeof a !== "string";

/** Multi-line strings print as `''` indented strings. */
export function isMultiline(s: NixString): boolean {
  if (s.text !== undefined) return s.text.includes("\n");
  for (const p of s.parts) if (typeof p === "string" && p.includes("\n")) return true;
  return false;
}

/** A plain string's one-line form: its `"..."` literal, or undefined when it has a line break (it prints as `''`). */
const flatText = (text: string): string | undefined => (text.includes("\n") ? undefined : quoteString(text));

/** A plain string as a `"..."` literal (used for quoted attribute names too). */
export function quoteString(value: string): string {
  return '"' + escapeQuoted(value, false) + '"';
}

/**
 * Characters a reviewer cannot see, or that make the module read other than it evaluates: control
 * characters (but LF, CR and tab, which have escapes) and Unicode's invisible and bidirectional
 * formatting ones (U+200B zero width space, U+202E right-to-left override, ...). Nix strings have
 * no escape for them (`\u` is not one), so each is written as an interpolation that makes it from
 * a JSON escape, `${builtins.fromJSON ''"\u202e"''}`: same value, visible. (NUL is refused earlier.)
 */
const INVISIBLE = "\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\xad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb";
/**
 * And the tag characters (U+E0000-E007F, which can spell hidden text) with the rest of plane 14's
 * first block (variation selectors): UTF-16 pairs whose first half is U+DB40, written as one
 * escape of both halves.
 */
const TAG_HIGH = 0xdb40;
const IS_INVISIBLE = new RegExp(`^[${INVISIBLE}]`);
const isInvisibleAt = (text: string, i: number): boolean => i < text.length && (IS_INVISIBLE.test(text[i]!) || text.charCodeAt(i) === TAG_HIGH);
/** The invisible character at `i` (one or two UTF-16 units). */
const invisibleAt = (text: string, i: number): string => text.slice(i, text.charCodeAt(i) === TAG_HIGH ? i + 2 : i + 1);
/** `\uXXXX` for each UTF-16 unit of `c`. */
const jsonEscapes = (c: string): string => {
  let escapes = "";
  for (let i = 0; i < c.length; i++) escapes += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return escapes;
};
const visibly = (c: string): string => `\${builtins.fromJSON ''"${jsonEscapes(c)}"''}`;
/** The invisible characters anywhere in a text (a comment's, which has no escapes: they are shown as `\uXXXX`). */
const ANY_INVISIBLE = new RegExp(`\\udb40[\\udc00-\\udfff]|[${INVISIBLE}]`, "g");

// Characters the `''` form looks for.
const QUOTE = 0x27; // '
const DOLLAR = 0x24;
const OPEN_BRACE = 0x7b;
const CR = 0x0d;
const SPACE = 0x20;

/**
 * What needs escaping in `"..."`: `\\`, `"`, CR, LF, tab, `$` before `{`, and the invisible
 * characters written as JSON escapes (`$` before one of them too, see INVISIBLE).
 */
const QUOTE_SPECIAL = new RegExp(`\\udb40[\\udc00-\\udfff]|[\\\\"\\n\\r\\t${INVISIBLE}]|\\$(?=[{${INVISIBLE}\\udb40])`, "g");
const HAS_QUOTE_SPECIAL = new RegExp(QUOTE_SPECIAL.source);
const QUOTE_ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", $: "\\$" };

/**
 * A text run in the `"..."` form (a CR is escaped: the Nix lexer would read a literal one as LF).
 * `$` is escaped only where it would start an interpolation: before `{`, or at the end when
 * an interpolation follows (`beforeInterp`).
 */
function escapeQuoted(text: string, beforeInterp: boolean): string {
  const escaped = HAS_QUOTE_SPECIAL.test(text) ? text.replace(QUOTE_SPECIAL, (c) => QUOTE_ESCAPES[c] ?? visibly(c)) : text;
  return beforeInterp && text.endsWith("$") ? escaped.slice(0, -1) + "\\$" : escaped;
}

/**
 * A string's parts in the `"..."` form, a part at a time; undefined if an interpolation has
 * no text.
 */
function quotedParts(parts: readonly StringPart[], show: (e: Expr) => string | undefined): string | undefined {
  let out = '"';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (typeof p !== "string") {
      const inner = show(p);
      if (inner === undefined) return undefined;
      out += "${" + inner + "}";
      continue;
    }
    out += escapeQuoted(p, p.endsWith("$") && interpolationFollows(parts, i + 1));
  }
  return out + '"';
}

/** Whether the text from `parts[from]` on starts an interpolation (after a `$`): an interpolated part, or text beginning with `{`. */
function interpolationFollows(parts: readonly StringPart[], from: number): boolean {
  let j = from;
  while (parts[j] === "") j++;
  const next = parts[j];
  return next !== undefined && (typeof next !== "string" || next.startsWith("{") || isInvisibleAt(next, 0));
}

function splitLines(parts: readonly StringPart[]): Line[] {
  const lines: Line[] = [[]];
  for (const p of parts) {
    if (isInterp(p)) {
      lines[lines.length - 1]!.push(p);
      continue;
    }
    const pieces = p.split("\n");
    for (let k = 0; k < pieces.length; k++) {
      if (k > 0) lines.push([]);
      const piece = pieces[k]!;
      if (piece === "") continue;
      const line = lines[lines.length - 1]!;
      const last = line.length - 1;
      if (typeof line[last] === "string") line[last] += piece;
      else line.push(piece);
    }
  }
  return lines;
}

/** Whether a line holds only spaces, if anything. */
function isBlank(line: Line): boolean {
  for (let j = 0; j < line.length; j++) {
    const part = line[j]!;
    if (typeof part !== "string") return false;
    for (let i = 0; i < part.length; i++) if (part.charCodeAt(i) !== SPACE) return false;
  }
  return true;
}

const startsWithSpace = (line: Line): boolean => typeof line[0] === "string" && line[0].startsWith(" ");

/**
 * Which line (if any) must start with an escaped space `''\ ` so Nix's indentation
 * stripping removes exactly our added indentation. Nix strips the smallest leading-space
 * count of the lines that hold something besides spaces, and drops a final line that
 * holds only spaces; an escape ends the leading whitespace without being stripped.
 */
function anchorLine(lines: readonly Line[]): number {
  const last = lines.length - 1;
  if (lines[last]!.length > 0 && isBlank(lines[last]!)) return last;
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    if (isBlank(lines[i]!)) continue;
    if (!startsWithSpace(lines[i]!)) return -1;
    if (first === -1) first = i;
  }
  if (first !== -1) return first;
  // Only blank lines: with nothing counted, Nix would strip every leading space.
  return lines.findIndex((l) => l.length > 0);
}

const ESCAPED_QUOTE = "''\\'";

/** What follows a text run on its line: an interpolation, the line break, or the closing `''`. */
type After = "interp" | "line" | "end";

/** Whether the `$` at `i` would start an interpolation: before `{` or before an interpolated part. */
function startsInterp(text: string, i: number, after: After): boolean {
  return i + 1 === text.length ? after === "interp" : text.charCodeAt(i + 1) === OPEN_BRACE || isInvisibleAt(text, i + 1);
}

/** Whether what is at `i` is written with a token starting with `'`: an escaped `$` or CR, or the closing `''`. */
function quoteTokenAt(text: string, i: number, after: After): boolean {
  if (i === text.length) return after === "end";
  const c = text.charCodeAt(i);
  return c === CR || (c === DOLLAR && startsInterp(text, i, after));
}

/** What the `''` form may have to escape: `'`, `$` and CR. */
const INDENTED_SPECIAL = new RegExp(`['$\\r${INVISIBLE}\\udb40]`);

/**
 * A text run in the `''` form: `''` as `'''`, `$` starting an interpolation as `''$`, CR as
 * `''\r`. A single `'` directly before another `''`-token (or the closing `''`) would lex as
 * `'''`: it is written `''\'`.
 */
function indentedText(text: string, after: After): string {
  // (most text has none of these: a regular expression finds that out for far less than the loop)
  if (!INDENTED_SPECIAL.test(text)) return text;
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let token: string;
    if (c === QUOTE) {
      if (text.charCodeAt(i + 1) === QUOTE) {
        token = "'''";
        out += text.slice(from, i) + token;
        from = i + 2;
        i++;
        continue;
      }
      if (!quoteTokenAt(text, i + 1, after)) continue;
      token = ESCAPED_QUOTE;
    } else if (c === DOLLAR) {
      if (!startsInterp(text, i, after)) continue;
      token = "''$";
    } else if (c === CR) token = "''\\r";
    else if (isInvisibleAt(text, i)) {
      const c = invisibleAt(text, i);
      out += text.slice(from, i) + visibly(c);
      from = i + c.length;
      i += c.length - 1;
      continue;
    } else continue;
    out += text.slice(from, i) + token;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Source text of one line of a `''` string. */
function indentedLine(line: Line, anchor: boolean, isLast: boolean, show: (e: Expr) => string): string {
  let out = "";
  for (let j = 0; j < line.length; j++) {
    const part = line[j]!;
    if (isInterp(part)) {
      out += "${" + show(part) + "}";
      continue;
    }
    const after: After = j + 1 < line.length ? "interp" : isLast ? "end" : "line";
    // the anchor takes the place of the line's first space
    out += j === 0 && anchor ? "''\\ " + indentedText(part.slice(1), after) : indentedText(part, after);
  }
  return out;
}

function renderIndented(out: Out, s: NixString, indent: number): void {
  const inner = indent + 2;
  const show = (e: Expr): string => flat(e) ?? renderToString(e, inner, inner, 0);
  const lines = splitLines(s.text !== undefined ? [s.text] : s.parts);
  const anchor = anchorLine(lines);
  const last = lines.length - 1;
  out.write("''\n");
  for (let i = 0; i < lines.length; i++) {
    if (i > 0) out.write("\n");
    const text = indentedLine(lines[i]!, i === anchor, i === last, show);
    if (i === last) {
      if (text === "") out.write(pad(indent), "''");
      else out.write(pad(inner), text, "''");
    } else if (text !== "") out.write(pad(inner), text);
  }
}

/** The text of a string always written as one `"..."` literal, without interpolations (most strings), else undefined. */
function quotedLineText(e: Expr): string | undefined {
  if (e.kind !== "string") return undefined;
  const text = e.text;
  return text === undefined || text.includes("\n") ? undefined : text;
}

/** A string where it is written whatever its width (as a value or list item). */
function renderString(out: Out, s: NixString, indent: number, col: number, tail: number): void {
  const text = s.text;
  if (text !== undefined) {
    // (most strings: no need to build the quoted literal as one string)
    if (text.includes("\n")) renderIndented(out, s, indent);
    else out.write('"', escapeQuoted(text, false), '"');
    return;
  }
  if (isMultiline(s)) renderIndented(out, s, indent);
  else out.write(flat(s) ?? quotedParts(s.parts!, (x) => flat(x) ?? renderToString(x, indent, col, tail)) ?? "");
}

// ---------------------------------------------------------------------------------
// Numbers

function formatFloat(v: number): string {
  if (Object.is(v, -0)) return "-0.0";
  // Nix floats need a `.` in the mantissa: `1e5` would not lex as a float.
  const [mant = "", exp] = String(v).split("e");
  const m = mant.includes(".") ? mant : mant + ".0";
  return exp === undefined ? m : m + "e" + exp;
}

// ---------------------------------------------------------------------------------
// Shape predicates

/** Indentation, made once per width (every line starts with one). */
const PADS: string[] = [];
const pad = (n: number): string => (PADS[n] ??= " ".repeat(n));
const NEW_LINES: string[] = [];
/** A line break and the next line's indentation, as one piece: how every line of a layout starts. */
const newLine = (indent: number): string => (NEW_LINES[indent] ??= "\n" + pad(indent));
const STRING_ITEM_STARTS: string[] = [];
/** A line break, the indentation and `"`, as one piece: how a list's string item starts (most items). */
const stringItemStart = (indent: number): string => (STRING_ITEM_STARTS[indent] ??= newLine(indent) + '"');

const SURROGATE = /[\uD800-\uDFFF]/;

function width(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Whether a one-line form fits at `col` with `tail` characters after it (one-line forms hold no line break: strings escape it). */
function fits(text: string | undefined, col: number, tail: number): text is string {
  if (text === undefined) return false;
  // (a width is at most the length: code points are counted only when the length is too much)
  return col + text.length + tail <= LINE_WIDTH || col + width(text) + tail <= LINE_WIDTH;
}

/** How long (in UTF-16 units) a one-line form at `col` may be and still fit: a code point takes at most two. */
const limitAt = (col: number, tail: number): number => 2 * (LINE_WIDTH - col - tail);

const isComment = (x: Entry | Expr | Comment): x is Comment => x.kind === "comment";

function isNegative(e: Expr): boolean {
  if (e.kind === "int") return e.value < 0;
  if (e.kind === "float") return formatFloat(e.value).startsWith("-");
  return false;
}

/** Needs parentheses as a function argument or list item. */
function needsParens(e: Expr): boolean {
  return e.kind === "apply" || e.kind === "lambda" || e.kind === "let" || e.kind === "with" || isNegative(e);
}

/** Needs parentheses before `.attr` (a number would lex as a float). */
function needsParensToSelect(e: Expr): boolean {
  return needsParens(e) || e.kind === "int" || e.kind === "float";
}

/** Can start on the same line and expand below (nixfmt "absorbable"). */
function isAbsorbable(e: Expr): boolean {
  if (e.kind === "attrs") return e.entries.length > 0;
  if (e.kind === "list") return e.items.length > 0;
  return e.kind === "string" && isMultiline(e);
}

/** A set holding just one inherit is exempt from forced expansion. */
function isSingleInherit(a: Attrs): boolean {
  return a.entries.length === 1 && a.entries[0]!.kind === "inherit";
}

/** Attrsets that always expand as a binding's value. */
function isWideValue(e: Expr): boolean {
  return e.kind === "attrs" && e.entries.length > 0 && !isSingleInherit(e);
}

/** nixfmt's "simple" terms: may share a line inside a non-last list argument. */
function isSimple(e: Expr): boolean {
  switch (e.kind) {
    case "string":
      return !isMultiline(e);
    case "path":
    case "bool":
    case "null":
      return true;
    case "int":
    case "float":
      return !isNegative(e);
    case "ref":
      return e.bare;
    case "select":
      return isSimple(e.expr) && e.path.every(isIdentifier);
    case "apply": {
      const args = applyArgs(e);
      return args.length <= 2 && isSimple(applyHead(e)) && args.every(isSimple);
    }
    default:
      return false;
  }
}

/** nixfmt treats `f [ ... ] [ ... ]` specially: both lists may stay compact, neither is absorbed. */
function endsWithTwoLists(args: readonly Expr[]): boolean {
  return args.length >= 2 && args[args.length - 1]!.kind === "list" && args[args.length - 2]!.kind === "list";
}

// `f a` applied to `b` is printed as `f a b`: the function at the bottom of the chain, and all arguments.

function applyHead(e: Apply): Expr {
  let fn = e.fn;
  while (fn.kind === "apply") fn = fn.fn;
  return fn;
}

function applyArgs(e: Apply): readonly Expr[] {
  // (most calls are not curried: their own arguments, uncopied)
  if (e.fn.kind !== "apply") return e.args;
  const args = [...e.args];
  for (let fn: Expr = e.fn; fn.kind === "apply"; fn = fn.fn) args.unshift(...fn.args);
  return args;
}

function canFlattenParams(p: SetParam): boolean {
  return p.params.length <= 2 && p.params.every((q) => typeof q === "string");
}

// ---------------------------------------------------------------------------------
// One-line forms (undefined when the node never fits on one line)
//
// Layout asks for a node's one-line form, and when it does not fit, again for each of its
// children at the next level down. Nothing is remembered between asks; instead, a form is
// only used when it fits in what is left of the line, so building one stops (undefined) as
// soon as it is certainly too long: longer than `limit` UTF-16 units (`limitAt`). An ask
// then costs at most about a line's worth of nodes, however deep or large the node.
// Strings are the exception: they are written whatever their width, so theirs is whole.

const NO_LIMIT = Number.POSITIVE_INFINITY;

function flat(e: Expr, limit = NO_LIMIT): string | undefined {
  switch (e.kind) {
    case "string": {
      const text = e.text;
      if (text !== undefined) return text.includes("\n") ? undefined : quoteString(text);
      return isMultiline(e) ? undefined : quotedParts(e.parts, flat);
    }
    case "int":
      return String(e.value);
    case "float":
      return formatFloat(e.value);
    case "bool":
      return e.value ? "true" : "false";
    case "null":
      return "null";
    case "path":
      return e.value;
    case "ref":
      return e.bare ? e.name : formatRef(e.name);
    case "select": {
      const base = flatOperand(e.expr, needsParensToSelect(e.expr), limit);
      return base === undefined ? undefined : base + "." + formatAttrPath(e.path);
    }
    case "list":
      return flatList(e, false, limit);
    case "attrs":
      return flatAttrs(e, limit);
    case "apply":
      return flatApply(e, limit);
    case "lambda": {
      if (typeof e.param !== "string") return undefined;
      const body = flat(e.body, limit - e.param.length - 2);
      return body === undefined ? undefined : `${e.param}: ${body}`;
    }
    case "let":
      return undefined;
    case "with": {
      const scope = flat(e.scope, limit - 6);
      if (scope === undefined) return undefined;
      const body = flat(e.body, limit - scope.length - 7);
      return body === undefined ? undefined : `with ${scope}; ${body}`;
    }
  }
}

function flatOperand(e: Expr, parens: boolean, limit: number): string | undefined {
  if (!parens) return flat(e, limit);
  const text = flat(e, limit - 2);
  return text === undefined ? undefined : `(${text})`;
}

function flatArg(a: Expr, isLast: boolean, limit: number): string | undefined {
  // (most arguments are strings, which never take parentheses: no need to ask)
  if (a.kind === "string") return flat(a);
  return !isLast && a.kind === "list" ? flatList(a, true, limit) : flatOperand(a, needsParens(a), limit);
}

function flatApply(e: Apply, limit: number): string | undefined {
  if (limit <= 0) return undefined;
  const fn = e.fn;
  // (most calls: a function by name on its own arguments, as `lib.mkOverride 90 "no"`)
  if (fn.kind === "ref") return flatArgs(fn.bare ? fn.name : formatRef(fn.name), e.args, limit);
  const head = applyHead(e);
  const text = flatOperand(head, needsParens(head), limit);
  return text === undefined ? undefined : flatArgs(text, applyArgs(e), limit);
}

/** `head` followed by the arguments' one-line forms. */
function flatArgs(head: string, args: readonly Expr[], limit: number): string | undefined {
  const compactLast = endsWithTwoLists(args);
  let text: string | undefined = head;
  for (let i = 0; i < args.length && text !== undefined; i++) {
    const arg = flatArg(args[i]!, i === args.length - 1 && !compactLast, limit - text.length - 1);
    text = arg === undefined ? undefined : text + " " + arg;
  }
  return text;
}

/** `[ x ]`; with `manySimple`, up to 6 simple items (non-last function arguments). */
function flatList(l: List, manySimple: boolean, limit: number): string | undefined {
  const items = l.items;
  if (items.length === 0) return "[ ]";
  // (the length first: most lists have several items, and then no one-line form)
  if (items.length > 1 && !(manySimple && items.length <= 6)) return undefined;
  if (limit <= 0) return undefined;
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    if (typeof x !== "string" && x.kind === "comment") return undefined;
  }
  const several = items.length > 1;
  let text = "[";
  for (let i = 0; i < items.length; i++) {
    const x = items[i] as string | Expr;
    let item: string | undefined;
    if (typeof x === "string") item = flatText(x);
    else item = several && !isSimple(x) ? undefined : flatOperand(x, needsParens(x), limit - text.length - 3);
    if (item === undefined) return undefined;
    text += " " + item;
  }
  return text + " ]";
}

function flatAttrs(a: Attrs, limit: number): string | undefined {
  const prefix = a.rec ? "rec " : "";
  if (a.entries.length === 0) return prefix + "{ }";
  if (a.entries.length > 1 || limit <= 0) return undefined;
  const text = flatEntry(a.entries[0]!, limit - prefix.length - 4);
  return text === undefined ? undefined : `${prefix}{ ${text} }`;
}

function flatEntry(entry: Entry, limit: number): string | undefined {
  if (isBinding(entry)) {
    const v = entry.value;
    if (typeof v !== "string" && isWideValue(v)) return undefined;
    const key = formatAttrPath(entry.key);
    const value = typeof v === "string" ? flatText(v) : flat(v, limit - key.length - 4);
    return value === undefined ? undefined : `${key} = ${value};`;
  }
  return entry.kind === "inherit" ? flatInherit(entry) : undefined;
}

/** nixfmt keeps `inherit` on one line only for fewer than 4 names. */
function flatInherit(i: Inherit): string | undefined {
  if (i.names.length >= 4) return undefined;
  let text = "inherit";
  if (i.from !== undefined) {
    const from = flat(i.from);
    if (from === undefined) return undefined;
    text += ` (${from})`;
  }
  for (const name of i.names) text += " " + name;
  return text + ";";
}

// ---------------------------------------------------------------------------------
// Multi-line layout

function render(out: Out, e: Expr, indent: number, col: number, tail: number): void {
  switch (e.kind) {
    case "string":
      return renderString(out, e, indent, col, tail);
    case "list":
      return renderList(out, e, indent, col, tail);
    case "attrs":
      return renderAttrs(out, e, indent, col, tail, false);
    case "apply":
      return renderApply(out, e, indent, col, tail);
    case "lambda":
      return renderLambda(out, e, indent, col, tail);
    case "let":
      return renderLet(out, e, indent, tail);
    case "with":
      return renderWith(out, e, indent, col, tail, false);
    case "select": {
      const text = flat(e);
      if (text !== undefined) {
        out.write(text);
        return;
      }
      renderOperand(out, e.expr, indent, col, tail, needsParensToSelect(e.expr));
      out.write(".", formatAttrPath(e.path));
      return;
    }
    default:
      // Scalars always have a one-line form.
      out.write(flat(e) ?? "");
  }
}

function renderOperand(out: Out, e: Expr, indent: number, col: number, tail: number, parens: boolean): void {
  if (!parens) return render(out, e, indent, col, tail);
  // inside the parentheses
  col += 1;
  tail += 1;
  out.write("(");
  if (e.kind === "apply") {
    // A call broken one argument per line gets its `)` on a line of its own, as in nixfmt.
    const text = flat(e, limitAt(col, tail));
    if (fits(text, col, tail)) {
      out.write(text, ")");
      return;
    }
    const head = absorbingHead(e, col);
    if (head !== undefined) {
      renderAbsorbed(out, e, head, indent, col, tail);
      out.write(")");
    } else {
      brokenApply(out, e, indent, col, 0);
      out.write(newLine(indent), ")");
    }
    return;
  }
  render(out, e, indent, col, tail);
  out.write(")");
}

/**
 * `lead` and `end`: what comes before the list on its first line and after it on its last (a
 * binding's `key = ` and `;`), written with it: a write costs far more than its pieces.
 */
function renderList(out: Out, l: List, indent: number, col: number, tail: number, lead = "", end = ""): void {
  const text = flatList(l, false, limitAt(col, tail));
  if (l.items.length === 0 || fits(text, col, tail)) {
    out.write(lead, text ?? "[ ]", end);
    return;
  }
  out.write(lead, "[");
  renderItems(out, l.items, indent + 2);
  out.write(newLine(indent), "]", end);
}

/** A list's items one per line, each starting with its line break. */
function renderItems(out: Out, items: readonly ListItem[], inner: number): void {
  const lineStart = newLine(inner);
  const stringStart = stringItemStart(inner);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (typeof item === "string") {
      // (most items: a string on its own line; a multi-line one, rare, as a string node)
      if (item.includes("\n")) {
        out.write(lineStart);
        renderIndented(out, str(item), inner);
      } else out.write(stringStart, escapeQuoted(item, false), '"');
      continue;
    }
    if (isComment(item)) {
      renderComment(out, item, inner, i === 0);
      continue;
    }
    const text = quotedLineText(item);
    if (text !== undefined) {
      // (most items: a string on its own line)
      out.write(stringStart, escapeQuoted(text, false), '"');
      continue;
    }
    out.write(lineStart);
    renderOperand(out, item, inner, inner, 0, needsParens(item));
  }
}

/** `wide`: the set is a binding's value, where nixfmt always expands it. `lead` and `end` as for renderList. */
function renderAttrs(out: Out, a: Attrs, indent: number, col: number, tail: number, wide: boolean, lead = "", end = ""): void {
  const prefix = a.rec ? "rec " : "";
  if (a.entries.length === 0) {
    out.write(lead, prefix + "{ }", end);
    return;
  }
  if (!wide || isSingleInherit(a)) {
    const text = flatAttrs(a, limitAt(col, tail));
    if (fits(text, col, tail)) {
      out.write(lead, text, end);
      return;
    }
  }
  out.write(lead, a.rec ? "rec {" : "{");
  renderEntries(out, a.entries, indent + 2);
  out.write(newLine(indent), "}", end);
}

/** Entries one per line, each starting with its line break (no line break after the last). */
function renderEntries(out: Out, entries: readonly Entry[], indent: number): void {
  for (const [i, entry] of entries.entries()) {
    const kind = entry.kind;
    if (kind === undefined) renderBinding(out, entry, indent);
    else if (kind === "comment") renderComment(out, entry, indent, i === 0);
    else renderInherit(out, entry, indent);
  }
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * A comment's text as `# ` lines. Any line break (CR too) ends a Nix comment, so each line gets
 * its own `#`; characters a reader would not see are written as `\uXXXX`.
 */
function commentLines(text: string): string[] {
  return text.split(LINE_BREAK).map((line) => {
    const shown = line.replace(ANY_INVISIBLE, jsonEscapes).trimEnd();
    return shown.trim() === "" ? "#" : "# " + shown;
  });
}

/** `# text` lines, set off by a blank line unless first. */
function renderComment(out: Out, c: Comment, indent: number, first: boolean): void {
  if (!first) out.write("\n");
  for (const line of commentLines(c.text)) out.write(newLine(indent), line);
}

function renderInherit(out: Out, i: Inherit, indent: number): void {
  const text = flatInherit(i);
  if (text !== undefined && indent + width(text) <= LINE_WIDTH) {
    out.write(newLine(indent), text);
    return;
  }
  out.write(newLine(indent), "inherit");
  if (i.from !== undefined) out.write(" (", flat(i.from) ?? renderToString(i.from, indent, indent + 9, 1), ")");
  for (const name of i.names) out.write(newLine(indent + 2), name);
  out.write(newLine(indent + 2), ";");
}

// A binding's line start, its ` = ` and what follows on that line go out in one write, as do a
// closing bracket and the `;`: bindings are most lines of a module, and a write costs far more
// than its pieces.

function renderBinding(out: Out, b: Binding, indent: number): void {
  const key = formatAttrPath(b.key);
  const v = b.value;
  const text = typeof v === "string" ? (v.includes("\n") ? undefined : v) : quotedLineText(v);
  if (text !== undefined) {
    // (most values: a string on the `=` line, whatever its width)
    out.write(newLine(indent), key, ' = "', escapeQuoted(text, false), '";');
    return;
  }
  // (a multi-line plain string, rare, as a string node)
  const value = typeof v === "string" ? str(v) : v;
  // on the same line: after ` = `, followed by `;`
  const same = indent + width(key) + 3;
  if (value.kind === "attrs") return renderAttrs(out, value, indent, same, 1, true, newLine(indent) + key + " = ", ";");
  if (value.kind === "list") return renderList(out, value, indent, same, 1, newLine(indent) + key + " = ", ";");
  const line = sameLineText(value, same);
  if (line !== undefined) {
    out.write(newLine(indent), key, " = ", line, ";");
    return;
  }
  out.write(newLine(indent), key);
  renderRhs(out, value, indent, same);
  out.write(";");
}

/**
 * A binding's value (not a set or list: renderBinding writes those) as one line at `same`, when
 * it has that form and fits; undefined for strings and paths, which `renderRhs` places whatever
 * their width.
 */
function sameLineText(v: Expr, same: number): string | undefined {
  let text: string | undefined;
  // (calls, most values here, straight to their one-line form: flat's kind tests cost each time)
  if (v.kind === "apply") text = flatApply(v, limitAt(same, 1));
  else if (v.kind === "string" || v.kind === "path") return undefined;
  else text = flat(v, limitAt(same, 1));
  return fits(text, same, 1) ? text : undefined;
}

/** What follows a binding's key when `sameLineText` has no line for it: ` = ` and the value starting on the same line, or ` =` and the value on the lines below. */
function renderRhs(out: Out, v: Expr, indent: number, same: number): void {
  switch (v.kind) {
    // Nothing is gained by moving these below the `=` (and strings are written whatever their width).
    case "string":
    case "path":
      out.write(" = ");
      return render(out, v, indent, same, 1);
    case "apply": {
      const head = absorbingHead(v, same);
      if (head === undefined) return renderBelow(out, v, indent);
      out.write(" = ");
      return renderAbsorbed(out, v, head, indent, same, 1);
    }
    case "lambda":
      if (typeof v.param === "string" && isAbsorbable(lambdaBody(v))) {
        out.write(" = ");
        return renderLambda(out, v, indent, same, 1);
      }
      return renderBelow(out, v, indent);
    case "with":
      if (isAbsorbable(v.body)) {
        out.write(" = ");
        return renderWith(out, v, indent, same, 1, true);
      }
      return renderBelow(out, v, indent);
    default:
      return renderBelow(out, v, indent);
  }
}

/** A binding's value on the lines below its `key =`. */
function renderBelow(out: Out, v: Expr, indent: number): void {
  out.write(" =", newLine(indent + 2));
  render(out, v, indent + 2, indent + 2, 1);
}

function lambdaBody(l: Lambda): Expr {
  return l.body.kind === "lambda" && typeof l.body.param === "string" ? lambdaBody(l.body) : l.body;
}

/**
 * `f a b {`...`}`: all but the last argument on the line, the last one expanding below.
 * The text before the last argument, or undefined when the call cannot take this shape at `col`.
 */
function absorbingHead(v: Apply, col: number): string | undefined {
  const args = applyArgs(v);
  if (!isAbsorbable(args[args.length - 1]!) || endsWithTwoLists(args)) return undefined;
  // the head must leave a column for the last argument's opening bracket
  const limit = limitAt(col, 1);
  const fn = applyHead(v);
  let head = flatOperand(fn, needsParens(fn), limit);
  for (let i = 0; i < args.length - 1 && head !== undefined; i++) {
    const arg = flatArg(args[i]!, false, limit - head.length - 1);
    head = arg === undefined ? undefined : head + " " + arg;
  }
  if (head === undefined) return undefined;
  head += " ";
  return col + width(head) + 1 > LINE_WIDTH ? undefined : head;
}

/** Writes a call in the shape `absorbingHead` allowed. */
function renderAbsorbed(out: Out, v: Apply, head: string, indent: number, col: number, tail: number): void {
  const args = applyArgs(v);
  out.write(head);
  render(out, args[args.length - 1]!, indent, col + width(head), tail);
}

function renderApply(out: Out, v: Apply, indent: number, col: number, tail: number): void {
  const text = flat(v, limitAt(col, tail));
  if (fits(text, col, tail)) {
    out.write(text);
    return;
  }
  const head = absorbingHead(v, col);
  if (head !== undefined) renderAbsorbed(out, v, head, indent, col, tail);
  else brokenApply(out, v, indent, col, tail);
}

/**
 * Last resort for a call: like nixfmt's nested groups, leading arguments stay on the
 * function's line while they fit, the rest go one per line.
 */
function brokenApply(out: Out, v: Apply, indent: number, col: number, tail: number): void {
  const fn = applyHead(v);
  const args = applyArgs(v);
  const inner = indent + 2;
  const head = flatOperand(fn, needsParens(fn), NO_LIMIT);
  let kept = 0;
  if (head === undefined) renderOperand(out, fn, indent, col, 0, needsParens(fn));
  else {
    out.write(head);
    let headWidth = width(head);
    for (; kept < args.length - 1; kept++) {
      const arg = flatArg(args[kept]!, false, 2 * (LINE_WIDTH - col - headWidth - 1));
      if (arg === undefined) break;
      const argWidth = width(arg);
      if (col + headWidth + 1 + argWidth > LINE_WIDTH) break;
      out.write(" ", arg);
      headWidth += 1 + argWidth;
    }
  }
  for (let k = kept; k < args.length; k++) {
    const a = args[k]!;
    const isLast = k === args.length - 1;
    const argTail = isLast ? tail : 0;
    out.write(newLine(inner));
    if (a.kind === "list" && (!isLast || endsWithTwoLists(args))) {
      const listText = flatList(a, true, limitAt(inner, argTail));
      if (fits(listText, inner, argTail)) {
        out.write(listText);
        continue;
      }
    }
    renderOperand(out, a, inner, inner, argTail, needsParens(a));
  }
}

function renderLambda(out: Out, l: Lambda, indent: number, col: number, tail: number): void {
  if (typeof l.param !== "string") {
    // Generated modules put the body below the parameter set, as hand-written ones do.
    out.write(renderParams(l.param, indent), newLine(indent));
    return render(out, l.body, indent, indent, tail);
  }
  const text = flat(l, limitAt(col, tail));
  if (fits(text, col, tail)) {
    out.write(text);
    return;
  }
  const head = l.param + ":";
  if (isAbsorbable(lambdaBody(l))) {
    out.write(head, " ");
    return render(out, l.body, indent, col + width(head) + 1, tail);
  }
  out.write(head, newLine(indent));
  render(out, l.body, indent, indent, tail);
}

function renderParams(p: SetParam, indent: number): string {
  const inner = indent + 2;
  const names = p.params.map((q) => formatParam(q, inner));
  const all = p.ellipsis ? [...names, "..."] : names;
  if (all.length === 0) return "{ }:";
  if (canFlattenParams(p)) return `{ ${all.join(", ")} }:`;
  // Expanded form: every named parameter gets a trailing comma, `...` none.
  const lines = names.map((n) => pad(inner) + n + ",");
  if (p.ellipsis) lines.push(pad(inner) + "...");
  return "{\n" + lines.join("\n") + "\n" + pad(indent) + "}:";
}

function formatParam(q: Param, indent: number): string {
  if (typeof q === "string") return q;
  const head = `${q.name} ? `;
  return head + renderToString(q.default, indent, indent + width(head), 1);
}

function renderLet(out: Out, l: Let, indent: number, tail: number): void {
  out.write("let");
  renderEntries(out, l.bindings, indent + 2);
  out.write(newLine(indent), "in", newLine(indent));
  render(out, l.body, indent, indent, tail);
}

/** `absorb`: a binding's value, where `with x; {` shares the line (elsewhere the body goes below). */
function renderWith(out: Out, w: With, indent: number, col: number, tail: number, absorb: boolean): void {
  const text = flat(w, limitAt(col, tail));
  if (fits(text, col, tail)) {
    out.write(text);
    return;
  }
  const head = `with ${flat(w.scope) ?? renderToString(w.scope, indent, col + 5, 1)};`;
  if (absorb && isAbsorbable(w.body)) {
    const bodyCol = col + width(head) + 1;
    out.write(head, " ");
    if (w.body.kind === "attrs") renderAttrs(out, w.body, indent, bodyCol, tail, true);
    else render(out, w.body, indent, bodyCol, tail);
    return;
  }
  out.write(head, newLine(indent));
  render(out, w.body, indent, indent, tail);
}
