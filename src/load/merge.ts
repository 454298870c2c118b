/**
 * Merging canonical compose trees: `-f a.yaml -f b.yaml`, `extends` and
 * `include`, with compose-go's `override` rules. Both sides are already in the
 * long syntax (src/load/canonical.ts), so list-or-map fields are maps here and
 * merge by key.
 *
 * The rules, by key path: maps merge key by key, lists append, scalars are
 * replaced, and an override of null keeps what was there — except where a rule
 * below says otherwise (command/entrypoint/healthcheck.test are replaced, the
 * set-like lists drop repeats by their key, logging options only merge when the
 * driver is the same, …). `!reset` removes a key, `!override` replaces it
 * without merging. Merged containers carry the positions of the values they
 * came from.
 */
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";
import {
  OverrideTag,
  ResetTag,
  copyChildPosition,
  copyMap,
  copySelfPosition,
  isRawList,
  isRawMap,
  positionOf,
  type RawList,
  type RawMap,
  type RawValue,
} from "./raw.ts";

type Path = readonly string[];
/** How one key path merges; `undefined` removes the key. */
type Merger = (base: RawValue, override: RawValue, at: Where) => RawValue | undefined;

interface Where {
  path: Path;
  /** Where the override value is, for errors. */
  pos: SourcePos | undefined;
}

// ------------------------------------------------------------------ tags

/**
 * Tag-free: `!reset` values and items are dropped, `!override` values unwrapped.
 * Containers with tags inside are copied; a subtree without any is returned as
 * it is (most files have no tags, and copying every container cost more than the
 * rest of the merge).
 */
export function resolveTags<T extends RawValue>(value: T): T;
export function resolveTags(value: RawValue): RawValue {
  if (value instanceof OverrideTag) return resolveTags(value.value);
  if (!isContainer(value) || !hasTags(value)) return value;
  if (isRawList(value)) {
    const out: RawList = [];
    copySelfPosition(out, value);
    value.forEach((item, i) => {
      if (item instanceof ResetTag) return;
      copyChildPosition(out, out.length, value, i);
      out.push(resolveTags(item));
    });
    return out;
  }
  if (isRawMap(value)) {
    const out: RawMap = {};
    copySelfPosition(out, value);
    for (const [key, v] of Object.entries(value)) {
      if (v instanceof ResetTag) continue;
      out[key] = resolveTags(v);
      copyChildPosition(out, key, value, key);
    }
    return out;
  }
  return value;
}

/** Whether a container (a map, list or tag) holds a tag. Scalars are skipped by the caller: no call for each. */
function hasTags(value: object): boolean {
  if (value instanceof ResetTag || value instanceof OverrideTag) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: RawValue = value[i];
      if (isContainer(item) && hasTags(item)) return true;
    }
    return false;
  }
  for (const key in value) {
    const item = (value as RawMap)[key];
    if (isContainer(item) && hasTags(item)) return true;
  }
  return false;
}

const isContainer = (value: RawValue | undefined): value is object => typeof value === "object" && value !== null;

// ------------------------------------------------------------------ generic merge

const kind = (v: RawValue) => (isRawList(v) ? "a list" : isRawMap(v) ? "a map" : v === null ? "null" : `a ${typeof v}`);

function mismatch(base: RawValue, override: RawValue, at: Where): never {
  throw new KhepriError(`cannot merge ${kind(override)} over ${kind(base)}`, at.pos, [...at.path]);
}

/** Merges one value over another; `base` is tag-free, `override` may hold tags. */
function mergeValue(base: RawValue | undefined, override: RawValue, at: Where): RawValue | undefined {
  if (override instanceof ResetTag) return undefined;
  if (override instanceof OverrideTag) return resolveTags(override.value);
  if (base === undefined) return resolveTags(override);
  const rule = ruleFor(at.path);
  if (rule === replace) return resolveTags(override);
  if (override === null) return base;
  if (rule) return rule(base, override, at);
  if (isRawMap(base)) return isRawMap(override) ? mergeMaps(base, override, at) : mismatch(base, override, at);
  if (isRawList(base)) return isRawList(override) ? appendLists(base, override) : mismatch(base, override, at);
  return resolveTags(override);
}

