// The fast paths against what they stand in for (see `npm run bench`):
// - isIP (src/load/ip.ts) against node:net;
// - host paths (src/load/paths.ts), joined directly when that is all path.resolve would do, against
//   path.resolve;
// - durationSeconds (src/plan/durations.ts), a scan, against the regular expression it stands in for;
// - normalizeProjectName (src/load/projectName.ts), a scan, against the expressions it stands in for.
import { isIP as netIsIP } from "node:net";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isIP } from "../src/load/ip.ts";
import { resolveHostPath } from "../src/load/paths.ts";
import { normalizeProjectName } from "../src/load/projectName.ts";
import { durationSeconds } from "../src/plan/durations.ts";

/** A seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

test("isIP: node:net's answers", () => {
  const next = random(42);
  const alphabet = "0123456789abcdefABCDEFg:.%/ -";
  const samples = ["127.0.0.1", "::1", "::", "fe80::1%eth0", "1.2.3", "256.1.1.1", "::ffff:1.2.3.4", "2001:db8::", "01.2.3.4", "", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9"];
  for (let i = 0; i < 20000; i++) {
    let s = "";
    const n = Math.floor(next() * 24);
    for (let k = 0; k < n; k++) s += alphabet[Math.floor(next() * alphabet.length)];
    samples.push(s);
  }
  for (const s of samples) assert.is(isIP(s), netIsIP(s), JSON.stringify(s));
});

/** `count` seeded strings of up to `longest` pieces drawn from `pieces`, after the fixed `samples`. */
function seededStrings(seed: number, pieces: readonly string[], longest: number, count: number, samples: readonly string[]): string[] {
  const next = random(seed);
  const out = [...samples];
  for (let i = 0; i < count; i++) {
    let s = "";
    const n = Math.floor(next() * (longest + 1));
    for (let k = 0; k < n; k++) s += pieces[Math.floor(next() * pieces.length)];
    out.push(s);
  }
  return out;
}

test("host paths: path.resolve's answer, also where they are joined without it", () => {
  const bases = ["/", "/srv/app", "/srv/./app", "/srv/app/", "/a/../b", "/srv//x", "/x.y/.z", "/.."];
  const values = seededStrings(7, ["a", "b.c", "..", ".", "/", "./", "../", ".x", "x.", "d e", "..."], 8, 20000, [
    "config",
    "./config",
    "./",
    ".",
    "..",
    "/etc/app",
    "/etc/app/",
    "/etc/./app",
    "a//b",
    "./a/../b",
  ]);
  const at = () => [{}, "source", ["services", "web", "volumes", 0, "source"]] as [object, string, (string | number)[]];
  for (const baseDir of bases) {
    for (const value of values) {
      if (value === "" || value.startsWith("~")) continue;
      assert.is(resolveHostPath(value, { baseDir, home: "/home/u" }, at), path.resolve(baseDir, value), `${baseDir} + ${JSON.stringify(value)}`);
    }
  }
});

/** What durationSeconds stands in for: each `<amount><unit>` the expression finds, summed. */
function durationByExpression(duration: string): number {
  if (duration === "0") return 0;
  const UNIT: Record<string, number> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g)) total += Number(amount) * UNIT[unit!]!;
  return duration.startsWith("-") ? -total : total;
}

test("durations: the scan reads what the expression finds", () => {
  const samples = ["0", "30s", "1m30s", "1.5h", ".5s", "500ms", "10us", "3\u00b5s", "2\u03bcs", "-1m", "+2s", "1h2m3s4ms", "5.s", ".s", "1", "ms"];
  for (const d of seededStrings(11, ["0", "1", "9", ".", "s", "m", "h", "n", "u", "\u00b5", "\u03bc", "-", "+", " "], 10, 30000, samples)) {
    assert.is(durationSeconds(d), durationByExpression(d), JSON.stringify(d));
  }
});

test("project names from directories: the scan keeps what the expressions kept", () => {
  const samples = ["mealie", "My_App", "_-x", "--", "", "a b", "\u0130stanbul", "Stra\u00dfe", "\u212a", "caf\u00e9", "1-2_3", "-_a-"];
  for (const name of seededStrings(19, ["a", "Z", "0", "_", "-", " ", ".", "\u0130", "\u00e9", "\u212a", "\u00df", "!", "\u{1F600}"], 8, 20000, samples)) {
    const expected = name.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[^a-z0-9]+/, "");
    assert.is(normalizeProjectName(name), expected, JSON.stringify(name));
  }
});

test.run();
