// Compose `${VAR}` interpolation with the exact semantics of compose-go's template package
// (the reference for `docker compose`), written as a hand-rolled scanner so that no regex
// runs per string: interpolation runs for every string of every compose file.

/** Looks a variable up; undefined means unset (distinct from the empty string). */
export type VariableLookup = (name: string) => string | undefined;

/** Thrown for `${VAR:?msg}` / `${VAR?msg}` on a missing/empty var (kind "required") and for malformed templates (kind "invalid"). */
export class InterpolationError extends Error {
  readonly kind: "required" | "invalid";
  /** The template being interpolated (the outermost one, not a nested default). */
  readonly template: string;
  /** For kind "required": the variable that has no value. */
  readonly variable: string | undefined;

  constructor(kind: "required" | "invalid", message: string, template: string, variable?: string) {
    super(message);
    this.name = "InterpolationError";
    this.kind = kind;
    this.template = template;
    this.variable = variable;
  }
}

type Operator = ":-" | "-" | ":+" | "+" | ":?" | "?";

/** One `$...` occurrence; `end` is the index just past it. */
type Token =
  | { type: "literal"; end: number } // a `$` that starts nothing: kept as is
  | { type: "escape"; end: number } // `$$`
  | { type: "variable"; name: string; op: Operator | undefined; arg: string; end: number }
  | { type: "invalid"; reason: string; end: number };

const DOLLAR = 0x24;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const NEWLINE = 0x0a;
const COLON = 0x3a;
const DASH = 0x2d;
const PLUS = 0x2b;
const QUESTION = 0x3f;

/**
 * compose-go matches names with `(?i)[_a-z][_a-z0-9]*`; Go's case folding also lets
 * U+017F (long s) and U+212A (Kelvin sign) through, so they count as letters here too.
 */
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x17f || c === 0x212a;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

function isOperatorChar(c: number): boolean {
  return c === DASH || c === PLUS || c === QUESTION;
}

