// Bounds on the work one input can cause (issue 14 "Unbounded work", issue 13 items 13-16): each
// hostile input gets one located error (exit 1) within a time limit, never an internal error.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCli, STACK_FRAME } from "./support/convert.ts";

const root = mkdtempSync(path.join(tmpdir(), "khepri-bounds-"));
test.after(() => rmSync(root, { recursive: true, force: true }));

const nested = (depth: number, inner = "x") => "${A:-".repeat(depth) + inner + "}".repeat(depth);

/** [name, files of the case (compose.yaml first), arguments, the error line expected, time limit in ms]. */
const cases: [string, Record<string, string>, string[], RegExp, number][] = [
  ["interpolation nested 100,000 deep in a compose value", { "compose.yaml": `services:\n  web:\n    image: "${nested(100_000)}"\n` }, [], /^error: compose\.yaml:3:12: services\.web\.image: "\$\{" is nested more than 32 deep in this value$/, 5000],
  ["interpolation nested 100,000 deep in .env", { "compose.yaml": 'services:\n  web:\n    image: "nginx:${A}"\n', ".env": `A=${nested(100_000)}\n` }, [], /^error: \.env:1:1: "\$\{" is nested more than 32 deep in this value$/, 5000],
  // issue 13 item 13: the JSON spec's NUL reached the printer as an internal error
  ["a NUL in a JSON spec string", { "spec.json": '{"compositions":{"app":{"services":{"web":{"image":"nginx","environment":{"A":"x\\u0000y"}}}}}}' }, ["--spec", "spec.json"], /^error: spec\.json:1:79: compositions\.app\.services\.web\.environment\.A: a NUL character cannot be written into a NixOS module/, 2000],
  ["a NUL in a JSON spec key", { "spec.json": '{"compositions":{"app":{"services":{"web":{"image":"nginx","labels":{"a\\u0000":"y"}}}}}}' }, ["--spec", "spec.json"], /^error: spec\.json:1:70: compositions\.app\.services\.web\.labels\["a\\u0000"\]: a NUL character/, 2000],
  ["a NUL in a YAML escape", { "compose.yaml": 'services:\n  web:\n    image: nginx\n    command: ["a", "b\\0"]\n' }, [], /^error: compose\.yaml:4:20: services\.web\.command\[1\]: a NUL character/, 2000],
  ["a NUL in an env file", { "compose.yaml": "services:\n  web:\n    image: nginx:${A}\n", ".env": "B=1\nA=x\0y\n" }, [], /^error: \.env:2:4: a NUL character/, 2000],
  // found by test/fuzz.test.ts: a spec's null resource section had no place
  ["a spec's \"configs\": null", { "spec.json": '{"compositions":{"app":{"services":{"web":{"image":"nginx"}},"configs":null}}}' }, ["--spec", "spec.json"], /^error: spec\.json:1:24: compositions\.app\.configs: expected a mapping, got null$/, 2000],
  // issue 13 item 14: the readers recursed until "Maximum call stack size exceeded"
  ["a flow sequence 10,000 deep", { "compose.yaml": `services:\n  web:\n    image: nginx\n    command: ${"[".repeat(10_000)}a${"]".repeat(10_000)}\n` }, [], /^error: compose\.yaml:4:111: YAML nested more than 100 deep/, 20_000],
  ["a block mapping 3,000 deep", { "compose.yaml": `x-deep:\n${Array.from({ length: 3000 }, (_, i) => "  ".repeat(i + 1) + "k:\n").join("")}services:\n  web:\n    image: nginx\n` }, [], /^error: compose\.yaml:\d+:\d+: YAML nested more than 100 deep/, 20_000],
  ["a JSON spec nested 10,000 deep", { "spec.json": `{"compositions": {"app": {"x-deep": ${"[".repeat(10_000)}1${"]".repeat(10_000)}}}}` }, ["--spec", "spec.json"], /^error: spec\.json:1:\d+: YAML nested more than 100 deep/, 20_000],
  // issue 13 item 15, issue 14: a 100 KB anchored string referenced 5,000 times made a 500 MB module
  ["one long anchored string referenced 5,000 times", { "compose.yaml": `x-a: &big "${"a".repeat(100_000)}"\nservices:\n  web:\n    image: nginx\n    command: [${Array(5000).fill("*big").join(", ")}]\n` }, [], /^error: compose\.yaml:5:\d+: services\.web\.command\[\d+\]: the YAML document expands to more than 32 MiB through the alias \*big/, 20_000],
  ["nested aliases (a billion laughs)", { "compose.yaml": `x-0: &l0 "${"lol".repeat(1000)}"\n${Array.from({ length: 8 }, (_, i) => `x-${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(", ")}]\n`).join("")}services:\n  web:\n    image: nginx\n` }, [], /^error: compose\.yaml:\d+:\d+: x-\d+(\[\d+\])+: the YAML document expands to more than 32 MiB through the alias \*l\d/, 20_000],
  // issue 14: other ways one long value is repeated; the module is bounded where it is printed
  ["a 1 MB variable interpolated 5,000 times", { "compose.yaml": `services:\n  web:\n    image: nginx\n    command: [${Array(5000).fill('"${A}"').join(", ")}]\n`, ".env": `A=${"a".repeat(1_000_000)}\n` }, [], /^error: compose\.yaml:4:\d+: services\.web\.command\[\d+\]: interpolation makes this file more than 32 MiB longer, here through the variable A \(1000000 characters\)$/, 20_000],
  ["a 40 KB variable in 5,000 shell-form commands", { "compose.yaml": `services:\n${Array.from({ length: 5000 }, (_, i) => `  s${i}:\n    image: nginx\n    command: "run \${A}"\n`).join("")}`, ".env": `A=${"a ".repeat(20_000)}\n` }, [], /^error: compose\.yaml:\d+:\d+: services\.s\d+\.command: interpolation makes this file more than 32 MiB longer, here through the variable A/, 20_000],
  ["extends making a module of more than 64 MiB, written as JSON", { "compose.yaml": `services:\n  base:\n    image: nginx\n    command: ["${"a".repeat(100_000)}"]\n${Array.from({ length: 700 }, (_, i) => `  s${i}:\n    extends: base\n`).join("")}` }, ["--format", "json"], /^error: the generated module would be larger than 64 MiB/, 30_000],
  ["5,000 services extending one with a 100 KB command", { "compose.yaml": `services:\n  base:\n    image: nginx\n    command: ["${"a".repeat(100_000)}"]\n${Array.from({ length: 5000 }, (_, i) => `  s${i}:\n    extends: base\n`).join("")}` }, [], /^error: the generated module would be larger than 64 MiB/, 30_000],
  ["include nested 2,000 files deep", Object.fromEntries([["compose.yaml", "include: [inc1.yaml]\nservices:\n  web:\n    image: nginx\n"], ...Array.from({ length: 2000 }, (_, i) => [`inc${i + 1}.yaml`, i + 1 < 2000 ? `include: [inc${i + 2}.yaml]\n` : "services:\n  last:\n    image: nginx\n"])]), [], /^error: inc\d+\.yaml:1:\d+: include\[0\]: include nested more than 64 files deep$/, 20_000],
  ["nested aliases of short values (a billion laughs counted in values)", { "compose.yaml": `x-0: &l0 [a, a, a, a, a, a, a, a, a]\n${Array.from({ length: 9 }, (_, i) => `x-${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(", ")}]\n`).join("")}services:\n  web:\n    image: nginx\n` }, [], /^error: compose\.yaml:\d+:\d+: x-\d+(\[\d+\])+: the YAML document expands to more than 1000000 values through the alias \*l\d/, 20_000],
  // issue 13 item 16: the error had no place
  ["a !!pairs value", { "compose.yaml": "services:\n  web:\n    image: nginx\n    container_name: !!pairs [a: 1]\n" }, [], /^error: compose\.yaml:4:29: services\.web\.container_name: !!pairs \(key: value pairs in a sequence\) is not supported: write a mapping$/, 5000],
  ["a !!omap value", { "compose.yaml": "services:\n  web:\n    image: nginx\n    labels: !!omap\n      - a: 1\n" }, [], /^error: compose\.yaml:5:7: services\.web\.labels: !!omap \(key: value pairs in a sequence\) is not supported/, 5000],
];

