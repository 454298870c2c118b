/**
 * Short syntax -> long syntax, per file, before files are merged (so the merge
 * compares like with like), following compose-go's transform step and going a
 * little further: every list-or-map field becomes its map form here.
 *
 * Values of the wrong type are left alone for the model's validation to report;
 * only short-syntax strings that do not parse (`"80:abc"`) are errors here.
 * Every container built here gets the source position of the text it came
 * from, and `!reset` / `!override` markers stay where they were (the value
 * inside `!override` is canonicalized too).
 */
import { isIP } from "node:net";
import { posix } from "node:path";
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";
import {
  OverrideTag,
  ResetTag,
  copyChildPosition,
  copySelfPosition,
  isRawList,
  isRawMap,
  positionOf,
  setChildPosition,
  stampPositions,
  type RawList,
  type RawMap,
  type RawValue,
} from "./raw.ts";

type Path = (string | number)[];

/** Where a value sits: its parent container, its key there, and (through `up`) its key path from the root. */
interface At {
  file: string;
  parent: object;
  key: string | number;
  /** Where the parent sits; undefined at the root (whose key is ""). */
  up: At | undefined;
}

const child = (at: At, parent: object, key: string | number): At => ({ file: at.file, parent, key, up: at });

/** The key path of a value, built only for messages. */
function pathOf(at: At): Path {
  const path: Path = [];
  for (let a: At | undefined = at; a?.up; a = a.up) path.unshift(a.key);
  return path;
}

function posOf(at: At): SourcePos {
  return positionOf(at.parent, at.key) ?? positionOf(at.parent) ?? { file: at.file, line: 1, col: 1 };
}

function fail(at: At, detail: string): never {
  throw new KhepriError(detail, posOf(at), pathOf(at));
}

/** A freshly built value (and the fresh containers inside it) placed where `from[fromKey]` is. */
function stamp<T extends RawValue>(value: T, from: object, fromKey: string | number): T {
  stampPositions(value, from, fromKey);
  return value;
}

/** Applies `fn` to a value, looking through `!override` and leaving `!reset` alone. */
function through(value: RawValue, fn: Transform, at: At): RawValue {
  if (value instanceof ResetTag) return value;
  if (value instanceof OverrideTag) return new OverrideTag(fn(value.value, at), value.pos);
  return fn(value, at);
}

type Transform = (value: RawValue, at: At) => RawValue;

// The rewrites below change maps and lists in place, keeping their positions: the tree is
// fresh from the reader and nothing else holds it (YAML aliases and `<<` sources are read into
// fresh containers at each use, see yaml.ts; test/canonical.test.ts checks), and copying
// every container of every service cost more than the rewriting itself.

/**
 * The rules for a map's keys, in an object without a prototype: a key such as `hasOwnProperty`
 * finds no rule (the schema reports it as unknown afterwards), and a key without a rule is a
 * plain miss, where on an ordinary object it searches Object.prototype too, a slow look-up for
 * most keys of every service. (Made once, at module level: such an object is costly to make.)
 */
type Rules = Readonly<Record<string, Transform | undefined>> & { readonly [MADE_BY_RULES]: true };
/** Only `rules` makes a `Rules` (the type checker refuses a plain object literal in its place). */
declare const MADE_BY_RULES: unique symbol;
const rules = (byKey: Record<string, Transform>): Rules => Object.assign(Object.create(null), byKey) as Rules;

/** `map` with `rules[key]` applied to the matching entries. */
function mapWith(map: RawMap, at: At, rules: Rules): RawMap {
  for (const key in map) {
    const rule = rules[key];
    if (rule) replaceValue(map, key, through(map[key]!, rule, child(at, map, key)));
  }
  return map;
}

/** A map whose every value goes through `fn`. */
function eachValue(fn: Transform): Transform {
  return (value, at) => {
    if (!isRawMap(value)) return value;
    for (const key in value) replaceValue(value, key, through(value[key]!, fn, child(at, value, key)));
    return value;
  };
}

