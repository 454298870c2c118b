// Conformance of .env parsing against the shared compose-go table, plus cases a user
// would notice (line numbers, order, CRLF, inherited keys).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DotenvError, parseDotenv } from "../src/load/dotenv.ts";
import { InterpolationError } from "../src/load/interpolate.ts";
import { hasShared, sharedPath, skipUnless } from "./support/shared.ts";
import { lookupFrom, thrown } from "./support/conformance.ts";

interface DotenvCase {
  test: string;
  input: string;
  fixture?: string;
  lookup_env?: Record<string, string>;
  expected?: Record<string, string>;
  expected_subset?: Record<string, string>;
  error?: boolean;
  error_contains?: string;
  note_read_semantics?: string;
}

/**
 * Cases marked `note_read_semantics` give the result of compose-go's dotenv.Read, which
 * drops keys starting with a digit after parsing. parseDotenv mirrors the parse that
 * compose itself uses for .env and env_file (which keeps them), so the test applies Read's
 * filter on top.
 */
function asRead(parsed: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => !/^\s*\d/.test(key)));
}

/** Fixture cases are run on the fixture file's own bytes (BOM included). */
function caseText(c: DotenvCase): string {
  if (c.fixture === undefined) return c.input;
  return readFileSync(sharedPath("conformance", "dotenv-fixtures", path.basename(c.fixture)), "utf8");
}

function runCase(c: DotenvCase): void {
  const text = caseText(c);
  const lookup = c.lookup_env === undefined ? undefined : lookupFrom(c.lookup_env);
  if (c.error) {
    const err = thrown(() => parseDotenv(text, lookup));
    assert.ok(err instanceof DotenvError, `expected a DotenvError for ${JSON.stringify(text)}`);
    if (c.error_contains !== undefined) {
      assert.ok(err.message.includes(c.error_contains), `message ${JSON.stringify(err.message)} should contain ${JSON.stringify(c.error_contains)}`);
    }
    return;
  }
  let result = parseDotenv(text, lookup);
  if (c.note_read_semantics !== undefined) result = asRead(result);
  if (c.expected !== undefined) assert.equal(result, c.expected);
  for (const [key, value] of Object.entries(c.expected_subset ?? {})) {
    assert.ok(Object.hasOwn(result, key), `missing key ${JSON.stringify(key)} in ${JSON.stringify(result)}`);
    assert.is(result[key], value, `value of ${JSON.stringify(key)}`);
  }
}

if (skipUnless(hasShared, "dotenv conformance table", "../shared/conformance not found")) {
  test.skip("dotenv conformance table", () => {});
} else {
  const cases = JSON.parse(readFileSync(sharedPath("conformance", "dotenv-cases.json"), "utf8")) as DotenvCase[];
  assert.ok(Array.isArray(cases) && cases.length > 0, "dotenv-cases.json holds a non-empty array");
  cases.forEach((c, i) => {
    test(`${c.test} #${i}: ${JSON.stringify(c.input.length > 40 ? c.input.slice(0, 40) + "…" : c.input)}`, () => runCase(c));
  });
}

// --- our own cases -------------------------------------------------------------------

test("keys come back in file order; a repeated key keeps its first position, last value", () => {
  const parsed = parseDotenv("Z=1\nA=2\nM=3\nZ=4\n");
  assert.equal(Object.keys(parsed), ["Z", "A", "M"]);
  assert.is(parsed.Z, "4");
});

test("errors give the real line number", () => {
  const err = thrown(() => parseDotenv("# header\nA=1\n\nB='oops\nC=3\n"));
  assert.ok(err instanceof DotenvError);
  assert.is(err.line, 4);
  assert.ok(err.message.startsWith("line 4: unterminated quoted value"), err.message);
});

test("a required variable in a value is a DotenvError naming line and variable", () => {
  const err = thrown(() => parseDotenv("A=1\nPASSWORD=${DB_PASSWORD:?set it}\n"));
  assert.ok(err instanceof DotenvError);
  assert.is(err.line, 2);
  assert.is(err.message, "line 2: required variable DB_PASSWORD is missing a value: set it");
  assert.ok(err.cause instanceof InterpolationError);
});

test("CRLF line endings", () => {
  assert.equal(parseDotenv("A=1\r\nB=\"two\"\r\n# c\r\nC\r\n", lookupFrom({ C: "3" })), { A: "1", B: "two", C: "3" });
});

test("bare KEY on the last line without a newline inherits like any bare KEY", () => {
  assert.equal(parseDotenv("A=1\nB", lookupFrom({ B: "from env" })), { A: "1", B: "from env" });
  assert.equal(parseDotenv("A=1\nB"), { A: "1" });
});

test("keys starting with a digit are kept (compose's env_file behaviour)", () => {
  assert.equal(parseDotenv("456=x\n"), { "456": "x" });
});

test("lookup wins when expanding, the file's own value stays", () => {
  assert.equal(parseDotenv("A=file\nB=$A\n", lookupFrom({ A: "env" })), { A: "file", B: "env" });
});

test("literal dollars: \\$ in double quotes, $$ anywhere, anything in single quotes", () => {
  assert.equal(parseDotenv("A=\"\\$HOME\"\nB=$$HOME\nC='$HOME'\n", lookupFrom({ HOME: "/root" })), {
    A: "$HOME",
    B: "$HOME",
    C: "$HOME",
  });
});

test("escaped backslash before the closing quote", () => {
  assert.equal(parseDotenv('A="C:\\\\"\nB=2'), { A: "C:\\", B: "2" });
});

test("a key named __proto__ is stored as a plain key", () => {
  const parsed = parseDotenv("__proto__=x\n");
  assert.ok(Object.hasOwn(parsed, "__proto__"));
  assert.is(parsed["__proto__"], "x");
  assert.is(Object.getPrototypeOf(parsed), Object.prototype);
});

test("URL fragments and hashes without a space before them are not comments", () => {
  assert.equal(parseDotenv("URL=http://x/#frag # comment\n"), { URL: "http://x/#frag" });
});

test.run();