/** Index just past the variable name starting at `from` (== from when there is none). */
function scanName(s: string, from: number): number {
  if (from >= s.length || !isNameStart(s.charCodeAt(from))) return from;
  let i = from + 1;
  while (i < s.length && isNameChar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Where the argument of `${NAME<op>...}` ends (index of its closing `}`), or -1.
 * compose-go first matches greedily up to the last `}` on the line (its regex `.` stops at
 * newlines), then cuts at the first point where a brace counter, started at 1 for `${`,
 * drops to 0. That counter counts every `{` (not only `${`) and skips the character right
 * after a `{`; both quirks are kept so that odd defaults come out exactly as compose's.
 */
function findArgumentEnd(s: string, argStart: number): number {
  let depth = 1;
  let k = argStart;
  for (; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === NEWLINE) break;
    if (c === CLOSE) {
      if (--depth === 0) return k;
    } else if (c === OPEN) {
      depth++;
      k++;
      if (k < s.length && s.charCodeAt(k) === NEWLINE) break;
    }
  }
  // Unbalanced: fall back to the last `}` of the line, as the greedy match would.
  const lineEnd = Math.min(k, s.length);
  const last = lineEnd > 0 ? s.lastIndexOf("}", lineEnd - 1) : -1;
  return last >= argStart ? last : -1;
}

/** Reads the `${...}` starting at `dollar` (where `s[dollar + 1]` is `{`). */
function scanBraced(s: string, dollar: number): Token {
  const nameStart = dollar + 2;
  const nameEnd = scanName(s, nameStart);
  if (nameEnd === nameStart) {
    return { type: "invalid", reason: `expected a variable name after "\${" at offset ${dollar}`, end: nameStart };
  }
  const name = s.slice(nameStart, nameEnd);
  const c = s.charCodeAt(nameEnd);
  if (c === CLOSE) return { type: "variable", name, op: undefined, arg: "", end: nameEnd + 1 };

  let opEnd = -1;
  if (isOperatorChar(c)) opEnd = nameEnd + 1;
  else if (c === COLON && isOperatorChar(s.charCodeAt(nameEnd + 1))) opEnd = nameEnd + 2;
  if (opEnd === -1) {
    const reason =
      nameEnd >= s.length
        ? `missing "}" after "\${${name}"`
        : `unexpected ${JSON.stringify(s[nameEnd])} after "\${${name}" (expected "}" or one of :- - :+ + :? ?)`;
    return { type: "invalid", reason, end: nameStart };
  }
  const argEnd = findArgumentEnd(s, opEnd);
  if (argEnd === -1) {
    return { type: "invalid", reason: `missing "}" to close "\${${name}" on the same line`, end: nameStart };
  }
  const op = s.slice(nameEnd, opEnd) as Operator;
  return { type: "variable", name, op, arg: s.slice(opEnd, argEnd), end: argEnd + 1 };
}

/** Classifies the `$` at index `dollar`. */
function scanAt(s: string, dollar: number): Token {
  const c = s.charCodeAt(dollar + 1);
  if (c === DOLLAR) return { type: "escape", end: dollar + 2 };
  if (c === OPEN) return scanBraced(s, dollar);
  const nameEnd = scanName(s, dollar + 1);
  if (nameEnd === dollar + 1) return { type: "literal", end: dollar + 1 };
  return { type: "variable", name: s.slice(dollar + 1, nameEnd), op: undefined, arg: "", end: nameEnd };
}

function requiredError(name: string, reason: string, source: string): InterpolationError {
  const message = reason === "" ? `required variable ${name} is missing a value` : `required variable ${name} is missing a value: ${reason}`;
  return new InterpolationError("required", message, source, name);
}

function invalidError(reason: string, source: string): InterpolationError {
  // JSON quoting keeps the message on one line even for multi-line templates.
  const message = `invalid template ${JSON.stringify(source)}: ${reason}; a literal $ must be written as $$`;
  return new InterpolationError("invalid", message, source);
}

/**
 * What one interpolation found out besides its result: the variables the value
 * stands for, and the plain `${VAR}` / `$VAR` uses of unset variables.
 */
export interface Trace {
  /**
   * The variables the value was made from: a used variable's value, and the default
   * given for a variable (`${PW:-literal}` stands for PW). A set variable's `:+`
   * alternative is made from its own variables only; an unset variable with no
   * default adds nothing (it gives the empty string).
   */
  readonly from: Set<string>;
  /** Called for `${VAR}` / `$VAR` of an unset variable, which compose warns about. */
  readonly onUnset?: ((name: string) => void) | undefined;
}

interface Run {
  lookup: VariableLookup;
  /** The outermost template, named in error messages. */
  source: string;
  trace: Trace | undefined;
}

/**
 * Value of one `${NAME<op>arg}`. The argument is only expanded when it is used, like
 * compose-go: an unused default can neither fail nor warn.
 */
function evaluate(name: string, op: Operator | undefined, arg: string, run: Run): string {
  const value = run.lookup(name);
  const from = run.trace?.from;
  switch (op) {
    case undefined:
      if (value === undefined) run.trace?.onUnset?.(name);
      else from?.add(name);
      return value ?? "";
    case ":-":
      from?.add(name);
      return value === undefined || value === "" ? substitute(arg, run) : value;
    case "-":
      from?.add(name);
      return value === undefined ? substitute(arg, run) : value;
    case ":+":
      return value !== undefined && value !== "" ? substitute(arg, run) : "";
    case "+":
      return value !== undefined ? substitute(arg, run) : "";
    case ":?":
      if (value === undefined || value === "") throw requiredError(name, substitute(arg, run), run.source);
      from?.add(name);
      return value;
    case "?":
      if (value === undefined) throw requiredError(name, substitute(arg, run), run.source);
      from?.add(name);
      return value;
  }
}

function substitute(template: string, run: Run): string {
  let dollar = template.indexOf("$");
  if (dollar === -1) return template;
  let out = "";
  let copied = 0; // template[copied..dollar) is still to be copied
  while (dollar !== -1) {
    const token = scanAt(template, dollar);
    switch (token.type) {
      case "literal":
        dollar = template.indexOf("$", token.end);
        continue;
      case "invalid":
        throw invalidError(token.reason, run.source);
      case "escape":
        out += template.slice(copied, dollar) + "$";
        break;
      case "variable":
        out += template.slice(copied, dollar) + evaluate(token.name, token.op, token.arg, run);
        break;
    }
    copied = token.end;
    dollar = template.indexOf("$", copied);
  }
  return out + template.slice(copied);
}

/**
 * How deep `${` may nest in `${`: compose sets no bound, but each level rescans the rest of its
 * line, so a hostile template nested thousands deep takes minutes. Real files nest two or three.
 */
export const MAX_NESTING = 32;

/** Whether `${` nests deeper than MAX_NESTING in `template` (a template's arguments end at its line's end). */
function nestsTooDeep(template: string): boolean {
  let depth = 0;
  for (let i = template.indexOf("$"); i !== -1 && i < template.length; i++) {
    const c = template.charCodeAt(i);
    if (c === DOLLAR) {
      const next = template.charCodeAt(i + 1);
      if (next === DOLLAR) i++;
      else if (next === OPEN && ++depth > MAX_NESTING) return true;
    } else if (c === CLOSE) {
      if (depth > 0) depth--;
    } else if (c === NEWLINE) {
      depth = 0;
    }
  }
  return false;
}

/** Substitutes every `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`, `${VAR:+a}`, `${VAR+a}`, nested defaults (`${A:-${B:-x}}`), and `$$` -> `$`. */
export function interpolate(template: string, lookup: VariableLookup, trace?: Trace): string {
  if (nestsTooDeep(template)) throw new InterpolationError("invalid", `"\${" is nested more than ${MAX_NESTING} deep in this value`, template);
  return substitute(template, { lookup, source: template, trace });
}