/** (a store only for a value that changed) */
function replaceValue(map: RawMap, key: string, value: RawValue): void {
  if (map[key] !== value) map[key] = value;
}

/** A list whose every item goes through `fn`. */
function eachItem(fn: Transform): Transform {
  return (value, at) => {
    if (!isRawList(value)) return value;
    for (let i = 0; i < value.length; i++) value[i] = through(value[i]!, fn, child(at, value, i));
    return value;
  };
}

/**
 * A list whose every item becomes zero or more items through `fn` (a port range expands):
 * rewritten in place while each item gives one, a copy from the first that does not.
 */
function expandItems(fn: (item: RawValue, at: At) => RawValue[]): Transform {
  return (value, at) => {
    if (!isRawList(value)) return value;
    let out: RawList | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      const where = child(at, value, i);
      const results =
        item instanceof ResetTag ? [item] : item instanceof OverrideTag ? fn(item.value, where).map((r) => new OverrideTag(r, item.pos)) : fn(item, where);
      if (!out && results.length === 1) {
        value[i] = results[0]!;
        continue;
      }
      if (!out) {
        out = value.slice(0, i);
        copySelfPosition(out, value);
        for (let j = 0; j < i; j++) copyChildPosition(out, j, value, j);
      }
      for (const r of results) {
        copyChildPosition(out, out.length, value, i);
        out.push(r);
      }
    }
    return out ?? value;
  };
}

/** A value built from the short syntax at `at`, placed there. */
const fresh = <T extends RawValue>(value: T, at: At): T => stamp(value, at.parent, at.key);

/** `string` -> `[string]` (dns, tmpfs, label_file, …). */
const stringToList: Transform = (value, at) => (typeof value === "string" ? fresh([value], at) : value);

const scalarText = (v: RawValue): RawValue => (typeof v === "number" || typeof v === "boolean" ? String(v) : v);

/**
 * List-or-map fields as maps. `bare` is what `KEY` without `=` means: null
 * (unset, for environment and build args) or "" (labels and the like).
 */
function keyValueMap(bare: null | ""): Transform {
  return (value) => {
    if (isRawMap(value)) {
      for (const k in value) {
        const v = value[k]!;
        replaceValue(value, k, v === null ? bare : v instanceof ResetTag || v instanceof OverrideTag ? v : scalarText(v));
      }
      return value;
    }
    if (!isRawList(value) || !value.every((e) => typeof e === "string")) return value;
    const out: RawMap = {};
    copySelfPosition(out, value);
    value.forEach((entry, i) => {
      const text = entry as string;
      const eq = text.indexOf("=");
      const key = eq < 0 ? text : text.slice(0, eq);
      out[key] = eq < 0 ? bare : text.slice(eq + 1);
      copyChildPosition(out, key, value, i);
    });
    return out;
  };
}
const environmentMap = keyValueMap(null);
const labelMap = keyValueMap("");
const LABELS_RULES = rules({ labels: labelMap });

/** `additional_contexts` / `ssh`: a list needs `name=value` (ssh also allows a bare `default`). */
function strictKeyValueMap(allowBare: (key: string) => boolean, what: string): Transform {
  return (value, at) => {
    if (isRawList(value)) {
      value.forEach((entry, i) => {
        if (typeof entry === "string" && !entry.includes("=") && !allowBare(entry)) {
          fail(child(at, value, i), `${JSON.stringify(entry)} is not a valid ${what}, expected name=value`);
        }
      });
    }
    return environmentMap(value, at);
  };
}

// ------------------------------------------------------------------ extra_hosts

const unbracket = (ip: string) => (ip.length > 2 && ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip);

