// A small Nix syntax tree: only what generated NixOS modules need. Nodes are plain
// immutable objects; the constructors validate early so the printer never has to
// emit something Nix cannot read back. A node keeps the arrays it is given, uncopied (a
// module has tens of thousands of nodes): hand a constructor an array you will not change.
// Every node of a kind is made by one constructor, so it has one shape (the printer's reads of
// it stay monomorphic), and nodes hold no more objects than they need: a plain string is one
// object, with its text, and no array of parts.

export type Expr = NixString | Int | Float | Bool | Null | Path | Ref | Select | List | Attrs | Apply | Lambda | Let | With;

/** Literal text or an interpolated expression (`${...}`). */
export type StringPart = string | Expr;

/** A string: `text` when it has no interpolation (most strings), else its `parts`. */
export type NixString = PlainString | InterpolatedString;
export interface PlainString {
  readonly kind: "string";
  readonly text: string;
  readonly parts: undefined;
}
export interface InterpolatedString {
  readonly kind: "string";
  readonly text: undefined;
  readonly parts: readonly StringPart[];
}
export interface Int {
  readonly kind: "int";
  readonly value: number | bigint;
}
export interface Float {
  readonly kind: "float";
  readonly value: number;
}
export interface Bool {
  readonly kind: "bool";
  readonly value: boolean;
}
export interface Null {
  readonly kind: "null";
}
export interface Path {
  readonly kind: "path";
  readonly value: string;
}
/** A variable, possibly with a dotted selection: `lib.mkIf`. */
export interface Ref {
  readonly kind: "ref";
  readonly name: string;
  /** Whether every segment is an identifier (as usual): then the name prints as it is, else the printer quotes segments. */
  readonly bare: boolean;
}
export interface Select {
  readonly kind: "select";
  readonly expr: Expr;
  readonly path: readonly string[];
}
export interface List {
  readonly kind: "list";
  readonly items: readonly ListItem[];
}
export interface Attrs {
  readonly kind: "attrs";
  readonly entries: readonly Entry[];
  readonly rec: boolean;
}
export interface Apply {
  readonly kind: "apply";
  readonly fn: Expr;
  readonly args: readonly Expr[];
}
export interface Lambda {
  readonly kind: "lambda";
  readonly param: string | SetParam;
  readonly body: Expr;
}
export interface Let {
  readonly kind: "let";
  readonly bindings: readonly Entry[];
  readonly body: Expr;
}
export interface With {
  readonly kind: "with";
  readonly scope: Expr;
  readonly body: Expr;
}

/** `key = value;` — key is one attribute name or an attribute path. */
export interface Binding {
  /** None: a binding is told from a comment or inherit by having no kind (and a literal `{ key, value }` is one). */
  readonly kind?: undefined;
  readonly key: string | readonly string[];
  /** A JS string is a plain Nix string, as `str(value)` (an environment or labels set needs no node per value). */
  readonly value: Expr | string;
}
/** A `# text` line comment inside an attrset, let or list. */
export interface Comment {
  readonly kind: "comment";
  readonly text: string;
}
export interface Inherit {
  readonly kind: "inherit";
  readonly names: readonly string[];
  readonly from?: Expr;
}
export type Entry = Binding | Comment | Inherit;

/** A binding is the entry without a kind (see Binding). */
export const isBinding = (e: Entry): e is Binding => e.kind === undefined;
/** A list item; a JS string is a plain Nix string, as `str(item)` (a list of strings needs no node per item). */
export type ListItem = Expr | Comment | string;

