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

test.run();
