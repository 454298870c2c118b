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

import { isIdentifier } from "./ast.ts";
import type { Apply, Attrs, Binding, Comment, Entry, Expr, Inherit, Lambda, Let, List, ListItem, NixString, Param, SetParam, StringPart, With } from "./ast.ts";

export const LINE_WIDTH = 100;

/** Where a node starts: the current line's indentation, the column, and how many characters must follow it on its last line (e.g. `;`). */
interface Ctx {
  readonly indent: number;
  readonly col: number;
  readonly tail: number;
}

/** Formats a whole file: the expression followed by exactly one newline. */
export function printNix(expr: Expr): string {
  return render(expr, { indent: 0, col: 0, tail: 0 }) + "\n";
}

/** Formats an expression starting at column 0 (no trailing newline). */
export function formatExpr(expr: Expr): string {
  return render(expr, { indent: 0, col: 0, tail: 0 });
}

// ---------------------------------------------------------------------------------
// Names

export function formatAttrName(name: string): string {
  return isIdentifier(name) ? name : quoteString(name);
}

export function formatAttrPath(key: string | readonly string[]): string {
  return typeof key === "string" ? formatAttrName(key) : key.map(formatAttrName).join(".");
}

function formatRef(name: string): string {
  return name
    .split(".")
    .map((seg, i) => (i === 0 ? seg : formatAttrName(seg)))
    .join(".");
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
  return s.parts.some((p) => typeof p === "string" && p.includes("\n"));
}

/** A plain string as a `"..."` literal (used for quoted attribute names too). */
export function quoteString(value: string): string {
  return quotedParts([value], () => undefined) ?? "";
}

