/**
 * Scans that answer what the model's regular expressions answer, for the checkers (z.ts) to test
 * strings with.
 *
 * Why: V8 compiles a regular expression at its first test, and again to machine code at its
 * second, 20–100 µs each for the expressions here. A conversion tests each a handful of times, so
 * the compiling was most of what validating strings cost (~0.2 ms of the mealie example's ~3 ms).
 * A scan is plain code, already in the bundle's code cache.
 *
 * The expressions stay the definition: zod (which checks whatever the checkers refuse, for its
 * messages) and `khepri schema` use them, and test/fast-paths.test.ts holds every scan to its
 * expression. Two kinds of scan:
 * - derived: an expression that is a run of character classes (`^[a-z0-9][a-z0-9_.-]*$`) is
 *   scanned with tables read from its own source (`classRun`), so nothing is written twice;
 * - written: the few others (durations, byte sizes, restart and pull policies) are registered
 *   beside their expression with `scanned`.
 */

export type Scan = (text: string) => boolean;

const written = new WeakMap<RegExp, Scan>();

/** `re`, with `scan` registered as answering what it answers. */
export function scanned(re: RegExp, scan: Scan): RegExp {
  written.set(re, scan);
  return re;
}

/** Scans derived so far: several schemas share an expression (the names of networks, volumes, ...). */
const derived = new WeakMap<RegExp, Scan | null>();

/** A scan that answers what `re.test` answers, or undefined when there is none. */
export function patternScan(re: RegExp): Scan | undefined {
  const scan = written.get(re);
  if (scan !== undefined) return scan;
  let run = derived.get(re);
  if (run === undefined) derived.set(re, (run = classRun(re) ?? null));
  return run ?? undefined;
}

// ---------------------------------------------------------------- derived: runs of classes

/**
 * A scan for `^[A]$`, `^[A]+$`, `^[A]*$`, `^[A][B]+$` or `^[A][B]*$` (no flags), where the
 * classes hold ASCII characters, ranges and escaped punctuation; undefined for anything else.
 */
export function classRun(re: RegExp): Scan | undefined {
  if (re.flags !== "") return undefined;
  const source = re.source;
  if (!source.startsWith("^") || !source.endsWith("$")) return undefined;
  const head = readClass(source, 1);
  if (!head) return undefined;
  let at = head.end;
  const first = head.members;
  let rest: Uint8Array | undefined;
  let min = 1;
  const quantifier = source[at];
  if (quantifier === "+" || quantifier === "*") {
    // ^[A]+$ / ^[A]*$: every character from A
    rest = first;
    if (quantifier === "*") min = 0;
    at++;
  } else if (source[at] === "[") {
    const tail = readClass(source, at);
    if (!tail) return undefined;
    rest = tail.members;
    at = tail.end;
    if (source[at] === "+") min = 2;
    else if (source[at] !== "*") return undefined;
    at++;
  }
  if (at !== source.length - 1) return undefined;
  if (rest === undefined) return (text) => text.length === 1 && inClass(first, text.charCodeAt(0));
  const others = rest;
  return (text) => {
    if (text.length < min) return false;
    if (text.length > 0 && !inClass(first, text.charCodeAt(0))) return false;
    for (let i = 1; i < text.length; i++) if (!inClass(others, text.charCodeAt(i))) return false;
    return true;
  };
}

const inClass = (members: Uint8Array, c: number) => c < 128 && members[c] === 1;

/** The ASCII class starting at `source[start]` (`[`): its members, and where it ends; undefined if unsupported. */
function readClass(source: string, start: number): { members: Uint8Array; end: number } | undefined {
  if (source[start] !== "[" || source[start + 1] === "^") return undefined;
  const members = new Uint8Array(128);
  let i = start + 1;
  while (i < source.length && source[i] !== "]") {
    const low = classChar(source, i);
    if (!low) return undefined;
    i = low.next;
    // a range, unless the `-` is the class's last character (a literal `-`)
    if (source[i] === "-" && source[i + 1] !== "]" && i + 1 < source.length) {
      const high = classChar(source, i + 1);
      if (!high || high.code < low.code) return undefined;
      for (let c = low.code; c <= high.code; c++) members[c] = 1;
      i = high.next;
    } else members[low.code] = 1;
  }
  if (source[i] !== "]" || i === start + 1) return undefined;
  return { members, end: i + 1 };
}

