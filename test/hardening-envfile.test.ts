// Node 20 takes `--env-file FILE` from anywhere on its command line unless `--` ends its options
// (issue 14): it read khepri's own `--env-file`, failed on a missing one with its own error (exit 9)
// and obeyed NODE_OPTIONS in it. Every way khepri is started must leave the flag to khepri.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const repo = path.resolve(".");
const dist = path.join(repo, "dist");
const loader = path.join(dist, "khepri.cjs");
const env = { PATH: [path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter), HOME: tmpdir() };

const dir = mkdtempSync(path.join(tmpdir(), "khepri-envfile-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const marker = path.join(dir, "evil-ran");
writeFileSync(path.join(dir, "evil.js"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
writeFileSync(path.join(dir, "evil.env"), `NODE_OPTIONS="--require ${path.join(dir, "evil.js")}"\nTAG=1.2\n`);
writeFileSync(path.join(dir, "compose.yaml"), 'services:\n  web:\n    image: "nginx:${TAG:-latest}"\n');
mkdirSync(path.join(dir, "adir"));

/** The stand-in package's bin/khepri (what the Nix integration tests build), installed here without Nix. */
function standIn(): string {
  const out = path.join(dir, "stand-in");
  spawnSync(process.execPath, [path.resolve("test/fixtures/nix-integration/install-stand-in.cjs"), dist, process.execPath], { env: { ...env, out } });
  return path.join(out, "bin", "khepri");
}

/** Ways khepri is started: [label, command and its leading arguments, working directory]. */
function launchers(): [string, string[], string][] {
  return [
    ["the bin, executed (its #! line)", [loader], dir],
    // npx is itself a node script: without `--`, npx's node reads the file before khepri starts
    ["npx khepri --", ["npx", "--no-install", "khepri", "--"], repo],
    // what nix/package.nix's makeWrapper line runs (checked below to be that line)
    ["the Nix wrapper's command", [process.execPath, "--", loader], dir],
    ["the stand-in package's bin (Nix integration tests, IFD)", [standIn()], dir],
  ];
}

const cases: [string, string, (r: { status: number | null; stdout: string; stderr: string }) => void][] = [
  ["an env file with NODE_OPTIONS changes nothing (khepri reads it, for TAG only)", "evil.env", (r) => {
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /image = "nginx:1\.2";/);
  }],
  ["a missing env file gets khepri's own error", "missing.env", (r) => {
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /^error: env file \S*missing\.env not found$/m);
  }],
  ["a directory gets khepri's own error", "adir", (r) => {
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /^error: env file \S*adir /m);
  }],
];

if (!existsSync(loader)) {
  test("--env-file", () => console.log(`SKIP --env-file launchers: ${loader} is missing (run node scripts/build.mjs)`));
} else {
  for (const [label, command, cwd] of launchers()) {
    for (const [what, envFile, check] of cases) {
      test(`${label}: ${what}`, () => {
        rmSync(marker, { force: true });
        const r = spawnSync(command[0]!, [...command.slice(1), "convert", "-q", "-f", path.join(dir, "compose.yaml"), "--env-file", path.join(dir, envFile), "-o", "-"], { cwd, env, encoding: "utf8" });
        check(r);
        assert.not.match(r.stderr, /^node:/m);
        assert.not.ok(existsSync(marker), "evil.js ran");
      });
    }
  }

  test("nix/package.nix's wrapper ends node's options with -- before the loader", () => {
    const nix = readFileSync("nix/package.nix", "utf8");
    assert.match(nix, /--add-flags "-- \$out\/lib\/khepri\/khepri\.cjs"/);
  });

  test("started as `node khepri.cjs` (no --), khepri refuses to go on once node has read --env-file", () => {
    const r = spawnSync(process.execPath, [loader, "convert", "-q", "-f", path.join(dir, "compose.yaml"), "--env-file", path.join(dir, "compose.yaml"), "-o", "-"], { cwd: dir, env, encoding: "utf8" });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /node itself read --env-file .*`node -- khepri\.cjs/);
    assert.is(r.stdout, "");
  });
}

test.run();
