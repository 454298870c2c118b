/**
 * Files a compose project names on the host: `label_file` is read now (labels
 * are not secret, and compose reads them at load time too); `env_file`s are
 * read now only when asked (`--inline-env-files`, compose2nix's behaviour),
 * because their contents would end up in /nix/store. Otherwise env files,
 * secrets and configs are only checked for existence: they usually live on the
 * target host alone (sops-nix, agenix), so a missing one is a note unless
 * `requireFiles` makes it an error.
 */
import { KhepriError, type Diagnostic } from "../diagnostics/index.ts";
import { looksSecret } from "../model/index.ts";
import { own } from "../model/own.ts";
import { readDotenvFile, type Variables } from "./environment.ts";
import { whereNamed, type FileReader } from "./files.ts";
import { isRawList, isRawMap, positionOf, setChildPosition, type RawMap, type RawValue } from "./raw.ts";

export interface HostFileOptions {
  inlineEnvFiles: boolean;
  requireFiles: boolean;
}

interface Ctx extends HostFileOptions {
  files: FileReader;
  variables: Variables;
  diagnostics: Diagnostic[];
  /** Env files already looked at for lines the runtime reads differently. */
  checked: Set<string>;
}

export function resolveHostFiles(model: RawMap, options: Omit<Ctx, "checked">): void {
  // Many services often name the same env file: each file is looked at once.
  const ctx: Ctx = { ...options, files: memoized(options.files), checked: new Set() };
  const services = isRawMap(model.services) ? model.services : {};
  for (const [name, service] of Object.entries(services)) {
    if (!isRawMap(service)) continue;
    applyLabelFiles(service, ["services", name], ctx);
    if (ctx.inlineEnvFiles) inlineEnvFiles(service, ["services", name], ctx);
    else checkEnvFiles(service, ["services", name], ctx);
  }
  for (const kind of ["secrets", "configs"] as const) {
    const group = model[kind];
    if (!isRawMap(group)) continue;
    for (const [name, def] of Object.entries(group)) {
      if (isRawMap(def) && typeof def.file === "string") checkExists(def.file, def, "file", [kind, name, "file"], ctx, `${kind.slice(0, -1)} file`);
    }
  }
}

/** Answers for each path kept for the rest of this load (the files do not change meanwhile). */
function memoized(files: FileReader): FileReader {
  const texts = new Map<string, string>();
  const isFile = new Map<string, boolean>();
  return {
    read: (path) => {
      let text = texts.get(path);
      if (text === undefined) texts.set(path, (text = files.read(path)));
      return text;
    },
    isFile: (path) => {
      let answer = isFile.get(path);
      if (answer === undefined) isFile.set(path, (answer = files.isFile(path)));
      return answer;
    },
    isDirectory: (path) => files.isDirectory(path),
  };
}


function checkExists(file: string, container: object, key: string | number, path: (string | number)[], ctx: Ctx, what: string): boolean {
  if (ctx.files.isFile(file)) return true;
  const message = `${what} ${file} does not exist here; it must exist on the host when the container starts`;
  if (ctx.requireFiles) throw new KhepriError(`${what} ${file} not found`, positionOf(container, key), path);
  ctx.diagnostics.push({ level: "note", message, pos: positionOf(container, key), path });
  return false;
}

function envFileEntries(service: RawMap): RawMap[] {
  return isRawList(service.env_file) ? service.env_file.filter(isRawMap) : [];
}

function checkEnvFiles(service: RawMap, at: (string | number)[], ctx: Ctx): void {
  const list = service.env_file;
  if (!isRawList(list)) return;
  const kept: RawValue[] = [];
  list.forEach((entry, i) => {
    if (!isRawMap(entry) || typeof entry.path !== "string") return void kept.push(entry);
    // An optional file is looked for on the host when the container starts (see the planner).
    if (entry.required === false || checkExists(entry.path, list, i, [...at, "env_file", i], ctx, "env_file")) {
      whereNamed(positionOf(list, i), [...at, "env_file", i], () => checkRuntimeSyntax(entry.path as string, ctx));
    }
    kept.push(entry);
  });
  service.env_file = kept;
}

/**
 * The runtime reads an env file itself, with docker's simpler syntax: no
 * quote removal, no `${VAR}`, no `export`. Lines compose would read
 * differently are pointed out while the file is at hand.
 */
