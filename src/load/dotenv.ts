// `.env` / env_file parsing with the semantics of compose-go's dotenv package (what
// `docker compose` uses for both the project .env and services' env_file).
import { excerpt } from "../diagnostics/index.ts";
import { interpolate, InterpolationError, type VariableLookup } from "./interpolate.ts";
import { lineAndColumn } from "./raw.ts";

/** Thrown for malformed .env content; `line` is 1-based. */
export class DotenvError extends Error {
  readonly line: number;
  /**
   * What went wrong without quoting the file (the message, as compose-go words it, quotes
   * the line): an env file may hold secrets, or not be an env file at all.
   */
  readonly reason: string;

  constructor(line: number, detail: string, options?: { cause?: unknown; reason?: string }) {
    super(`line ${line}: ${detail}`, options);
    this.name = "DotenvError";
    this.line = line;
    this.reason = options?.reason ?? detail;
  }
}

const NEWLINE = 0x0a;
const HASH = 0x23;
const BACKSLASH = 0x5c;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

/** compose-go's own "space but not a line break" set, used around keys and values. */
function isInlineSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d || c === 0x85 || c === 0xa0;
}

/** Go's unicode.IsSpace (differs from JS trimming: includes U+0085, excludes U+FEFF). */
function isUnicodeSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

function trimEndUnicodeSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isUnicodeSpace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

// Made at first use, not at start: a Unicode property class costs V8 ~0.5 ms of ICU work to
// parse, and env files are nearly always ASCII (which never reaches it).
let letterOrNumber: RegExp | undefined;

