// Conformance of `${VAR}` interpolation against the shared compose-go table, plus cases a
// user would notice (error wording, laziness, speed).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { interpolate, InterpolationError, type VariableLookup } from "../src/load/interpolate.ts";
import { hasShared, sharedPath, skipUnless } from "./support/shared.ts";
import { lookupFrom, thrown } from "./support/conformance.ts";

interface InterpolationCase {
  test: string;
  template: string;
  env: Record<string, string>;
  expected?: string;
  error?: boolean;
  error_contains?: string;
  error_kind?: "InvalidTemplateError" | "MissingRequiredError";
  note?: string;
}

/**
 * The part of compose-go's wording this implementation is held to. compose-go says
 * "Invalid template: ..." and we say "invalid template ...", so that check ignores case.
 * Some cases quote compose's outer wrapper, which names a YAML path this layer does not
 * know; only the inner message is checked there, and for the "invalid interpolation
 * format" wrapper only the error kind.
 */
function expectedFragment(c: InterpolationCase): { text: string; ignoreCase: boolean } | undefined {
  const wanted = c.error_contains;
  if (wanted === undefined || wanted.startsWith("invalid interpolation format")) return undefined;
  const inner = wanted.replace(/^error while interpolating [^:]+: /, "");
  return { text: inner, ignoreCase: c.error_kind === "InvalidTemplateError" };
}

function runCase(c: InterpolationCase): void {
  const lookup = lookupFrom(c.env);
  if (!c.error) {
    assert.is(interpolate(c.template, lookup), c.expected);
    return;
  }
  const err = thrown(() => interpolate(c.template, lookup));
  assert.ok(err instanceof InterpolationError, `expected an InterpolationError for ${JSON.stringify(c.template)}`);
  assert.is(err.kind, c.error_kind === "MissingRequiredError" ? "required" : "invalid");
  const fragment = expectedFragment(c);
  if (fragment === undefined) return;
  const message = fragment.ignoreCase ? err.message.toLowerCase() : err.message;
  const text = fragment.ignoreCase ? fragment.text.toLowerCase() : fragment.text;
  assert.ok(message.includes(text), `message ${JSON.stringify(err.message)} should contain ${JSON.stringify(fragment.text)}`);
}

if (skipUnless(hasShared, "interpolation conformance table", "../shared/conformance not found")) {
  test.skip("interpolation conformance table", () => {});
} else {
  const cases = JSON.parse(readFileSync(sharedPath("conformance", "interpolation-cases.json"), "utf8")) as InterpolationCase[];
  assert.ok(Array.isArray(cases) && cases.length > 0, "interpolation-cases.json holds a non-empty array");
  cases.forEach((c, i) => {
    test(`${c.test} #${i}: ${JSON.stringify(c.template)}`, () => runCase(c));
  });
}

// --- our own cases -------------------------------------------------------------------

const env = lookupFrom({ FOO: "first", EMPTY: "", JSON: '{"json":2}' });

test("required error names the variable and carries the user's message", () => {
  const err = thrown(() => interpolate("postgres://${DB_PASSWORD:?set it in .env}@db", env));
  assert.ok(err instanceof InterpolationError);
  assert.is(err.kind, "required");
  assert.is(err.variable, "DB_PASSWORD");
  assert.is(err.message, "required variable DB_PASSWORD is missing a value: set it in .env");
});

test("required error without a message", () => {
  const err = thrown(() => interpolate("${EMPTY:?}", env));
  assert.ok(err instanceof InterpolationError);
  assert.is(err.message, "required variable EMPTY is missing a value");
});

test("a required variable nested in a default names the inner variable", () => {
  const err = thrown(() => interpolate("${UNSET:-${ALSO_UNSET:?needed}}", env));
  assert.ok(err instanceof InterpolationError);
  assert.is(err.variable, "ALSO_UNSET");
});

test("invalid template message is one line, quotes the template and says how to escape", () => {
  const err = thrown(() => interpolate("line one\ncost: ${", env));
  assert.ok(err instanceof InterpolationError);
  assert.is(err.kind, "invalid");
  assert.not.ok(err.message.includes("\n"));
  assert.ok(err.message.startsWith('invalid template "line one\\ncost: ${"'), err.message);
  assert.ok(err.message.includes("$$"));
});

test("operators' arguments stop at the end of the line", () => {
  const err = thrown(() => interpolate("${UNSET:-a\nb}", env));
  assert.ok(err instanceof InterpolationError);
  assert.is(err.kind, "invalid");
});

test("$$ and lone $ stay literal; a missing variable becomes empty", () => {
  assert.is(interpolate("cost: $$5, $1, 100$, $FOO$", env), "cost: $5, $1, 100$, first$");
  assert.is(interpolate("[$NOPE]", env), "[]");
});

test("several references with operators on one line", () => {
  assert.is(interpolate("${UNSET:-x} and ${FOO:-y} and ${EMPTY-z}.", env), "x and first and .");
});

test("unused defaults, alternates and messages are never looked at", () => {
  const seen: string[] = [];
  const tracking: VariableLookup = (name) => {
    seen.push(name);
    return name === "SET" ? "v" : undefined;
  };
  assert.is(interpolate("${SET:-${A}}${SET?${B}}${UNSET:+${C}}${SET-${D:?boom}}", tracking), "vvv");
  assert.equal(seen, ["SET", "SET", "UNSET", "SET"]);
});

test("defaults keep compose's brace matching", () => {
  assert.is(interpolate('${UNSET:-{"a":{"b":1}}} tail', env), '{"a":{"b":1}} tail');
  // Unbalanced: compose-go takes everything up to the line's last `}`.
  assert.is(interpolate("${UNSET:-{a}", env), "{a");
});

test("strings without $ are returned as is", () => {
  const s = "no variables here";
  assert.is(interpolate(s, env), s);
});


test("long strings with many references interpolate quickly", () => {
  const template = "${UNSET:-x}-$FOO-".repeat(20000);
  const started = performance.now();
  const out = interpolate(template, env);
  const elapsed = performance.now() - started;
  assert.is(out, "x-first-".repeat(20000));
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
});

test.run();
