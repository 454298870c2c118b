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
  return where ? `${where}: ${message}` : message;
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