/** Key by key; keys only in the override are added, `!reset` keys removed. */
function mergeMaps(base: RawMap, override: RawMap, at: Where): RawMap {
  const out = copyMap(base);
  for (const [key, value] of Object.entries(override)) {
    const merged = mergeValue(out[key], value, { path: [...at.path, key], pos: positionOf(override, key) });
    if (merged === undefined) {
      delete out[key];
      continue;
    }
    out[key] = merged;
    if (value !== null) copyChildPosition(out, key, override, key);
  }
  return out;
}

function appendLists(base: RawList, override: RawList): RawList {
  const extra = resolveTags(override);
  const out: RawList = [];
  copySelfPosition(out, base);
  base.forEach((item, i) => {
    copyChildPosition(out, out.length, base, i);
    out.push(item);
  });
  extra.forEach((item, i) => {
    copyChildPosition(out, out.length, extra, i);
    out.push(item);
  });
  return out;
}

// ------------------------------------------------------------------ rules

/** The override replaces the base outright, null included. */
const replace: Merger = (_base, override) => resolveTags(override);

/**
 * Append, then keep one item per key: a later item takes the place of the
 * earlier one with the same key (compose-go's EnforceUnicity).
 */
function appendUnique(keyOf: (item: RawValue) => string | undefined): Merger {
  return (base, override, at) => {
    if (!isRawList(base) || !isRawList(override)) return mismatch(base, override, at);
    const all = appendLists(base, override);
    const out: RawList = [];
    copySelfPosition(out, all);
    const seen = new Map<string, number>();
    all.forEach((item, i) => {
      const key = keyOf(item);
      const earlier = key === undefined ? undefined : seen.get(key);
      const slot = earlier ?? out.length;
      if (key !== undefined && earlier === undefined) seen.set(key, slot);
      out[slot] = item;
      copyChildPosition(out, slot, all, i);
    });
    return out;
  };
}

const str = (v: RawValue | undefined) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);

/** `KEY=value` items are the same item when their KEY is. */
const byKey = appendUnique((item) => (typeof item === "string" ? item.split("=", 1)[0] : undefined));
const byText = appendUnique(str);
const byField = (field: string, fallback: (m: RawMap) => string | undefined = () => undefined) =>
  appendUnique((item) => (isRawMap(item) ? (str(item[field]) ?? fallback(item)) : str(item)));

const portKey = (item: RawValue) =>
  isRawMap(item)
    ? `${str(item.host_ip) ?? "0.0.0.0"}:${str(item.published) ?? ""}:${str(item.target)}/${str(item.protocol) ?? "tcp"}`
    : str(item);

const mountKey = (dir: string) => (m: RawMap) => `${dir}/${str(m.source)}`;

/** Maps where an override of null is a value too (environment: null means unset). */
const replaceEntries: Merger = (base, override, at) => {
  if (!isRawMap(base) || !isRawMap(override)) return mismatch(base, override, at);
  const out = copyMap(base);
  for (const [key, value] of Object.entries(override)) {
    if (value instanceof ResetTag) {
      delete out[key];
      continue;
    }
    // a re-set key moves to the end, as compose-go's list-based merge orders it
    delete out[key];
    out[key] = resolveTags(value);
    copyChildPosition(out, key, override, key);
  }
  return out;
};

/** extra_hosts: per host, the override's addresses not already listed are added. */
const mergeHosts: Merger = (base, override, at) => {
  if (!isRawMap(base) || !isRawMap(override)) return mismatch(base, override, at);
  const out = mergeMaps(base, {}, at);
  for (const [host, value] of Object.entries(override)) {
    if (value instanceof ResetTag) {
      delete out[host];
      continue;
    }
    const ips = resolveTags(value);
    const had = out[host];
    if (isRawList(had) && isRawList(ips)) {
      out[host] = appendLists(had, ips.filter((ip) => !had.includes(ip)));
    } else {
      out[host] = ips;
      copyChildPosition(out, host, override, host);
    }
  }
  return out;
};