/** `["host=ip", "host:ip,ip2"]` or `{host: ip | [ip]}` -> `{host: [ip, ...]}`. */
const extraHosts: Transform = (value, at) => {
  const out: RawMap = {};
  const add = (host: string, ips: string[], where: At, src: object, srcKey: string | number) => {
    if (host === "" || /[:=]/.test(host)) fail(where, `bad host name ${JSON.stringify(host)} in extra_hosts`);
    const list = (out[host] as RawList | undefined) ?? stamp([] as RawList, src, srcKey);
    list.push(...ips.map(unbracket));
    if (!(host in out)) {
      out[host] = list;
      copyChildPosition(out, host, src, srcKey);
    }
  };
  if (isRawList(value)) {
    if (!value.every((e) => typeof e === "string" || typeof e === "number")) return value;
    copySelfPosition(out, value);
    value.forEach((entry, i) => {
      const text = String(entry);
      const sep = text.includes("=") ? "=" : ":";
      const cut = text.indexOf(sep);
      if (cut < 0) fail(child(at, value, i), `${JSON.stringify(text)} is not a host mapping, expected host=ip`);
      add(text.slice(0, cut), text.slice(cut + 1).split(","), child(at, value, i), value, i);
    });
    return out;
  }
  if (isRawMap(value)) {
    copySelfPosition(out, value);
    for (const [host, ips] of Object.entries(value)) {
      if (ips instanceof ResetTag || ips instanceof OverrideTag) {
        out[host] = ips;
        continue;
      }
      const list = ips === null ? [""] : isRawList(ips) ? ips.map((ip) => String(ip)) : typeof ips === "object" ? null : [String(ips)];
      if (!list) return value;
      add(host, list, child(at, value, host), value, host);
    }
    return out;
  }
  return value;
};

// ------------------------------------------------------------------ ports

/** Whether `text` is one or more decimal digits. */
const isPortNumber = (text: string): boolean => /^\d+$/.test(text);