export type Param = string | { readonly name: string; readonly default: Expr };
export interface SetParam {
  readonly params: readonly Param[];
  readonly ellipsis?: boolean;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const KEYWORDS = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"]);

/** True when `name` can be written bare (as a variable or attribute name). */
export function isIdentifier(name: string): boolean {
  return IDENT.test(name) && !KEYWORDS.has(name);
}

// Nix strings are C strings internally: a NUL would silently truncate the value.
function assertNoNul(text: string): void {
  if (text.includes("\0")) throw new Error(`Nix strings cannot contain NUL: ${JSON.stringify(text)}`);
}

export function str(value: string): NixString {
  assertNoNul(value);
  return { kind: "string", text: value, parts: undefined };
}

/** `interp([ref("pkgs.docker"), "/bin/docker"])` prints `"${pkgs.docker}/bin/docker"`. */
export function interp(parts: readonly StringPart[]): NixString {
  let plain = true;
  for (const p of parts) {
    if (typeof p === "string") assertNoNul(p);
    else plain = false;
  }
  // Text runs next to each other print as one: without an interpolation, it is a plain string.
  return plain ? { kind: "string", text: parts.join(""), parts: undefined } : { kind: "string", text: undefined, parts };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function int(value: number | bigint): Int {
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error(`not a safe integer: ${value}`);
  if (typeof value === "bigint" && (value < INT64_MIN || value > INT64_MAX)) throw new Error(`integer out of 64-bit range: ${value}`);
  return { kind: "int", value };
}

export function float(value: number): Float {
  if (!Number.isFinite(value)) throw new Error(`Nix has no literal for ${value}`);
  return { kind: "float", value };
}

export function bool(value: boolean): Bool {
  return { kind: "bool", value };
}

export function nul(): Null {
  return { kind: "null" };
}

// Mirrors the Nix lexer's PATH / HPATH / SPATH tokens, minus trailing slashes (an error in Nix).
const PATH_CHAR = "[A-Za-z0-9._+-]";
const PATH_RE = new RegExp(
  `^(?:${PATH_CHAR}*(?:/${PATH_CHAR}+)+|~(?:/${PATH_CHAR}+)+|<${PATH_CHAR}+(?:/${PATH_CHAR}+)*>)$`,
);

export function path(value: string): Path {
  if (!PATH_RE.test(value)) throw new Error(`not a literal Nix path: ${JSON.stringify(value)} (use a string)`);
  return { kind: "path", value };
}

/** `ref("lib.mkOverride")`; segments after the first are quoted when needed. */
export function ref(name: string): Ref {
  const segments = name.split(".");
  if (!isIdentifier(segments[0]!)) throw new Error(`not a Nix variable: ${JSON.stringify(name)}`);
  return { kind: "ref", name, bare: segments.every(isIdentifier) };
}

export function select(expr: Expr, path: readonly string[]): Select {
  if (path.length === 0) throw new Error("select needs at least one attribute name");
  return { kind: "select", expr, path };
}

export function list(items: readonly ListItem[]): List {
  for (const item of items) if (typeof item === "string") assertNoNul(item);
  return { kind: "list", items };
}

export function attrs(entries: readonly Entry[], opts?: { rec?: boolean }): Attrs {
  for (const e of entries) {
    if (isBinding(e) && Array.isArray(e.key) && e.key.length === 0) throw new Error("empty attribute path");
  }
  return { kind: "attrs", entries, rec: opts?.rec ?? false };
}

export function binding(key: string | readonly string[], value: Expr | string): Binding {
  if (typeof value === "string") assertNoNul(value);
  return { key, value };
}

export function comment(text: string): Comment {
  return { kind: "comment", text };
}

export function inherit(names: readonly string[], from?: Expr): Inherit {
  for (const n of names) if (!isIdentifier(n)) throw new Error(`cannot inherit ${JSON.stringify(n)}`);
  return from === undefined ? { kind: "inherit", names } : { kind: "inherit", names, from };
}

export function apply(fn: Expr, args: readonly Expr[]): Apply {
  if (args.length === 0) throw new Error("apply needs at least one argument");
  return { kind: "apply", fn, args };
}

/** `lambda("x", body)` or `lambda({ params: ["config", "lib"], ellipsis: true }, body)`. */
export function lambda(param: string | SetParam, body: Expr): Lambda {
  const names = typeof param === "string" ? [param] : param.params.map((p) => (typeof p === "string" ? p : p.name));
  for (const n of names) if (!isIdentifier(n)) throw new Error(`not a parameter name: ${JSON.stringify(n)}`);
  return { kind: "lambda", param, body };
}

export function let_(bindings: readonly Entry[], body: Expr): Let {
  return { kind: "let", bindings, body };
}

export function with_(scope: Expr, body: Expr): With {
  return { kind: "with", scope, body };
}
