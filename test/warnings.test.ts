// What khepri says besides errors (issue 13 items 7 and 11; issue 14 on messages): unset
// variables in docker compose's words, one warning per cause, notes for what compose itself
// ignores, and every message on one escaped, clipped line. Each fixture directory under
// test/fixtures/warnings is one reproducer; its case.json says what stderr must show.
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeTempDir, removeDir, runCli } from "./support/convert.ts";
import { checkMessages, messageCaseDirs, runMessageCase } from "./support/messageCases.ts";

for (const { name, dir, case: c } of messageCaseDirs(path.resolve("test/fixtures/warnings"))) {
  test(`${name}: ${c.about}`, () => checkMessages(runMessageCase(dir, c), c));
}

// Values too big for a fixture: a message quotes a short excerpt and stays one short line.
const huge = "x".repeat(1_000_000);
const generated: { about: string; compose: string; env?: Record<string, string>; lines: string[] }[] = [
  { about: "a 1 MB project name", compose: `name: "${huge.toUpperCase()}"\nservices: {web: {image: nginx}}\n`, lines: ["^error: compose\\.yaml:1:\\d+: name: project name "] },
  { about: "a 1 MB port", compose: `services: {web: {image: nginx, ports: ["${huge}:80"]}}\n`, lines: ["^error: compose\\.yaml:1:\\d+: services\\.web\\.ports\\[0\\]: \"x{59}…\\(999945 characters left out\\) is not a port$"] },
  { about: "a 1 MB secret value in a bad port", compose: `services: {web: {image: nginx, ports: ["\${BIG_TOKEN}:80"]}}\n`, env: { BIG_TOKEN: "CNRY".repeat(250_000) }, lines: ["is not a port"] },
];
for (const g of generated) {
  test(`issue 14: ${g.about} gives one clipped line`, () => {
    const dir = makeTempDir();
    try {
      writeFileSync(path.join(dir, "compose.yaml"), g.compose);
      checkMessages(runCli(["convert", "-o", "-"], { cwd: dir, env: g.env ?? {} }), { about: g.about, exit: 1, lines: g.lines, counts: [["^error:", 1]] });
    } finally {
      removeDir(dir);
    }
  });
}

// The README's example stacks convert without a single warning (issue 13 item 11), with either runtime.
for (const example of readdirSync("examples")) {
  for (const runtime of ["podman", "docker"]) {
    test(`examples/${example} [${runtime}]: no warning`, () => {
      const r = runCli(["convert", "-o", "-", "--runtime", runtime], { cwd: path.resolve("examples", example) });
      assert.is(r.code, 0, r.stderr);
      assert.equal(r.stderr.split("\n").filter((l) => l.startsWith("warning:")), []);
    });
  }
}

test.run();
