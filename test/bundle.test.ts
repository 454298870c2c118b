// The built CLI as it is installed: dist/khepri.cjs, one esbuild bundle, started by its `#!` line
// and by a plain `node`. Each run must print exactly what the sources print in-process. And the
// build is reproducible: built twice from the same sources, dist/ is the same byte for byte.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCli } from "./support/convert.ts";

const dist = path.resolve("dist");
const fixtures = path.resolve("test/fixtures/bundle");
const missing = existsSync(path.join(dist, "khepri.cjs")) ? undefined : `${dist}/khepri.cjs is missing (run node scripts/build.mjs)`;

interface Case {
  name: string;
  argv: string[];
  cwd: string;
}

const CASES: Case[] = [
  { name: "convert", argv: ["convert", "-o", "-"], cwd: path.resolve("examples/mealie") },
  { name: "anchors and merge keys", argv: ["convert", "-o", "-", "--runtime", "docker"], cwd: path.join(fixtures, "anchors") },
  { name: "invalid file (zod's message)", argv: ["convert", "-o", "-"], cwd: path.join(fixtures, "invalid") },
  { name: "schema (zod's JSON Schema)", argv: ["schema"], cwd: fixtures },
];

/** The timing line differs from run to run. */
const stable = (stderr: string) => stderr.replace(/Generated NixOS config in [\d.]+ms/, "Generated NixOS config in Xms");

/** The environment of a built run: this node first on PATH (for the `#!` line's `env`). */
const builtEnv = { PATH: [path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter) };

/** How the built CLI is started: executed (its `#!` line), or by plain node. */
const LAUNCHES = [{ label: "executed", node: false }, { label: "run by plain node", node: true }];

function runBuilt(c: Case, node: boolean) {
  const bin = path.join(dist, "khepri.cjs");
  const [command, args] = node ? [process.execPath, [bin, ...c.argv]] : [bin, c.argv];
  const r = spawnSync(command, args, { cwd: c.cwd, env: builtEnv, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: stable(r.stderr) };
}

/** Every file under `dir`, relative to it, with its bytes. */
function contents(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return new Map(files.map((e) => [path.relative(dir, path.join(e.parentPath, e.name)), readFileSync(path.join(e.parentPath, e.name))]));
}

if (missing) {
  test("bundle", () => console.log(`SKIP bundle tests: ${missing}`));
} else {
  test("dist/ is the bundle, run by plain node, and its licence notices; nothing else", () => {
    assert.equal([...contents(dist).keys()].sort(), ["LICENSES.txt", "khepri.cjs"]);
    const bundle = readFileSync(path.join(dist, "khepri.cjs"), "utf8");
    // (`--`: see test/hardening-envfile.test.ts)
    assert.ok(bundle.startsWith("#!/usr/bin/env -S node --\n"), bundle.slice(0, 80));
    // the packages bundled into it are named with their licences
    const licences = readFileSync(path.join(dist, "LICENSES.txt"), "utf8");
    assert.match(licences, /^yaml \S+ \(ISC\)$/m);
    assert.match(licences, /^zod \S+ \(MIT\)$/m);
  });

  for (const c of CASES) {
    test(`built CLI, ${c.name}: same output as the sources`, () => {
      const expected = runCli(c.argv, { cwd: c.cwd });
      for (const { label, node } of LAUNCHES) {
        const actual = runBuilt(c, node);
        assert.is(actual.code, expected.code, `${label}: exit code`);
        assert.is(actual.stdout, expected.stdout, `${label}: stdout`);
        assert.is(actual.stderr, stable(expected.stderr), `${label}: stderr`);
      }
    });
  }

  test("built CLI: a reader that goes away (`khepri schema | true`) is no crash", () => {
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${path.join(dist, "khepri.cjs")}" schema | true; exit "\${PIPESTATUS[0]}"`], { encoding: "utf8" });
    assert.is(r.stderr, "");
    assert.is(r.status, 0);
  });

  test("the build is reproducible: two builds into two directories are the same byte for byte", () => {
    const dirs = [mkdtempSync(path.join(tmpdir(), "khepri-build-a-")), mkdtempSync(path.join(tmpdir(), "khepri-build-b-"))];
    try {
      for (const dir of dirs) {
        const r = spawnSync(process.execPath, ["scripts/build.mjs", dir], { encoding: "utf8" });
        assert.is(r.status, 0, r.stderr);
      }
      const [a, b] = dirs.map(contents);
      assert.equal([...a!.keys()].sort(), [...b!.keys()].sort());
      for (const [name, bytes] of a!) assert.ok(bytes.equals(b!.get(name)!), `${name} differs between the two builds`);
      // and neither names the directory it was built in, nor this checkout
      for (const [name, bytes] of a!) {
        const text = bytes.toString("latin1");
        assert.not.ok(text.includes(dirs[0]!) || text.includes(process.cwd()), `${name} names an absolute path`);
      }
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