/** One class character at `source[i]`: a plain ASCII character, or an escaped punctuation mark. */
function classChar(source: string, i: number): { code: number; next: number } | undefined {
  let c = source.charCodeAt(i);
  let next = i + 1;
  if (c === 0x5c /* \ */) {
    c = source.charCodeAt(i + 1);
    next = i + 2;
    // `\d`, `\w`, `\n`, `\x41`, ... are classes or codes of their own: not read here
    if (!isPunctuation(c)) return undefined;
  }
  return c >= 0x20 && c < 0x7f ? { code: c, next } : undefined;
}

const isPunctuation = (c: number) => (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);

// ---------------------------------------------------------------- written scans

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** The end of the run of digits from `i`. */
function digitsFrom(text: string, i: number): number {
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i;
}

/** What JavaScript's `\s` matches: white space and line terminators. */
function isJsSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Go's duration units and their length in seconds, the two-letter ones first (as a scan must try them). */
export const DURATION_UNIT_SECONDS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const DURATION_UNITS = Object.keys(DURATION_UNIT_SECONDS);

/** `^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$`: Go's time.ParseDuration. */
export function isGoDuration(text: string): boolean {
  let i = text.startsWith("-") || text.startsWith("+") ? 1 : 0;
  if (text.length === i + 1 && text[i] === "0") return true;
  if (i === text.length) return false;
  while (i < text.length) {
    const start = i;
    i = digitsFrom(text, i);
    if (text[i] === ".") i = digitsFrom(text, i + 1);
    // an amount is digits, with a fraction or not, or a fraction alone (not a lone ".")
    if (i === start || (i === start + 1 && text[start] === ".")) return false;
    // (a unit is never followed by a digit-less amount, so the first unit that fits is the one)
    const unit = durationUnitAt(text, i);
    if (unit === undefined) return false;
    i += unit.length;
  }
  return true;
}

/** The duration unit `text` has at `i`, if any. (A loop: `find` would make a callback per amount.) */
function durationUnitAt(text: string, i: number): string | undefined {
  for (let u = 0; u < DURATION_UNITS.length; u++) if (text.startsWith(DURATION_UNITS[u]!, i)) return DURATION_UNITS[u];
  return undefined;
}

/** `^\s*-?(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?\s*$`: docker/go-units RAMInBytes. */
export function isByteSize(text: string): boolean {
  let i = 0;
  while (i < text.length && isJsSpace(text.charCodeAt(i))) i++;
  if (text[i] === "-") i++;
  const start = i;
  i = digitsFrom(text, i);
  if (i === start) return false;
  while (text[i] === "." && isDigit(text.charCodeAt(i + 1))) i = digitsFrom(text, i + 1);
  if (text[i] === " ") i++;
  if (i < text.length && "kKmMgGtTpP".includes(text[i]!)) i++;
  if (text[i] === "i" || text[i] === "I") i++;
  if (text[i] === "b" || text[i] === "B") i++;
  while (i < text.length && isJsSpace(text.charCodeAt(i))) i++;
  return i === text.length;
}

/** `^(no|always|unless-stopped|on-failure(:\d+)?)$`. */
export function isRestartPolicy(text: string): boolean {
  if (text === "no" || text === "always" || text === "unless-stopped" || text === "on-failure") return true;
  return text.startsWith("on-failure:") && text.length > 11 && digitsFrom(text, 11) === text.length;
}

const PULL_POLICIES = new Set(["always", "never", "build", "if_not_present", "missing", "refresh", "daily", "weekly"]);

/** `^(always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+)$`. */
export function isPullPolicy(text: string): boolean {
  if (PULL_POLICIES.has(text)) return true;
  if (!text.startsWith("every_") || text.length === 6) return false;
  for (let i = 6; i < text.length; ) {
    const end = digitsFrom(text, i);
    if (end === i || !"wdhms".includes(text[end] ?? "-")) return false;
    i = end + 1;
  }
  return true;
}
