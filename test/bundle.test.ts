// The built CLI as it is installed: dist/khepri.cjs loading its chunks (khepri.js, and yaml.js and
// zod.js only when a file needs them), with its V8 code caches, without them, and with caches that are not
// this build's; started by its `#!` line (with khepri's V8 flags) and by a plain `node` (the loader then
// sets them). Each run must print exactly what the sources print in-process. KHEPRI_DEBUG is set, so a
// code cache V8 refuses (one made under other flags) shows in stderr and fails the comparison.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LARGE_INPUT } from "../src/cli/largeInput.ts";
import { runCli } from "./support/convert.ts";

const dist = path.resolve("dist");
const fixtures = path.resolve("test/fixtures/bundle");
const missing = existsSync(path.join(dist, "khepri.cjs")) ? undefined : `${dist}/khepri.cjs is missing (run node scripts/build.mjs)`;

interface Case {
  name: string;
  argv: string[];
  cwd: string;
}
/** A stack past LARGE_INPUT (src/cli/largeInput.ts): the built CLI turns V8's baseline compiler back on for it. */
function largeStack(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "khepri-large-"));
  const lines = ["name: large", "services:"];
  for (let i = 0; i < 300; i++) {
    lines.push(`  svc${i}:`, `    image: docker.io/library/nginx:1.27`, `    ports: ["${20000 + i}:80"]`, `    environment:`, `      SERVICE: svc${i}`, `      LEVEL: "${i % 7}"`);
    lines.push(`    healthcheck:`, `      test: ["CMD", "curl", "-fsS", "http://localhost/"]`, `      interval: 30s`);
    if (i > 0) lines.push(`    depends_on: [svc${i - 1}]`);
  }
  const text = lines.join("\n") + "\n";
  if (text.length < LARGE_INPUT) throw new Error(`the large stack has only ${text.length} characters`);
  writeFileSync(path.join(dir, "compose.yaml"), text);
  return dir;
}
const large = largeStack();
test.after(() => rmSync(large, { recursive: true, force: true }));

const CASES: Case[] = [
  { name: "convert (main chunk only)", argv: ["convert", "-o", "-"], cwd: path.resolve("examples/mealie") },
  { name: "anchors (yaml chunk)", argv: ["convert", "-o", "-", "--runtime", "docker"], cwd: path.join(fixtures, "anchors") },
  { name: "invalid file (zod chunk, its message)", argv: ["convert", "-o", "-"], cwd: path.join(fixtures, "invalid") },
  { name: "schema (zod chunk, JSON Schema)", argv: ["schema"], cwd: fixtures },
  { name: "a large stack (baseline compiler back on)", argv: ["convert", "-o", "-"], cwd: large },
];

/** The timing line differs from run to run. */
const stable = (stderr: string) => stderr.replace(/Generated NixOS config in [\d.]+ms/, "Generated NixOS config in Xms");

/** The environment of a built run: this node first on PATH (for the `#!` line's `env`), and KHEPRI_DEBUG. */
const builtEnv = { PATH: [path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter), KHEPRI_DEBUG: "1" };

/** How the built CLI is started: executed (its `#!` line), or by node with the given options. */
type Launch = { label: string; node?: string[] };
const LAUNCHES: Launch[] = [
  { label: "executed" },
  { label: "run by plain node", node: [] },
];

function runBuilt(dir: string, c: Case, launch: Launch) {
  const loader = path.join(dir, "khepri.cjs");
  const [command, args] = launch.node ? [process.execPath, [...launch.node, loader, ...c.argv]] : [loader, c.argv];
  const r = spawnSync(command, args, { cwd: c.cwd, env: builtEnv, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: stable(r.stderr) };
}

/** A copy of dist/ changed by `change` (the original is left alone: other tests use it). */
function variant(change: (dir: string) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), "khepri-dist-"));
  cpSync(dist, dir, { recursive: true });
  change(dir);
  return dir;
}
const caches = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".cache"));

const VARIANTS: [string, (dir: string) => void][] = [
  ["as built", () => {}],
  ["without code caches", (dir) => caches(dir).forEach((f) => rmSync(path.join(dir, f)))],
  // caches that are not this build's (wrong stamp, unreadable data) must be ignored, not trusted
  ["with caches that are not this build's", (dir) => caches(dir).forEach((f) => writeFileSync(path.join(dir, f), Buffer.alloc(readFileSync(path.join(dir, f)).length, 0x41)))],
];

if (missing) {
  test("bundle", () => console.log(`SKIP bundle tests: ${missing}`));
} else {
  test("the build has a code cache for the main chunk, and every chunk is ASCII (the loader reads latin1)", () => {
    assert.ok(caches(dist).includes("khepri.js.cache"), "khepri.js.cache");
    for (const chunk of readdirSync(dist).filter((f) => f.endsWith(".js"))) {
      assert.not.ok(/[^\x00-\x7f]/.test(readFileSync(path.join(dist, chunk), "latin1")), chunk);
    }
  });
  test("the V8 flags are the same in the #! line, the loader's own list and dist/node-flags (the Nix wrapper's)", () => {
    const loader = readFileSync(path.join(dist, "khepri.cjs"), "utf8");
    const shebang = /^#!\/usr\/bin\/env -S node (.*) --\n/.exec(loader);
    const own = /^const FLAGS = (\[.*\]);$/m.exec(loader);
    assert.ok(shebang && own, "the loader starts with `#!/usr/bin/env -S node <flags> --` and lists FLAGS");
    const flags = shebang![1]!.split(" ");
    assert.ok(flags.length > 0 && flags.every((f) => f.startsWith("--")), shebang![1]);
    assert.equal(JSON.parse(own![1]!), flags);
    assert.equal(readFileSync(path.join(dist, "node-flags"), "utf8").trim().split(" "), flags);
  });
  for (const [label, change] of VARIANTS) {
    test(`built CLI ${label}: same output as the sources`, () => {
      const dir = variant(change);
      try {
        for (const c of CASES) {
          const expected = runCli(c.argv, { cwd: c.cwd });
          for (const launch of LAUNCHES) {
            const actual = runBuilt(dir, c, launch);
            const what = `${c.name}, ${launch.label}`;
            assert.is(actual.code, expected.code, `${what}: exit code`);
            assert.is(actual.stdout, expected.stdout, `${what}: stdout`);
            assert.is(actual.stderr, stable(expected.stderr), `${what}: stderr`);
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  test("built CLI under other V8 flags: its caches are refused, and KHEPRI_DEBUG says so (the check above can fail)", () => {
    const r = runBuilt(dist, CASES[0]!, { label: "other flags", node: ["--max-lazy"] });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /khepri: the code cache .*khepri\.js\.cache was refused/);
  });
}

test.run();