/** The number written with decimal digits only from `start` to `end` of `text` (not empty), or -1. */
function portNumber(text: string, start: number, end: number): number {
  if (start === end) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/** `port` or `start-end`: [start, end] when both are ports, in order. */
function portRange(text: string): [number, number] | undefined {
  const dash = text.indexOf("-");
  const start = portNumber(text, 0, dash === -1 ? text.length : dash);
  // (a second dash makes the end no number)
  const end = dash === -1 ? start : portNumber(text, dash + 1, text.length);
  if (start === -1 || end === -1 || !(start <= 65535 && end <= 65535 && end >= start)) return undefined;
  return [start, end];
}

/**
 * `[[ip:]host:]container[/proto]` -> one long-form port per container port,
 * as docker's nat.ParsePortSpec reads it. Returns the reason on error.
 */
export function parsePortSpec(spec: string): RawMap[] | { error: string } {
  // the container port after the last colon, the host port before it, the IP before that
  const last = spec.lastIndexOf(":");
  const before = last <= 0 ? -1 : spec.lastIndexOf(":", last - 1);
  let raw = spec.slice(last + 1);
  let ip = before === -1 ? "" : spec.slice(0, before);
  const hostPort = last === -1 ? "" : spec.slice(before + 1, last);
  let protocol = "tcp";
  // `port/proto`: the protocol is what is between the first slash and the next
  const slash = raw.indexOf("/");
  if (slash === 0) raw = "";
  else if (slash !== -1) {
    const next = raw.indexOf("/", slash + 1);
    const given = raw.slice(slash + 1, next === -1 ? raw.length : next);
    raw = raw.slice(0, slash);
    if (given) protocol = given;
  }
  if (ip.startsWith("[")) {
    if (!ip.endsWith("]")) return { error: `invalid IP address ${JSON.stringify(ip)}` };
    ip = ip.slice(1, -1);
  }
  if (ip !== "" && !isIP(ip)) return { error: `invalid IP address ${JSON.stringify(ip)}` };
  if (raw === "") return { error: "no container port given" };
  const container = portRange(raw);
  if (!container) return { error: "" };
  const host = hostPort === "" ? undefined : portRange(hostPort);
  if (hostPort !== "" && !host) return { error: "" };
  const start = container[0];
  const end = container[1];
  if (host && end - start !== host[1] - host[0] && end !== start) {
    return { error: `container ports ${raw} and host ports ${hostPort} are ranges of different sizes` };
  }
  protocol = protocol.toLowerCase();
  if (!PROTOCOLS.includes(protocol)) return { error: `unknown protocol ${JSON.stringify(protocol)}` };
  const ports: RawMap[] = [];
  for (let target = start; target <= end; target++) {
    const port: RawMap = { target };
    if (host) {
      const published = host[0] + (target - start);
      port.published = start === end && host[0] !== host[1] ? `${published}-${host[1]}` : String(published);
    }
    if (ip !== "") port.host_ip = ip;
    port.protocol = protocol;
    ports.push(port);
  }
  if (ports.length === 1) return ports;
  // docker orders the ports of one spec by their "port/proto" text
  const order = (p: RawMap) => `${p.target}/${protocol}`;
  return ports.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

const PROTOCOLS = ["tcp", "udp", "sctp"];

const shortPort = (item: RawValue, at: At): RawValue[] => {
  if (typeof item === "number" || typeof item === "string") {
    const spec = String(item);
    const parsed = parsePortSpec(spec);
    if ("error" in parsed) fail(at, `${JSON.stringify(spec)} is not a port${parsed.error ? `: ${parsed.error}` : ""}`);
    for (let i = 0; i < parsed.length; i++) fresh(parsed[i]!, at);
    return parsed;
  }
  if (isRawMap(item)) {
    // long syntax: the published side is text (it may be a range), the target a number
    if (typeof item.published === "number") item.published = String(item.published);
    if (typeof item.target === "string" && isPortNumber(item.target)) item.target = Number(item.target);
    return [item];
  }
  return [item];
};
const ports = expandItems(shortPort);

// ------------------------------------------------------------------ volumes

const PROPAGATIONS = new Set(["rprivate", "private", "rshared", "shared", "rslave", "slave"]);

const isWindowsDrive = (buffer: string, c: string) => c === ":" && buffer.length === 1 && /\p{L}/u.test(buffer);

/** A host path rather than a volume name: starts with `.`, `/`, `~`, `\\` or a drive letter. */
export function isHostPath(source: string): boolean {
  if (source === "") return false;
  if (".~/".includes(source[0]!) || source.startsWith("\\\\")) return true;
  // (a surrogate pair is never a drive letter: source[1] is then not ":")
  return source.length > 1 && isWindowsDrive(source[0]!, source[1]!);
}

/** Go's path.Clean for a mount target (no trailing slash, no `.`/`..` segments). */
function cleanTarget(target: string): string {
  if (target === "") return target;
  const cleaned = posix.normalize(target);
  return cleaned.length > 1 && cleaned.endsWith("/") ? cleaned.slice(0, -1) : cleaned;
}

/** Splits a volume spec at its colons, except inside `${...}` and after a drive letter; false for an empty field. */
function splitVolumeSpec(spec: string, fields: string[]): boolean {
  let buffer = "";
  let depth = 0; // inside ${...}, colons belong to the variable
  const chars = [...spec];
  for (let i = 0; i <= chars.length; i++) {
    const c = i < chars.length ? chars[i]! : "";
    if (c === "$" && chars[i + 1] === "{") {
      depth++;
      buffer += c;
    } else if (c === "}" && depth > 0) {
      depth--;
      buffer += c;
    } else if (isWindowsDrive(buffer, c)) buffer += c;
    else if ((c === ":" || c === "") && depth === 0) {
      if (buffer === "") return false;
      fields.push(buffer);
      buffer = "";
    } else buffer += c;
  }
  return true;
}

/**
 * The fields between a spec's colons, or undefined when one before the last is one character
 * long (a drive letter, perhaps: `C:\data:/data`), for splitVolumeSpec to decide. (Found with
 * indexOf: `split` is a call into the runtime, and this runs for every mount.)
 */
function colonFields(spec: string): string[] | undefined {
  const fields: string[] = [];
  let from = 0;
  for (let colon = spec.indexOf(":"); colon !== -1; colon = spec.indexOf(":", from)) {
    if (colon - from === 1) return undefined;
    fields.push(spec.slice(from, colon));
    from = colon + 1;
  }
  fields.push(spec.slice(from));
  return fields;
}

/** `[source:]target[:mode,...]` -> a long-form volume, as compose-go's ParseVolume reads it. */
export function parseVolumeSpec(spec: string): RawMap | { error: string } {
  if (spec === "") return { error: "empty volume" };
  let source = "";
  let target = "";
  let readOnly = false;
  let nocopy = false;
  const bind: RawMap = {};
  if (spec.length <= 2 || (spec.length <= 4 && [...spec].length <= 2)) return { type: "volume", target: spec, volume: {} };
  // Most specs: no `${...}` and no one-letter field a drive letter could be; then the fields are
  // what is between the colons (splitVolumeSpec gives the same, slower).
  let fields = spec.includes("$") ? undefined : colonFields(spec);
  if (fields) {
    if (fields.includes("")) return { error: "empty section between colons" };
  } else {
    fields = [];
    if (!splitVolumeSpec(spec, fields)) return { error: "empty section between colons" };
  }
  if (fields.length > 3) return { error: "too many colons" };
  if (fields.length === 1) target = fields[0]!;
  else {
    source = fields[0]!;
    target = fields[1]!;
  }
  const options = fields.length === 3 ? fields[2]!.split(",") : [];
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option === "ro") readOnly = true;
    else if (option === "rw") readOnly = false;
    else if (option === "nocopy") nocopy = true;
    else if (PROPAGATIONS.has(option)) bind.propagation = option;
    else if (option === "z" || option === "Z") bind.selinux = option;
    // compose-go ignores other options too
  }
  const volume: RawMap = { type: isHostPath(source) ? "bind" : "volume" };
  if (source) volume.source = source;
  volume.target = cleanTarget(target);
  if (readOnly) volume.read_only = true;
  if (volume.type === "bind") {
    volume.bind = { ...bind, create_host_path: true };
    if (nocopy) volume.volume = { nocopy: true };
  } else {
    if (Object.keys(bind).length) volume.bind = bind;
    volume.volume = nocopy ? { nocopy: true } : {};
  }
  return volume;
}