/** logging: options merge only when both sides name the same driver (or one names none). */
const mergeLogging: Merger = (base, override, at) => {
  if (!isRawMap(base) || !isRawMap(override)) return mismatch(base, override, at);
  const driverChanged = "driver" in base && "driver" in override && base.driver !== override.driver;
  return driverChanged ? resolveTags(override) : mergeMaps(base, override, at);
};

/**
 * ipam.config: entries with the same subnet merge, others are added.
 * (compose-go's version of this drops base entries no override matches; we keep them.)
 */
const mergeIpamConfig: Merger = (base, override, at) => {
  if (!isRawList(base) || !isRawList(override)) return mismatch(base, override, at);
  const out = appendLists(base, []);
  resolveTags(override).forEach((entry, i) => {
    const subnet = isRawMap(entry) ? entry.subnet : undefined;
    const slot = out.findIndex((e) => isRawMap(e) && e.subnet === subnet);
    const here = out.length;
    if (slot >= 0 && isRawMap(entry)) out[slot] = mergeMaps(out[slot] as RawMap, entry, { path: [...at.path, String(i)], pos: positionOf(override, i) });
    else {
      out.push(entry);
      copyChildPosition(out, here, override, i);
    }
  });
  return out;
};

const RULES: [string, Merger][] = [
  ["services.*.command", replace],
  ["services.*.entrypoint", replace],
  ["services.*.healthcheck.test", replace],
  ["services.*.ulimits.*", replace],
  ["services.*.build.ulimits.*", replace],
  ["services.*.logging", mergeLogging],
  ["services.*.environment", replaceEntries],
  ["services.*.labels", replaceEntries],
  ["services.*.annotations", replaceEntries],
  ["services.*.sysctls", replaceEntries],
  ["services.*.build.args", replaceEntries],
  ["services.*.build.labels", replaceEntries],
  ["services.*.build.additional_contexts", replaceEntries],
  ["services.*.build.ssh", replaceEntries],
  ["services.*.deploy.labels", replaceEntries],
  ["networks.*.labels", replaceEntries],
  ["volumes.*.labels", replaceEntries],
  ["services.*.extra_hosts", mergeHosts],
  ["services.*.build.extra_hosts", mergeHosts],
  ["services.*.cap_add", byKey],
  ["services.*.cap_drop", byKey],
  ["services.*.dns", byKey],
  ["services.*.dns_opt", byKey],
  ["services.*.dns_search", byKey],
  ["services.*.links", byKey],
  ["services.*.profiles", byKey],
  ["services.*.tmpfs", byKey],
  ["services.*.build.tags", byKey],
  ["services.*.build.platform", byKey],
  ["services.*.networks.*.aliases", byKey],
  ["services.*.networks.*.link_local_ips", byKey],
  ["services.*.expose", byText],
  ["services.*.env_file", byField("path")],
  ["services.*.ports", appendUnique(portKey)],
  ["services.*.volumes", byField("target")],
  ["services.*.devices", byField("target", (m) => str(m.source))],
  ["services.*.secrets", byField("target", mountKey("/run/secrets"))],
  ["services.*.configs", byField("target", mountKey(""))],
  ["networks.*.ipam.config", mergeIpamConfig],
  // compose-go appends these today; its (commented-out) test and the table we follow say replace
  ["models.*.runtime_flags", replace],
];

const RULE_PATHS = RULES.map(([pattern, merger]) => [pattern.split("."), merger] as const);

function ruleFor(path: Path): Merger | undefined {
  for (const [pattern, merger] of RULE_PATHS) {
    if (pattern.length === path.length && pattern.every((p, i) => p === "*" || p === path[i])) return merger;
  }
  return undefined;
}

// ------------------------------------------------------------------ entry points

/** `-f base -f override`: the override file's tree merged over the base's. The result holds no tags. */
export function mergeProjects(base: RawMap, override: RawMap): RawMap {
  return mergeMaps(resolveTags(base), override, { path: [], pos: positionOf(override) });
}

/** One service definition merged over another (`extends`), with the same rules. */
export function mergeService(base: RawMap, override: RawMap): RawMap {
  return mergeMaps(resolveTags(base), override, { path: ["services", "x"], pos: positionOf(override) });
}