for (const [name, files, args, expected, limit] of cases) {
  test(`${name}: a located error within ${limit} ms`, () => {
    const dir = mkdtempSync(path.join(root, "case-"));
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    const started = Date.now();
    const r = runCli(["convert", "-q", ...args, "-o", "out.nix"], { cwd: dir });
    const took = Date.now() - started;
    assert.is(r.code, 1, r.stderr.slice(0, 500));
    assert.not.match(r.stderr, STACK_FRAME);
    assert.match(r.stderr.trimEnd(), expected);
    assert.ok(took < limit, `took ${took} ms`);
  });
}

test("interpolation nested 32 deep still works (compose sets no bound; real files nest two or three)", () => {
  const dir = mkdtempSync(path.join(root, "case-"));
  writeFileSync(path.join(dir, "compose.yaml"), `services:\n  web:\n    image: "${nested(32, "nginx")}"\n`);
  const r = runCli(["convert", "-q", "-o", "-"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /image = "nginx";/);
});

// issue 14: 20,000 anchors without an alias took 28 s (the yaml package's duplicate-key check
// compared each key with every earlier one of its mapping)
test("20,000 anchors without an alias convert in linear time", () => {
  const dir = mkdtempSync(path.join(root, "case-"));
  const anchors = Array.from({ length: 20_000 }, (_, i) => `  k${i}: &a${i} v\n`).join("");
  writeFileSync(path.join(dir, "compose.yaml"), `x-anchors:\n${anchors}services:\n  web:\n    image: nginx\n`);
  const started = Date.now();
  const r = runCli(["convert", "-q", "-o", "-"], { cwd: dir });
  const took = Date.now() - started;
  assert.is(r.code, 0, r.stderr);
  assert.ok(took < 10_000, `took ${took} ms`);
});

test("YAML nested 90 deep still converts", () => {
  const dir = mkdtempSync(path.join(root, "case-"));
  writeFileSync(path.join(dir, "compose.yaml"), `x-deep: ${"[".repeat(90)}1${"]".repeat(90)}\nservices:\n  web:\n    image: nginx\n    labels: &l {a: "1"}\n`);
  const r = runCli(["convert", "-q", "-o", "-"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
});

test.run();