const VOLUME_RULES = rules({ volume: (v, a) => (isRawMap(v) ? mapWith(v, a, LABELS_RULES) : v) });

const serviceVolume: Transform = (item, at) => {
  if (typeof item === "string") {
    const parsed = parseVolumeSpec(item);
    if ("error" in parsed) fail(at, `${JSON.stringify(item)} is not a volume: ${parsed.error}`);
    return fresh(parsed, at);
  }
  if (isRawMap(item)) return mapWith(item, at, VOLUME_RULES);
  return item;
};

// ------------------------------------------------------------------ other service fields

/** cgroup device permissions: some of r, w, m, each once (compose-go's IsValidDeviceMode). */
const isDeviceMode = (s: string) => s.length > 0 && s.length <= 3 && /^[rwm]+$/.test(s) && new Set(s).size === s.length;

/** `"/dev/a:/dev/b:rwm"` -> `{source, target, permissions}`; `"/dev/a:rw"` is a source and its permissions, as in compose-go. */
const device: Transform = (item, at) => {
  if (typeof item !== "string") return item;
  const parts = item.split(":");
  if (parts.length > 3) fail(at, `${JSON.stringify(item)} is a confusing device mapping, please use the long syntax`);
  const source = parts[0] ?? "";
  let target = parts[1];
  let permissions = parts[2] ?? "rwm";
  if (parts.length === 2 && isDeviceMode(target!)) {
    permissions = target!;
    target = undefined;
  }
  return fresh({ source, target: target || source, permissions }, at);
};