/** Characters compose-go accepts in a key: letters, numbers (any script), `_ . - [ ]`. */
function isKeyChar(c: number): boolean {
  if (c < 0x80) {
    return (
      (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x5f || c === 0x2e || c === 0x2d || c === 0x5b || c === 0x5d
    );
  }
  return (letterOrNumber ??= /^[\p{L}\p{N}]$/u).test(String.fromCodePoint(c));
}

/** The characters of Go regexp's `\s` (ASCII only), which may follow `export`. */
function isRe2Space(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

/** 1-based line of offset `pos`; only computed when reporting an error. */
const lineAt = (src: string, pos: number): number => lineAndColumn(src, pos).line;

/** Index of the next statement (skipping blank space and `#` comment lines), or -1 at the end. */
function statementStart(src: string, pos: number): number {
  while (pos < src.length) {
    const c = src.charCodeAt(pos);
    if (isUnicodeSpace(c)) {
      pos++;
    } else if (c === HASH) {
      const eol = src.indexOf("\n", pos);
      if (eol === -1) return -1;
      pos = eol;
    } else {
      return pos;
    }
  }
  return -1;
}

interface KeyScan {
  key: string;
  /** Bare `KEY` line: the value comes from the lookup. */
  inherited: boolean;
  /** Index just past the `=`, `:` or newline that ended the key. */
  next: number;
}

/** Reads `[export] KEY` up to `=`, `:` (yaml style) or the end of the line. */
function scanKey(src: string, start: number): KeyScan {
  let pos = start;
  if (src.startsWith("export", pos) && isRe2Space(src.charCodeAt(pos + 6))) {
    pos += 6;
    while (pos < src.length && isInlineSpace(src.charCodeAt(pos))) pos++;
  }
  if (pos >= src.length) throw new DotenvError(lineAt(src, start), `missing variable name after "export"`);

  let k = pos;
  while (k < src.length) {
    const c = src.codePointAt(k) as number;
    if (c === 0x3d /* = */ || c === 0x3a /* : */ || c === NEWLINE) {
      return checkedKey(src, start, src.slice(pos, k), c === NEWLINE, k + 1);
    }
    if (!isInlineSpace(c) && !isKeyChar(c)) {
      const eol = src.indexOf("\n", pos);
      const line = src.slice(pos, eol === -1 ? src.length : eol);
      throw new DotenvError(
        lineAt(src, start),
        `unexpected character ${JSON.stringify(String.fromCodePoint(c))} in variable name ${JSON.stringify(line)}`,
        { reason: `unexpected character ${excerpt(String.fromCodePoint(c))} in a variable name` },
      );
    }
    k += c > 0xffff ? 2 : 1;
  }
  // A bare KEY on the last line with no newline after it. compose-go would store the
  // text as the value of an empty key (a bug: `=KEY` reaches the container); treat it
  // like any other bare KEY line instead.
  return checkedKey(src, start, src.slice(pos), true, src.length);
}

function checkedKey(src: string, start: number, raw: string, inherited: boolean, next: number): KeyScan {
  const key = trimEndUnicodeSpace(raw);
  if (key.includes(" ")) {
    throw new DotenvError(lineAt(src, start), `key cannot contain a space: ${JSON.stringify(key)}`, { reason: "key cannot contain a space" });
  }
  return { key, inherited, next };
}

/** Octal `\0NNN` (the form compose-go accepts): the character, or undefined when not valid. */
function octalEscape(digits: string): string | undefined {
  if (digits.length !== 3) return undefined;
  let code = 0;
  for (let i = 0; i < 3; i++) {
    const d = digits.charCodeAt(i) - 0x30;
    if (d < 0 || d > 7) return undefined;
    code = code * 8 + d;
  }
  return code > 0xff ? undefined : String.fromCharCode(code);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", '"': '"', "\\": "\\",
  // `\$` is kept for the interpolation step as its own escape, `$$`, so it stays literal.
  $: "$$",
};

/**
 * Shell-style escapes of a double-quoted value, exactly the set compose-go supports:
 * \a \b \f \n \r \t \v \\ \" \$ and \0NNN octal; anything else (\x41, \u00e9, \c, ...) is
 * left as written.
 */
function expandEscapes(s: string): string {
  let slash = s.indexOf("\\");
  if (slash === -1) return s;
  let out = "";
  let copied = 0;
  while (slash !== -1 && slash + 1 < s.length) {
    const next = s[slash + 1] as string;
    let replacement: string | undefined;
    let end = slash + 2;
    if (next === "0") {
      let d = end;
      while (d < s.length && d < slash + 5 && s.charCodeAt(d) >= 0x30 && s.charCodeAt(d) <= 0x39) d++;
      end = d;
      replacement = octalEscape(s.slice(slash + 2, d));
    } else if (Object.hasOwn(SIMPLE_ESCAPES, next)) {
      replacement = SIMPLE_ESCAPES[next];
    } else {
      // Not an escape: the backslash stays and the next character is read normally.
      slash = s.indexOf("\\", slash + 1);
      continue;
    }
    if (replacement !== undefined) {
      out += s.slice(copied, slash) + replacement;
      copied = end;
    }
    slash = s.indexOf("\\", end);
  }
  return out + s.slice(copied);
}

interface ValueScan {
  value: string;
  next: number;
}

/**
 * A quoted value starting at the quote at `start`; may span lines. Inside it a backslash
 * only protects the quote character (and itself); every other escape is left for
 * `expandEscapes`, which only double-quoted values get.
 */
function scanQuoted(src: string, start: number): ValueScan {
  const quote = src.charCodeAt(start);
  let raw = "";
  let copied = start + 1;
  let escaped = false;
  for (let i = start + 1; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c !== quote) {
      escaped = !escaped && c === BACKSLASH;
      continue;
    }
    if (escaped) {
      // `\"` inside "..." (or `\'` inside '...'): drop the backslash, keep the quote.
      raw += src.slice(copied, i - 1);
      copied = i;
      escaped = false;
      continue;
    }
    return { value: raw + src.slice(copied, i), next: i + 1 };
  }
  const eol = src.indexOf("\n", start);
  const shown = src.slice(start, eol === -1 ? src.length : eol);
  const missing = `(missing closing ${String.fromCharCode(quote)})`;
  throw new DotenvError(lineAt(src, start), `unterminated quoted value ${shown} ${missing}`, { reason: `unterminated quoted value ${missing}` });
}

/** Unquoted value: the rest of the line, minus a ` #` comment and trailing space. */
function scanUnquoted(src: string, start: number): ValueScan {
  const eol = src.indexOf("\n", start);
  let value = src.slice(start, eol === -1 ? src.length : eol);
  // Only " #" starts a comment, so `a#b` and `http://x/#frag` survive.
  const comment = value.indexOf(" #");
  if (comment !== -1) value = value.slice(0, comment);
  return { value: trimEndUnicodeSpace(value), next: eol === -1 ? src.length : eol + 1 };
}

function expand(value: string, lookup: VariableLookup, src: string, at: number): string {
  try {
    return interpolate(value, lookup);
  } catch (err) {
    if (err instanceof InterpolationError) throw new DotenvError(lineAt(src, at), err.message, { cause: err });
    throw err;
  }
}

/** Assignment that also works for a key named `__proto__`. */
function setKey(out: Record<string, string>, key: string, value: string): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

const noLookup: VariableLookup = () => undefined;

/**
 * Parses .env / env_file text the way compose-go does (quotes, escapes, `export`, comments,
 * multi-line quoted values, BOM, `${VAR}` expansion, bare `KEY` lines inheriting from
 * `lookup` or left out when it has none). Returns keys in file order (except that, being a
 * JS object, integer-like keys such as "123" enumerate first).
 *
 * When expanding `${VAR}` inside a value, `lookup` wins over keys set earlier in the same
 * file (compose-go's order), so an OS variable overrides the file's own value there;
 * the file's own key keeps its file value. `onReference` is told each variable a `${VAR}` read,
 * with the value it had.
 */
export function parseDotenv(text: string, lookup: VariableLookup = noLookup, onReference?: (name: string, value: string | undefined) => void): Record<string, string> {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: Record<string, string> = {};
  const expansionLookup: VariableLookup = (name) => {
    const value = lookup(name) ?? (Object.hasOwn(out, name) ? out[name] : undefined);
    onReference?.(name, value);
    return value;
  };

  let pos = statementStart(src, 0);
  while (pos !== -1) {
    const { key, inherited, next } = scanKey(src, pos);
    if (inherited) {
      const value = lookup(key);
      if (value !== undefined) setKey(out, key, value);
      pos = statementStart(src, next);
      continue;
    }
    let start = next;
    while (start < src.length && isInlineSpace(src.charCodeAt(start))) start++;
    const c = src.charCodeAt(start);
    let scan: ValueScan;
    if (c === DOUBLE_QUOTE) {
      scan = scanQuoted(src, start);
      scan.value = expand(expandEscapes(scan.value), expansionLookup, src, start);
    } else if (c === SINGLE_QUOTE) {
      scan = scanQuoted(src, start); // single quotes: literal, no escapes, no expansion
    } else {
      scan = scanUnquoted(src, start);
      scan.value = expand(scan.value, expansionLookup, src, start);
    }
    setKey(out, key, scan.value);
    pos = statementStart(src, scan.next);
  }
  return out;
}
