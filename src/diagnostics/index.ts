/**
 * Diagnostics shared by every stage: one error type that carries where in the
 * user's files it comes from, and the warnings/notes a conversion reports.
 */

/** A place in a source file; line and column are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** A key path such as `services.web.ports[1]`, built from path segments. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : "";
}

/** One located message: `compose.yaml:12:9: services.web.ports[1]: "80:abc" is not a port`. */
export function formatLocated(message: string, pos?: SourcePos, path?: readonly (string | number)[]): string {
  const where = [formatPos(pos), path && path.length ? formatKeyPath(path) : ""].filter(Boolean).join(": ");
  return printable(where ? `${where}: ${message}` : message, MESSAGE_LIMIT);
}

/** A message longer than this is clipped in its middle: a 1 MB value must not make a 1 MB line. */
const MESSAGE_LIMIT = 1500;
/** How much of a value a message quotes. */
const EXCERPT_LIMIT = 60;
/**
 * A run of characters without a space longer than this is a value, not words nor a file's
 * path: it is clipped to an excerpt.
 */
const RUN_LIMIT = 300;
const LONG_RUN = new RegExp(`[^ ]{${RUN_LIMIT + 1},}`, "g");
const clipRun = (run: string) => `${run.slice(0, EXCERPT_LIMIT)}…(${run.length - EXCERPT_LIMIT} characters left out)`;

/**
 * Characters a terminal or a reader would not show as themselves: C0/C1 controls (newline, ESC),
 * bidi overrides and isolates (U+202A-E, U+2066-9), zero-width characters and line separators.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

function escapeUnprintable(c: string): string {
  const code = c.charCodeAt(0);
  if (c === "\n") return "\\n";
  if (c === "\t") return "\\t";
  if (c === "\r") return "\\r";
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` on one line, with control and invisible characters escaped, a long value in it
 * clipped to an excerpt, and the whole clipped in the middle to about `limit` characters.
 * Every message goes through it (formatLocated).
 */
function printable(text: string, limit: number): string {
  let clipped = text.length > RUN_LIMIT ? text.replace(LONG_RUN, clipRun) : text;
  if (clipped.length > limit) {
    const head = Math.ceil(limit * 0.75);
    const tail = limit - head;
    clipped = `${clipped.slice(0, head)}…(${clipped.length - limit} characters left out)…${clipped.slice(clipped.length - tail)}`;
  }
  return clipped.replace(UNPRINTABLE, escapeUnprintable);
}

/** A value quoted in a message: a short, escaped excerpt in double quotes. */
export function excerpt(value: string): string {
  const shown = value.length > EXCERPT_LIMIT ? `${value.slice(0, EXCERPT_LIMIT - 1)}…` : value;
  return `"${shown.replace(UNPRINTABLE, escapeUnprintable)}"`;
}

/** The error every stage throws for bad input. The CLI prints `message` and exits 1. */
export class KhepriError extends Error {
  readonly detail: string;
  readonly pos: SourcePos | undefined;
  readonly path: readonly (string | number)[] | undefined;

  constructor(detail: string, pos?: SourcePos, path?: readonly (string | number)[]) {
    super(formatLocated(detail, pos, path));
    this.name = "KhepriError";
    this.detail = detail;
    this.pos = pos;
    this.path = path;
  }
}

export type DiagnosticLevel = "warning" | "note";

/** Something the user should know that does not stop the conversion. */
export interface Diagnostic {
  level: DiagnosticLevel;
  message: string;
  pos?: SourcePos | undefined;
  path?: readonly (string | number)[] | undefined;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.level}: ${formatLocated(d.message, d.pos, d.path)}`;
}

/**
 * Messages about `file` get `prefix` in front of their key path: a JSON spec's
 * composition content is compose's top level, but the user wrote it under
 * `compositions.<name>`.
 */
export type PathRewrite = (path: readonly (string | number)[]) => (string | number)[];

export function prefixedPath<T extends { pos?: SourcePos | undefined; path?: readonly (string | number)[] | undefined }>(
  item: T,
  file: string,
  rewrite: PathRewrite,
): T {
  if (item.pos?.file !== file) return item;
  return { ...item, path: rewrite(item.path ?? []) };
}

/** Runs `fn`; a KhepriError about `file` it throws comes out with its key path rewritten. */
export function withPathPrefix<T>(file: string, rewrite: PathRewrite, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof KhepriError && error.pos?.file === file) throw new KhepriError(error.detail, error.pos, rewrite(error.path ?? []));
    throw error;
  }
}

/**
 * Values no message may show (those of secret-looking variables), each with the
 * name it is shown by instead: `"${DB_PASSWORD}:80" is not a port`.
 */
export type Redactions = ReadonlyMap<string, string>;

/** Shorter values are left alone: they would be found inside unrelated words. */
const REDACT_MIN_LENGTH = 4;

export function redact(text: string, redactions: Redactions): string {
  let out = text;
  // longest first, so that a value inside another is not replaced inside it first
  // (nor a boolean: AUTH_ENABLED=true holds no credential, and "true" is in many messages)
  const values = [...redactions.keys()].filter((v) => v.length >= REDACT_MIN_LENGTH && v !== "true" && v !== "false").sort((a, b) => b.length - a.length);
  for (const value of values) {
    for (const form of shownForms(value)) if (out.includes(form)) out = out.split(form).join(`\${${redactions.get(value)}}`);
  }
  return out;
}

/**
 * The ways a message may show a value: as it is, quoted the JSON way (`"p\"q\nr:80" is not a
 * port`), and with unprintable characters escaped. (Clipping comes after redaction.)
 */
function shownForms(value: string): string[] {
  return [...new Set([value, JSON.stringify(value).slice(1, -1), value.replace(UNPRINTABLE, escapeUnprintable)])];
}

/** Runs `fn`; a KhepriError it throws comes out with `redactions` hidden, its diagnostics too. */
export function withRedactions<T>(redactions: () => Redactions, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof KhepriError)) throw error;
    const hidden = redactions();
    if (!hidden.size) throw error;
    throw new KhepriError(redact(error.detail, hidden), error.pos, error.path && redactPath(error.path, hidden));
  }
}

/** A key path can hold a value too (`extra_hosts.<host>`). */
const redactPath = (path: readonly (string | number)[], redactions: Redactions) => path.map((p) => (typeof p === "string" ? redact(p, redactions) : p));

export function redactDiagnostics(diagnostics: Diagnostic[], redactions: Redactions): void {
  if (!redactions.size) return;
  for (const d of diagnostics) {
    d.message = redact(d.message, redactions);
    if (d.path) d.path = redactPath(d.path, redactions);
  }
}

/** The diagnostics without repeats: the same message about the same place (a resource several services use) is said once. */
export function withoutRepeats(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const kept: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.level}\0${formatLocated(d.message, d.pos, d.path)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(d);
  }
  return kept;
}