/** `secrets: [name]` -> `[{source: name}]`. */
const fileMount: Transform = (item, at) => (typeof item === "string" ? fresh({ source: item }, at) : item);

/** `depends_on: [a, b]` -> `{a: {condition: service_started, required: true}, ...}`. */
const dependsOn: Transform = (value, at) => {
  if (isRawList(value)) {
    if (!value.every((e) => typeof e === "string")) return value;
    const out: RawMap = {};
    copySelfPosition(out, value);
    value.forEach((name, i) => {
      out[name as string] = stamp({ condition: "service_started", required: true }, value, i);
      copyChildPosition(out, name as string, value, i);
    });
    return out;
  }
  return eachValue((entry) => {
    if (!isRawMap(entry)) return entry;
    if (!("condition" in entry)) entry.condition = "service_started";
    if (!("required" in entry)) entry.required = true;
    return entry;
  })(value, at);
};

/** `env_file: a.env` / `[a.env, {path: b.env}]` -> `[{path, required}]`. */
const envFile: Transform = (value, at) => {
  const entry: Transform = (item, a) => {
    if (typeof item === "string") return fresh({ path: item, required: true }, a);
    if (isRawMap(item) && !("required" in item)) {
      item.required = true;
      setChildPosition(item, "required", positionOf(item));
      return item;
    }
    return item;
  };
  if (typeof value === "string") {
    const list = fresh([value] as RawList, at);
    return eachItem(entry)(list, at);
  }
  return eachItem(entry)(value, at);
};

/** `[a, b]` -> `{a: null, b: null}` (service networks and models). */
const namesToMap: Transform = (value) => {
  if (!isRawList(value) || !value.every((e) => typeof e === "string")) return value;
  const out: RawMap = {};
  copySelfPosition(out, value);
  value.forEach((name, i) => {
    out[name as string] = null;
    copyChildPosition(out, name as string, value, i);
  });
  return out;
};

/** `ulimits: {nofile: 1024}` -> `{nofile: {soft: 1024, hard: 1024}}`. */
const ulimits = eachValue((value, at) => {
  const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === "number" ? fresh({ soft: n, hard: n }, at) : value;
});

/** A string healthcheck test runs in a shell. */
const HEALTHCHECK_RULES = rules({ test: (t, a) => (typeof t === "string" ? fresh(["CMD-SHELL", t], a) : t) });
const healthcheck: Transform = (value, at) => (isRawMap(value) ? mapWith(value, at, HEALTHCHECK_RULES) : value);

const textItems = eachItem((item) => scalarText(item));

const OPTIONS_RULES = rules({ options: labelMap });
const deviceRequests = eachItem((item, a) => (isRawMap(item) ? mapWith(item, a, OPTIONS_RULES) : item));

/** `gpus: all` -> `[{count: all}]`. */
const gpus: Transform = (value, at) => (typeof value === "string" ? fresh([{ count: "all" }], at) : deviceRequests(value, at));

const toStringIfScalar: Transform = (value) => scalarText(value);

const BUILD_RULES = rules({
  args: environmentMap,
  labels: labelMap,
  additional_contexts: strictKeyValueMap(() => false, "build context"),
  ssh: strictKeyValueMap((k) => k === "default", "ssh key"),
  extra_hosts: extraHosts,
  secrets: eachItem(fileMount),
  ulimits,
  provenance: toStringIfScalar,
  sbom: toStringIfScalar,
});

const build: Transform = (value, at) => {
  if (typeof value === "string") return fresh({ context: value }, at);
  if (!isRawMap(value)) return value;
  return mapWith(value, at, BUILD_RULES);
};