/** What needs escaping in `"..."`: `\\`, `"`, CR, LF, tab, and `$` before `{` (tested for first: most text has none). */
const QUOTE_SPECIAL = /[\\"\n\r\t]|\$(?=\{)/g;
const HAS_QUOTE_SPECIAL = /[\\"\n\r\t]|\$(?=\{)/;
const QUOTE_ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", $: "\\$" };

/**
 * A string's parts in the `"..."` form, a part at a time (a CR is escaped: the
 * Nix lexer would read a literal one as LF). `$` is escaped only where it would start an interpolation
 * (before `{` or before an interpolated part); undefined if an interpolation has
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
    let text = HAS_QUOTE_SPECIAL.test(p) ? p.replace(QUOTE_SPECIAL, (c) => QUOTE_ESCAPES[c]!) : p;
    // a `$` ending this part starts an interpolation if what follows is one, or begins with `{`
    if (p.endsWith("$")) {
      let j = i + 1;
      while (parts[j] === "") j++;
      const next = parts[j];
      if (next !== undefined && (typeof next !== "string" || next.startsWith("{"))) text = text.slice(0, -1) + "\\$";
    }
    out += text;
  }
  return out + '"';
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

const SPACES = /^ *$/;

const isBlank = (line: Line): boolean => line.every((a) => typeof a === "string" && SPACES.test(a));

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
  const counted = lines.flatMap((l, i) => (isBlank(l) ? [] : [i]));
  if (counted.length > 0) return counted.some((i) => !startsWithSpace(lines[i]!)) ? -1 : counted[0]!;
  // Only blank lines: with nothing counted, Nix would strip every leading space.
  return lines.findIndex((l) => l.length > 0);
}

const ESCAPED_QUOTE = "''\\'";
const QUOTE = 0x27; // '
const DOLLAR = 0x24;
const OPEN_BRACE = 0x7b;
const CR = 0x0d;

/** What follows a text run on its line: an interpolation, the line break, or the closing `''`. */
type After = "interp" | "line" | "end";

/** Whether the `$` at `i` would start an interpolation: before `{` or before an interpolated part. */
function startsInterp(text: string, i: number, after: After): boolean {
  return i + 1 === text.length ? after === "interp" : text.charCodeAt(i + 1) === OPEN_BRACE;
}

/** Whether what is at `i` is written with a token starting with `'`: an escaped `$` or CR, or the closing `''`. */
function quoteTokenAt(text: string, i: number, after: After): boolean {
  if (i === text.length) return after === "end";
  const c = text.charCodeAt(i);
  return c === CR || (c === DOLLAR && startsInterp(text, i, after));
}

/**
 * A text run in the `''` form: `''` as `'''`, `$` starting an interpolation as `''$`, CR as
 * `''\r`. A single `'` directly before another `''`-token (or the closing `''`) would lex as
 * `'''`: it is written `''\'`.
 */
function indentedText(text: string, after: After): string {
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
    else continue;
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

function renderIndented(s: NixString, ctx: Ctx): string {
  const inner = ctx.indent + 2;
  const show = (e: Expr): string => flat(e) ?? render(e, { indent: inner, col: inner, tail: 0 });
  const lines = splitLines(s.parts);
  const anchor = anchorLine(lines);
  const last = lines.length - 1;
  const out = lines.map((line, i) => {
    const text = indentedLine(line, i === anchor, i === last, show);
    if (i === last) return text === "" ? pad(ctx.indent) + "''" : pad(inner) + text + "''";
    return text === "" ? "" : pad(inner) + text;
  });
  return "''\n" + out.join("\n");
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

const SURROGATE = /[\uD800-\uDFFF]/;

function width(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function fits(text: string | undefined, ctx: Ctx): text is string {
  if (text === undefined || text.includes("\n")) return false;
  // (a width is at most the length: code points are counted only when the length is too much)
  return ctx.col + text.length + ctx.tail <= LINE_WIDTH || ctx.col + width(text) + ctx.tail <= LINE_WIDTH;
}

const defined = <T>(xs: readonly (T | undefined)[]): xs is T[] => xs.every((x) => x !== undefined);

const isComment = (x: Entry | ListItem): x is Comment => "kind" in x && x.kind === "comment";

function isNegative(e: Expr): boolean {
  if (e.kind === "int") return String(e.value).startsWith("-");
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
  return a.entries.length === 1 && "kind" in a.entries[0]! && a.entries[0].kind === "inherit";
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
      return e.name.split(".").every((seg, i) => i === 0 || isIdentifier(seg));
    case "select":
      return isSimple(e.expr) && e.path.every(isIdentifier);
    case "apply": {
      const { fn, args } = spine(e);
      return args.length <= 2 && isSimple(fn) && args.every(isSimple);
    }
    default:
      return false;
  }
}

/** nixfmt treats `f [ ... ] [ ... ]` specially: both lists may stay compact, neither is absorbed. */
function endsWithTwoLists(args: readonly Expr[]): boolean {
  return args.length >= 2 && args[args.length - 1]!.kind === "list" && args[args.length - 2]!.kind === "list";
}

/** `f a` applied to `b` is printed as `f a b`. */
function spine(e: Apply): { fn: Expr; args: readonly Expr[] } {
  // (most calls are not curried: their own arguments, uncopied)
  if (e.fn.kind !== "apply") return { fn: e.fn, args: e.args };
  const args = [...e.args];
  let fn: Expr = e.fn;
  while (fn.kind === "apply") {
    args.unshift(...fn.args);
    fn = fn.fn;
  }
  return { fn, args };
}

function canFlattenParams(p: SetParam): boolean {
  return p.params.length <= 2 && p.params.every((q) => typeof q === "string");
}

// ---------------------------------------------------------------------------------
// One-line forms (undefined when the node never fits on one line)

// Nodes are immutable and layout asks for the same one-line form again at every
// enclosing level: remember it per node, or printing grows with depth × size.
// Forms found at a glance are not remembered (an entry costs more than that).
const flatForms = new WeakMap<Expr, string | null>();

function flat(e: Expr): string | undefined {
  if (!worthRemembering(e)) return flatUncached(e);
  const known = flatForms.get(e);
  if (known !== undefined) return known ?? undefined;
  const text = flatUncached(e);
  flatForms.set(e, text ?? null);
  return text;
}

/**
 * Whether a node's one-line form takes more than a glance: not for a leaf (asked for by its
 * parent alone), nor for a set or list of several (which has none) or of nothing. A `ref` is
 * remembered: its name is split and checked, and the same few (`lib.mkOverride` first) come
 * again and again.
 */
function worthRemembering(e: Expr): boolean {
  switch (e.kind) {
    case "string":
      return e.parts.some(isInterp);
    case "list":
      return e.items.length === 1;
    case "attrs":
      return e.entries.length === 1;
    case "int":
    case "float":
    case "bool":
    case "null":
    case "path":
      return false;
    default:
      return true;
  }
}

function flatUncached(e: Expr): string | undefined {
  switch (e.kind) {
    case "string":
      return isMultiline(e) ? undefined : quotedParts(e.parts, flat);
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
      return formatRef(e.name);
    case "select": {
      const base = flatOperand(e.expr, needsParensToSelect(e.expr));
      return base === undefined ? undefined : base + "." + formatAttrPath(e.path);
    }
    case "list":
      return flatList(e, false);
    case "attrs":
      return flatAttrs(e);
    case "apply": {
      const { fn, args } = spine(e);
      const compactLast = endsWithTwoLists(args);
      let text = flatOperand(fn, needsParens(fn));
      for (let i = 0; i < args.length && text !== undefined; i++) {
        const arg = flatArg(args[i]!, i === args.length - 1 && !compactLast);
        text = arg === undefined ? undefined : text + " " + arg;
      }
      return text;
    }
    case "lambda": {
      if (typeof e.param !== "string") return undefined;
      const body = flat(e.body);
      return body === undefined ? undefined : `${e.param}: ${body}`;
    }
    case "let":
      return undefined;
    case "with": {
      const scope = flat(e.scope);
      const body = flat(e.body);
      return scope === undefined || body === undefined ? undefined : `with ${scope}; ${body}`;
    }
  }
}

function flatOperand(e: Expr, parens: boolean): string | undefined {
  const text = flat(e);
  return text === undefined || !parens ? text : `(${text})`;
}

function flatArg(a: Expr, isLast: boolean): string | undefined {
  return !isLast && a.kind === "list" ? flatList(a, true) : flatOperand(a, needsParens(a));
}

/** `[ x ]`; with `manySimple`, up to 6 simple items (non-last function arguments). */
function flatList(l: List, manySimple: boolean): string | undefined {
  const items = l.items;
  if (items.length === 0) return "[ ]";
  // (the length first: most lists have several items, and then no one-line form)
  if (items.length > 1 && !(manySimple && items.length <= 6)) return undefined;
  if (items.some(isComment)) return undefined;
  const exprs = items as readonly Expr[];
  if (exprs.length > 1 && !exprs.every(isSimple)) return undefined;
  const parts = exprs.map((x) => flatOperand(x, needsParens(x)));
  return defined(parts) ? `[ ${parts.join(" ")} ]` : undefined;
}

function flatAttrs(a: Attrs): string | undefined {
  const prefix = a.rec ? "rec " : "";
  if (a.entries.length === 0) return prefix + "{ }";
  if (a.entries.length > 1) return undefined;
  const entry = a.entries[0]!;
  const text = flatEntry(entry);
  return text === undefined ? undefined : `${prefix}{ ${text} }`;
}

function flatEntry(entry: Entry): string | undefined {
  if (!("kind" in entry)) {
    if (isWideValue(entry.value)) return undefined;
    const value = flat(entry.value);
    return value === undefined ? undefined : `${formatAttrPath(entry.key)} = ${value};`;
  }
  return entry.kind === "inherit" ? flatInherit(entry) : undefined;
}

/** nixfmt keeps `inherit` on one line only for fewer than 4 names. */
function flatInherit(i: Inherit): string | undefined {
  if (i.names.length >= 4) return undefined;
  const from = i.from === undefined ? "" : flat(i.from);
  if (from === undefined) return undefined;
  return ["inherit", ...(i.from === undefined ? [] : [`(${from})`]), ...i.names].join(" ") + ";";
}

// ---------------------------------------------------------------------------------
// Multi-line layout

function render(e: Expr, ctx: Ctx): string {
  switch (e.kind) {
    case "string":
      // (most strings have a one-line form: no interpolation to lay out over lines)
      return isMultiline(e) ? renderIndented(e, ctx) : (flat(e) ?? quotedParts(e.parts, (x) => flat(x) ?? render(x, ctx)) ?? "");
    case "list":
      return renderList(e, ctx);
    case "attrs":
      return renderAttrs(e, ctx, false);
    case "apply":
      return renderApply(e, ctx);
    case "lambda":
      return renderLambda(e, ctx);
    case "let":
      return renderLet(e, ctx);
    case "with":
      return renderWith(e, ctx, false);
    case "select": {
      const text = flat(e);
      if (text !== undefined) return text;
      return renderOperand(e.expr, ctx, needsParensToSelect(e.expr)) + "." + formatAttrPath(e.path);
    }
    default:
      // Scalars always have a one-line form.
      return flat(e) ?? "";
  }
}

function renderOperand(e: Expr, ctx: Ctx, parens: boolean): string {
  if (!parens) return render(e, ctx);
  const inner: Ctx = { indent: ctx.indent, col: ctx.col + 1, tail: ctx.tail + 1 };
  if (e.kind === "apply") {
    // A call broken one argument per line gets its `)` on a line of its own, as in nixfmt.
    const text = flat(e);
    if (fits(text, inner)) return `(${text})`;
    const absorbed = absorbLast(e, inner);
    if (absorbed !== undefined) return `(${absorbed})`;
    return "(" + brokenApply(e, { ...inner, tail: 0 }) + "\n" + pad(ctx.indent) + ")";
  }
  return "(" + render(e, inner) + ")";
}

function renderList(l: List, ctx: Ctx): string {
  const text = flatList(l, false);
  if (l.items.length === 0 || fits(text, ctx)) return text ?? "[ ]";
  const inner = ctx.indent + 2;
  const itemCtx: Ctx = { indent: inner, col: inner, tail: 0 };
  const items = l.items.map((item, i) =>
    isComment(item) ? renderComment(item, inner, i === 0) : pad(inner) + renderOperand(item, itemCtx, needsParens(item)),
  );
  return "[\n" + items.join("\n") + "\n" + pad(ctx.indent) + "]";
}

/** `wide`: the set is a binding's value, where nixfmt always expands it. */
function renderAttrs(a: Attrs, ctx: Ctx, wide: boolean): string {
  const prefix = a.rec ? "rec " : "";
  if (a.entries.length === 0) return prefix + "{ }";
  if (!wide || isSingleInherit(a)) {
    const text = flatAttrs(a);
    if (fits(text, ctx)) return text;
  }
  return prefix + "{\n" + renderEntries(a.entries, ctx.indent + 2) + "\n" + pad(ctx.indent) + "}";
}

function renderEntries(entries: readonly Entry[], indent: number): string {
  return entries
    .map((entry, i) => {
      if (!("kind" in entry)) return renderBinding(entry, indent);
      return entry.kind === "comment" ? renderComment(entry, indent, i === 0) : renderInherit(entry, indent);
    })
    .join("\n");
}

/** `# text` lines, set off by a blank line unless first. Any line break (CR too) ends a Nix comment, so each gets its own `#`. */
function renderComment(c: Comment, indent: number, first: boolean): string {
  const lines = c.text.split(/\r\n|\r|\n/).map((l) => pad(indent) + (l.trim() === "" ? "#" : `# ${l.trimEnd()}`));
  return (first ? "" : "\n") + lines.join("\n");
}

function renderInherit(i: Inherit, indent: number): string {
  const text = flatInherit(i);
  if (text !== undefined && indent + width(text) <= LINE_WIDTH) return pad(indent) + text;
  const from = i.from === undefined ? "" : ` (${flat(i.from) ?? render(i.from, { indent, col: indent + 9, tail: 1 })})`;
  const names = i.names.map((n) => "\n" + pad(indent + 2) + n).join("");
  return pad(indent) + "inherit" + from + names + "\n" + pad(indent + 2) + ";";
}

function renderBinding(b: Binding, indent: number): string {
  const key = formatAttrPath(b.key);
  return pad(indent) + key + " =" + renderRhs(b.value, indent, indent + width(key) + 2) + ";";
}

/** The text after `key =`: starts with a space (same line) or a newline (value below). */
function renderRhs(v: Expr, indent: number, col: number): string {
  const same: Ctx = { indent, col: col + 1, tail: 1 };
  if (v.kind === "attrs") return " " + renderAttrs(v, same, true);
  const text = flat(v);
  if (fits(text, same)) return " " + text;
  switch (v.kind) {
    // Nothing is gained by moving these below the `=`.
    case "list":
    case "string":
    case "path":
      return " " + render(v, same);
    case "apply": {
      const absorbed = absorbLast(v, same);
      return absorbed === undefined ? renderBelow(v, indent) : " " + absorbed;
    }
    case "lambda":
      return typeof v.param === "string" && isAbsorbable(lambdaBody(v)) ? " " + render(v, same) : renderBelow(v, indent);
    case "with":
      return isAbsorbable(v.body) ? " " + renderWith(v, same, true) : renderBelow(v, indent);
    default:
      return renderBelow(v, indent);
  }
}

/** A binding's value on the lines below its `key =`. */
function renderBelow(v: Expr, indent: number): string {
  return "\n" + pad(indent + 2) + render(v, { indent: indent + 2, col: indent + 2, tail: 1 });
}

function lambdaBody(l: Lambda): Expr {
  return l.body.kind === "lambda" && typeof l.body.param === "string" ? lambdaBody(l.body) : l.body;
}

/** `f a b {`...`}`: all but the last argument on the line, the last one expanding below. */
function absorbLast(v: Apply, ctx: Ctx): string | undefined {
  const { fn, args } = spine(v);
  const last = args[args.length - 1]!;
  if (!isAbsorbable(last) || endsWithTwoLists(args)) return undefined;
  const head = [flatOperand(fn, needsParens(fn)), ...args.slice(0, -1).map((a) => flatArg(a, false))];
  if (!defined(head)) return undefined;
  const prefix = head.join(" ") + " ";
  if (ctx.col + width(prefix) + 1 > LINE_WIDTH) return undefined;
  return prefix + render(last, { indent: ctx.indent, col: ctx.col + width(prefix), tail: ctx.tail });
}

function renderApply(v: Apply, ctx: Ctx): string {
  const text = flat(v);
  if (fits(text, ctx)) return text;
  return absorbLast(v, ctx) ?? brokenApply(v, ctx);
}

/**
 * Last resort for a call: like nixfmt's nested groups, leading arguments stay on the
 * function's line while they fit, the rest go one per line.
 */
function brokenApply(v: Apply, ctx: Ctx): string {
  const { fn, args } = spine(v);
  const inner = ctx.indent + 2;
  let head = flatOperand(fn, needsParens(fn));
  let kept = 0;
  if (head === undefined) head = renderOperand(fn, { indent: ctx.indent, col: ctx.col, tail: 0 }, needsParens(fn));
  else {
    for (; kept < args.length - 1; kept++) {
      const arg = flatArg(args[kept]!, false);
      if (arg === undefined || ctx.col + width(head) + 1 + width(arg) > LINE_WIDTH) break;
      head += " " + arg;
    }
  }
  const lines = args.slice(kept).map((a, j) => {
    const isLast = kept + j === args.length - 1;
    const actx: Ctx = { indent: inner, col: inner, tail: isLast ? ctx.tail : 0 };
    if (a.kind === "list" && (!isLast || endsWithTwoLists(args))) {
      const listText = flatList(a, true);
      if (fits(listText, actx)) return pad(inner) + listText;
    }
    return pad(inner) + renderOperand(a, actx, needsParens(a));
  });
  return head + "\n" + lines.join("\n");
}

function renderLambda(l: Lambda, ctx: Ctx): string {
  const body = (c: Ctx): string => render(l.body, c);
  if (typeof l.param !== "string") {
    // Generated modules put the body below the parameter set, as hand-written ones do.
    return renderParams(l.param, ctx.indent) + "\n" + pad(ctx.indent) + body({ indent: ctx.indent, col: ctx.indent, tail: ctx.tail });
  }
  const text = flat(l);
  if (fits(text, ctx)) return text;
  const head = l.param + ":";
  if (isAbsorbable(lambdaBody(l))) return head + " " + body({ indent: ctx.indent, col: ctx.col + width(head) + 1, tail: ctx.tail });
  return head + "\n" + pad(ctx.indent) + body({ indent: ctx.indent, col: ctx.indent, tail: ctx.tail });
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
  return head + render(q.default, { indent, col: indent + width(head), tail: 1 });
}

function renderLet(l: Let, ctx: Ctx): string {
  const bindings = l.bindings.length === 0 ? "" : renderEntries(l.bindings, ctx.indent + 2) + "\n";
  const body = render(l.body, { indent: ctx.indent, col: ctx.indent, tail: ctx.tail });
  return "let\n" + bindings + pad(ctx.indent) + "in\n" + pad(ctx.indent) + body;
}

/** `absorb`: a binding's value, where `with x; {` shares the line (elsewhere the body goes below). */
function renderWith(w: With, ctx: Ctx, absorb: boolean): string {
  const text = flat(w);
  if (fits(text, ctx)) return text;
  const head = `with ${flat(w.scope) ?? render(w.scope, { indent: ctx.indent, col: ctx.col + 5, tail: 1 })};`;
  if (absorb && isAbsorbable(w.body)) {
    const c: Ctx = { indent: ctx.indent, col: ctx.col + width(head) + 1, tail: ctx.tail };
    return head + " " + (w.body.kind === "attrs" ? renderAttrs(w.body, c, true) : render(w.body, c));
  }
  return head + "\n" + pad(ctx.indent) + render(w.body, { indent: ctx.indent, col: ctx.indent, tail: ctx.tail });
}