const RUNTIME_SYNTAX: { pattern: RegExp; what: string }[] = [
  { pattern: /^\s*export\s/, what: "`export` is not understood by the runtime (docker refuses the file)" },
  { pattern: /^[^#=]*=\s*["']/, what: "quotes are kept as part of the value" },
  { pattern: /^[^#=]*=.*\$\{?[A-Za-z_]/, what: "`$VAR` is not expanded" },
];

/** One warning per file (not per line, nor per service naming it), listing the keys (never their values). */
function checkRuntimeSyntax(file: string, ctx: Ctx): void {
  if (ctx.checked.has(file) || !ctx.files.isFile(file)) return;
  ctx.checked.add(file);
  const keys = new Map<string, string[]>(); // by what differs
  let first = 0;
  for (const [i, line] of ctx.files.read(file).split("\n").entries()) {
    const hit = RUNTIME_SYNTAX.find(({ pattern }) => pattern.test(line));
    if (!hit) continue;
    first ||= i + 1;
    let list = keys.get(hit.what);
    if (!list) keys.set(hit.what, (list = []));
    // the key alone, or the line's number when it does not start with one (never the rest of the line)
    list.push(/^\s*(?:export\s+)?([A-Za-z0-9_.-]+)\s*=/.exec(line)?.[1] ?? `line ${i + 1}`);
  }
  if (!keys.size) return;
  const lines = [...keys].map(([what, names]) => `${names.join(", ")} (${what})`).join("; ");
  ctx.diagnostics.push({
    level: "warning",
    message: `the runtime reads these lines differently from compose: ${lines}; write plain KEY=value lines, or pass --inline-env-files to have khepri read the file as compose does (its values then go to /nix/store)`,
    pos: { file, line: first, col: 1 },
  });
}

function inlineEnvFiles(service: RawMap, at: (string | number)[], ctx: Ctx): void {
  const fromFiles: Record<string, string> = {};
  for (const entry of envFileEntries(service)) {
    const file = entry.path;
    if (typeof file !== "string") continue;
    if (!ctx.files.isFile(file)) {
      if (entry.required === false) continue;
      throw new KhepriError(`env_file ${file} not found (--inline-env-files reads it now)`, positionOf(entry, "path"), [...at, "env_file"]);
    }
    const read = () => readDotenvFile(file, ctx.files, (name) => own(ctx.variables, name));
    Object.assign(fromFiles, whereNamed(positionOf(entry, "path"), [...at, "env_file"], read));
    ctx.diagnostics.push({
      level: "warning",
      message: `env_file ${file} is copied into the module (--inline-env-files): its values end up in /nix/store, readable by every local user`,
      pos: positionOf(entry, "path"),
      path: [...at, "env_file"],
    });
  }
  delete service.env_file;
  if (!Object.keys(fromFiles).length) return;
  // The service's own `environment` wins over its env files, as in compose.
  const environment: RawMap = isRawMap(service.environment) ? service.environment : {};
  const merged: RawMap = { ...fromFiles };
  for (const [k, v] of Object.entries(environment)) {
    merged[k] = v;
    setChildPosition(merged, k, positionOf(environment, k));
  }
  service.environment = merged;
}

function applyLabelFiles(service: RawMap, at: (string | number)[], ctx: Ctx): void {
  const files = typeof service.label_file === "string" ? [service.label_file] : isRawList(service.label_file) ? service.label_file : [];
  if (!files.length) return;
  const fromFiles: Record<string, string> = {};
  files.forEach((file, i) => {
    if (typeof file !== "string") return;
    if (!ctx.files.isFile(file)) throw new KhepriError(`label_file ${file} not found`, positionOf(service, "label_file"), [...at, "label_file", i]);
    const read = () => {
      checkLabelLines(file, ctx.files.read(file), [...at, "label_file", i]);
      return readDotenvFile(file, ctx.files, () => undefined);
    };
    const labels = whereNamed(positionOf(service, "label_file"), [...at, "label_file", i], read);
    // A label file is plain text that may hold anything (an env file given by mistake); labels go
    // into the module and the store. Only variable-style keys are judged: dotted label keys such
    // as traefik's `...forwardauth.authResponseHeaders` name settings, not credentials.
    const secret = Object.keys(labels).filter((key) => labels[key] !== "" && !/[./]/.test(key) && looksSecret(key));
    if (secret.length) {
      const message = `label_file ${file} sets ${secret.join(", ")}, which look${secret.length === 1 ? "s" : ""} like a credential: labels are written into the module (and the Nix store) and shown by \`inspect\`; keep credentials out of labels`;
      ctx.diagnostics.push({ level: "warning", message, pos: positionOf(service, "label_file"), path: [...at, "label_file", i] });
    }
    Object.assign(fromFiles, labels);
  });
  const labels = isRawMap(service.labels) ? service.labels : {};
  service.labels = { ...fromFiles, ...labels };
  delete service.label_file;
}

/** A label line: `key=value`, the key made of what label keys are made of (`com.example/role`). */
const LABEL_LINE = /^\s*(?:export\s+)?[A-Za-z0-9_.\-/]+\s*=\s*(.*)$/;

/**
 * A label_file's lines are all labels, blank or comments: anything else (`/etc/shadow`,
 * `/proc/self/environ`) is not a label file, and its lines must not become labels in the
 * module. The error names the line, never what it holds.
 */
function checkLabelLines(file: string, text: string, path: (string | number)[]): void {
  const lines = text.split("\n");
  let quote = ""; // the quote a value spanning lines is closed by
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (quote) {
      if (line.includes(quote)) quote = "";
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const label = line.includes("\0") ? null : LABEL_LINE.exec(line);
    if (!label) throw new KhepriError("not a label (key=value): this file is not a label file (its content is not shown)", { file, line: i + 1, col: 1 }, path);
    const value = label[1]!;
    const q = value[0];
    if ((q === '"' || q === "'") && !value.slice(1).includes(q)) quote = q;
  }
}
