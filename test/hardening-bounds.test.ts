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