const HOOK_RULES = rules({ environment: environmentMap });
const hook: Transform = (item, at) => (isRawMap(item) ? mapWith(item, at, HOOK_RULES) : item);

const WATCH_RULES = rules({ ignore: stringToList, include: stringToList, exec: hook });
const DEVELOP_RULES = rules({ watch: eachItem((w, a) => (isRawMap(w) ? mapWith(w, a, WATCH_RULES) : w)) });
const develop: Transform = (value, at) => (isRawMap(value) ? mapWith(value, at, DEVELOP_RULES) : value);

const RESERVATIONS_RULES = rules({ devices: deviceRequests });
const RESOURCES_RULES = rules({ reservations: (r, a) => (isRawMap(r) ? mapWith(r, a, RESERVATIONS_RULES) : r) });
const DEPLOY_RULES = rules({
  labels: labelMap,
  resources: (r, a) => (isRawMap(r) ? mapWith(r, a, RESOURCES_RULES) : r),
});
const deploy: Transform = (value, at) => (isRawMap(value) ? mapWith(value, at, DEPLOY_RULES) : value);

/** `dns: ""` entries are dropped, as compose-go's OmitEmpty does. */
const dns: Transform = (value, at) => {
  const list = stringToList(value, at);
  if (!isRawList(list) || !list.includes("")) return list;
  const out: RawList = [];
  copySelfPosition(out, list);
  list.forEach((e, i) => {
    if (e === "") return;
    copyChildPosition(out, out.length, list, i);
    out.push(e);
  });
  return out;
};

const SERVICE_RULES = rules({
  annotations: labelMap,
  build,
  configs: eachItem(fileMount),
  depends_on: dependsOn,
  deploy,
  develop,
  devices: eachItem(device),
  dns,
  dns_search: stringToList,
  env_file: envFile,
  environment: environmentMap,
  expose: textItems,
  extends: (value, at) => (typeof value === "string" ? fresh({ service: value }, at) : value),
  extra_hosts: extraHosts,
  gpus,
  group_add: textItems,
  healthcheck,
  label_file: stringToList,
  labels: labelMap,
  models: namesToMap,
  networks: namesToMap,
  ports,
  post_start: eachItem(hook),
  pre_stop: eachItem(hook),
  secrets: eachItem(fileMount),
  sysctls: labelMap,
  tmpfs: stringToList,
  ulimits,
  volumes: eachItem(serviceVolume),
});

const service: Transform = (value, at) => (isRawMap(value) ? mapWith(value, at, SERVICE_RULES) : value);

// ------------------------------------------------------------------ top-level resources

/** Legacy `external: {name: x}` -> `external: true, name: x`. */
const resource: Transform = (value, at) => {
  if (!isRawMap(value)) return value;
  const out = mapWith(value, at, LABELS_RULES);
  const external = out.external;
  if (isRawMap(external)) {
    out.external = true;
    const legacyName = external.name;
    if (legacyName !== undefined) {
      if ("name" in out && out.name !== legacyName) {
        fail(child(at, value, "external"), "name and external.name conflict; only use name");
      }
      out.name = legacyName;
      copyChildPosition(out, "name", external, "name");
    }
  }
  return out;
};

const PROJECT_RULES = rules({
  services: eachValue(service),
  networks: eachValue(resource),
  volumes: eachValue(resource),
  secrets: eachValue(resource),
  configs: eachValue(resource),
  include: eachItem((item, at) => (typeof item === "string" ? fresh({ path: item }, at) : item)),
});

/**
 * One parsed, interpolated compose file with its short syntax rewritten to the long syntax.
 * The tree is rewritten in place (the result is `doc`, or a container in it): hand it a tree
 * nothing else holds, as the readers make.
 */
export function canonicalizeProject(doc: RawMap, file: string): RawMap {
  return mapWith(doc, { file, parent: doc, key: "", up: undefined }, PROJECT_RULES);
}
