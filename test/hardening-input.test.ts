// Files khepri reads (issue 14, "Unbounded work"): only regular files, up to 16 MiB each, refused at
// once with an error placed where the file was named. A FIFO used to hang forever and /dev/zero to
// grow until the process aborted: each case runs the built CLI with a time limit. Devices are made
// fresh in a temp dir (mknod, as root); the real /dev is never touched.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const loader = path.resolve("dist/khepri.cjs");
const dir = mkdtempSync(path.join(tmpdir(), "khepri-input-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const fifo = spawnSync("mkfifo", [path.join(dir, "fifo")]).status === 0;
// a zero device of our own (major 1, minor 5): endless zeros
const zero = spawnSync("mknod", [path.join(dir, "zero"), "c", "1", "5"]).status === 0;
writeFileSync(path.join(dir, "big.yaml"), "");
truncateSync(path.join(dir, "big.yaml"), 16 * 1024 * 1024 + 1);
writeFileSync(path.join(dir, "base.yaml"), "services:\n  x:\n    image: nginx\n");

const service = (extra: string) => `services:\n  web:\n    image: nginx\n${extra}`;
const FIFO = /fifo is a FIFO: khepri reads only regular files$/;
const ZERO = /zero is a character device: khepri reads only regular files$/;
const BIG = /big\.yaml is larger than 16 MiB, the most khepri reads of one file$/;

/** [name, needs, compose file text (or undefined: none), extra arguments, the error line expected]. */
const cases: [string, "fifo" | "zero" | "none", string | undefined, string[], RegExp][] = [
  ["-f a FIFO", "fifo", undefined, ["-f", "fifo"], /^error: \S+ is a FIFO/],
  ["-f a zero device", "zero", undefined, ["-f", "zero"], /^error: \S+ is a character device/],
  ["-f a file over the limit", "none", undefined, ["-f", "big.yaml"], /^error: \S+big\.yaml is larger than 16 MiB/],
  ["--spec a zero device", "zero", undefined, ["--spec", "zero"], /^error: \S+ is a character device/],
  ["--env-file a FIFO", "fifo", service(""), ["--env-file", "fifo"], /^error: \S+ is a FIFO/],
  ["env_file a zero device (read only to lint it)", "zero", service("    env_file: ./zero\n"), [], /^error: compose\.yaml:4:15: services\.web\.env_file\[0\]: \S+/],
  ["env_file a FIFO, --inline-env-files", "fifo", service("    env_file: ./fifo\n"), ["--inline-env-files"], /^error: compose\.yaml:4:15: services\.web\.env_file: \S+/],
  ["label_file a FIFO", "fifo", service("    label_file: ./fifo\n"), [], /^error: compose\.yaml:4:17: services\.web\.label_file\[0\]: \S+/],
  ["label_file over the limit", "none", service("    label_file: ./big.yaml\n"), [], /^error: compose\.yaml:4:17: services\.web\.label_file\[0\]: \S+/],
  ["include a zero device", "zero", "include:\n  - ./zero\n" + service(""), [], /^error: compose\.yaml:2:5: include\[0\]: \S+/],
  ["an include's env_file a zero device", "zero", "include:\n  - path: ./base.yaml\n    env_file: ./zero\n" + service(""), [], /^error: compose\.yaml:2:5: include\[0\]: \S+/],
  ["extends from a FIFO", "fifo", service("    extends:\n      file: ./fifo\n      service: x\n"), [], /^error: compose\.yaml:5:13: services\.web\.extends\.file: \S+/],
];

if (!existsSync(loader)) {
  test("reading", () => console.log(`SKIP reading limits: ${loader} is missing (run node scripts/build.mjs)`));
}
for (const [name, needs, compose, args, expected] of existsSync(loader) ? cases : []) {
  test(`${name}: refused at once, located`, () => {
    if ((needs === "fifo" && !fifo) || (needs === "zero" && !zero)) return void console.log(`SKIP ${name}: cannot make a ${needs} here (mknod needs root)`);
    const cwd = mkdtempSync(path.join(dir, "case-"));
    for (const node of ["fifo", "zero", "big.yaml", "base.yaml"]) spawnSync("ln", ["-s", path.join(dir, node), path.join(cwd, node)]);
    if (compose !== undefined) writeFileSync(path.join(cwd, "compose.yaml"), compose);
    const started = Date.now();
    const r = spawnSync(process.execPath, ["--", loader, "convert", "-q", ...args, "-o", "out.nix"], { cwd, encoding: "utf8", timeout: 20_000, env: { PATH: process.env.PATH ?? "" } });
    assert.is(r.signal, null, `${name}: killed after ${Date.now() - started} ms (it hung or grew)`);
    assert.is(r.status, 1, r.stderr);
    const line = r.stderr.trimEnd();
    assert.match(line, expected);
    assert.match(line, needs === "fifo" ? FIFO : needs === "zero" ? ZERO : BIG);
    assert.not.ok(existsSync(path.join(cwd, "out.nix")));
  });
}

test("-f a directory says so (and points to --project-directory)", () => {
  if (!existsSync(loader)) return void console.log(`SKIP -f a directory: ${loader} is missing`);
  const r = spawnSync(process.execPath, ["--", loader, "convert", "-q", "-f", dir, "-o", "-"], { encoding: "utf8", timeout: 20_000 });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr.trimEnd(), /^error: compose file \S+ is a directory \(-f names a file; --project-directory names a directory\)$/);
});

test.run();
