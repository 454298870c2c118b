// The output file (-o) as issue 14 found it run as root: what is replaced, what is refused, and
// that nothing is left behind. Every node is made fresh in a temp dir; the real /dev is never touched.
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, openSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FILE_ERROR, runCli } from "./support/convert.ts";

const COMPOSE = "services:\n  web:\n    image: nginx\n";
const dist = path.resolve("dist");

function scratch(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "khepri-output-"));
  writeFileSync(path.join(dir, "compose.yaml"), COMPOSE);
  return dir;
}

const convert = (dir: string, output: string, extra: string[] = []) => runCli(["convert", "-q", "-f", "compose.yaml", "-o", output, ...extra], { cwd: dir });
/** Files khepri may have left in `dir` (temp files are named after the target). */
const leftovers = (dir: string) => readdirSync(dir).filter((name) => name.includes("khepri"));

test("a symbolic link is followed: its target gets the module, the link stays a link", () => {
  const dir = scratch();
  mkdirSync(path.join(dir, "real"));
  writeFileSync(path.join(dir, "real", "module.nix"), "old\n");
  symlinkSync("real/module.nix", path.join(dir, "link.nix"));
  const r = convert(dir, "link.nix");
  assert.is(r.code, 0, r.stderr);
  assert.ok(lstatSync(path.join(dir, "link.nix")).isSymbolicLink());
  assert.is(readlinkSync(path.join(dir, "link.nix")), "real/module.nix");
  assert.match(readFileSync(path.join(dir, "real", "module.nix"), "utf8"), /virtualisation\.oci-containers/);
  assert.equal(leftovers(dir), []);
  assert.equal(leftovers(path.join(dir, "real")), []);
});

test("a link to nothing is refused, and stays as it was", () => {
  const dir = scratch();
  symlinkSync("nowhere/module.nix", path.join(dir, "link.nix"));
  const r = convert(dir, "link.nix");
  assert.is(r.code, 1);
  assert.match(r.stderr, /^error: -o link\.nix is a symbolic link to a file that does not exist/m);
  assert.is(readlinkSync(path.join(dir, "link.nix")), "nowhere/module.nix");
  assert.not.ok(existsSync(path.join(dir, "nowhere")));
});

/** Fresh non-regular files: [name, how to make it in dir (false: cannot here), kind in the message]. */
const nodes: [string, (file: string) => boolean, string][] = [
  ["FIFO", (file) => spawnSync("mkfifo", [file]).status === 0, "a FIFO"],
  ["directory", (file) => (mkdirSync(file), true), "a directory"],
  // a null device of our own (major 1, minor 3), only where mknod is allowed (root)
  ["character device", (file) => spawnSync("mknod", [file, "c", "1", "3"]).status === 0, "a character device"],
];
for (const [name, make, kind] of nodes) {
  test(`-o naming a ${name} (directly or through a link) is refused, the node left as it was`, () => {
    const dir = scratch();
    const node = path.join(dir, "node");
    if (!make(node)) return void console.log(`SKIP -o ${name}: cannot make one here (mknod needs root)`);
    symlinkSync("node", path.join(dir, "link"));
    const before = lstatSync(node);
    for (const output of ["node", "link"]) {
      for (const check of [[], ["--check"]]) {
        const r = convert(dir, output, check);
        assert.is(r.code, 1, `${output} ${check}`);
        assert.match(r.stderr, new RegExp(`^error: -o ${output} is ${kind}; khepri writes only regular files`, "m"));
      }
    }
    const after = lstatSync(node);
    assert.is(after.mode, before.mode);
    assert.is(after.ino, before.ino);
    assert.ok(lstatSync(path.join(dir, "link")).isSymbolicLink());
    assert.equal(leftovers(dir), []);
  });
}

test("the target's mode is kept (a 0444 file stays 0444), and a new file gets the usual mode", () => {
  const dir = scratch();
  const file = path.join(dir, "module.nix");
  writeFileSync(file, "old\n");
  chmodSync(file, 0o444);
  assert.is(convert(dir, "module.nix").code, 0);
  assert.is(statSync(file).mode & 0o7777, 0o444);
  assert.match(readFileSync(file, "utf8"), /oci-containers/);
  chmodSync(file, 0o640);
  assert.is(convert(dir, "module.nix").code, 0);
  assert.is(statSync(file).mode & 0o7777, 0o640);
  assert.is(convert(dir, "new.nix").code, 0);
  assert.is(statSync(path.join(dir, "new.nix")).mode & 0o022, process.umask() & 0o022 ? 0 : statSync(path.join(dir, "new.nix")).mode & 0o022);
});

test("a link planted at the old, predictable temp name is never written through", () => {
  const dir = scratch();
  const victim = path.join(dir, "victim");
  writeFileSync(victim, "precious\n");
  symlinkSync(victim, path.join(dir, `out.nix.khepri-${process.pid}.tmp`));
  symlinkSync(victim, path.join(dir, `.out.nix.khepri-${process.pid}.tmp`));
  assert.is(convert(dir, "out.nix").code, 0);
  assert.is(readFileSync(victim, "utf8"), "precious\n");
  assert.match(readFileSync(path.join(dir, "out.nix"), "utf8"), /oci-containers/);
});

test("a failed run writes nothing and leaves no temp file", () => {
  const dir = scratch();
  writeFileSync(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx\n    restart: sometimes\n");
  writeFileSync(path.join(dir, "out.nix"), "old\n");
  const r = convert(dir, "out.nix");
  assert.is(r.code, 1);
  assert.ok(FILE_ERROR.test(r.stderr.split("\n")[0]!) || /^error: compose\.yaml:4:/m.test(r.stderr), r.stderr);
  assert.is(readFileSync(path.join(dir, "out.nix"), "utf8"), "old\n");
  assert.equal(leftovers(dir), []);
});

// `-o /dev/stdout` with standard output going to a file (`khepri ... -o /dev/stdout >> app.log`):
// the link leads through /proc/self/fd/1 to the log, which renaming would replace (earlier lines
// lost, a new inode). A link of our own to /proc/self/fd/1 stands in for /dev/stdout.
// And a directory link to /proc/self/fd, as /dev/fd is, for `-o /dev/fd/1`.
for (const [name, make] of [
  ["/dev/stdout", (dir: string) => symlinkSync("/proc/self/fd/1", path.join(dir, "stdout"))],
  ["/dev/fd/1", (dir: string) => (symlinkSync("/proc/self/fd", path.join(dir, "fd")), symlinkSync("fd/1", path.join(dir, "stdout")))],
] as const) test(`-o through /proc/self/fd (${name}) is refused, and the file open there is left as it was`, () => {
  if (!existsSync(path.join(dist, "khepri.cjs"))) return void console.log("SKIP -o /dev/stdout: dist/khepri.cjs is missing (run node scripts/build.mjs)");
  const dir = scratch();
  make(dir);
  const log = path.join(dir, "app.log");
  writeFileSync(log, "earlier line\n");
  const inode = statSync(log).ino;
  const fd = openSync(log, "a");
  const r = spawnSync(process.execPath, ["--", path.join(dist, "khepri.cjs"), "convert", "-q", "-f", "compose.yaml", "-o", "stdout"], { cwd: dir, encoding: "utf8", stdio: ["ignore", fd, "pipe"] });
  closeSync(fd);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /^error: -o stdout is a link to an open file .*-o - writes to standard output/m);
  assert.is(statSync(log).ino, inode);
  assert.is(readFileSync(log, "utf8"), "earlier line\n");
});

// A signal arriving while the module is written (sent by the process to itself from inside the
// write) must not leave the temp file. Node holds the signal until the synchronous write is over
// (khepri handles it); the run then ends by the signal or, when nothing was left to do, exits as it
// would have: either way with the old file or the whole new one.
const preload = `
const fs = require("node:fs");
const write = fs.writeSync;
let sent = false;
fs.writeSync = function (fd, ...rest) {
  if (fd > 2 && !sent) { sent = true; process.kill(process.pid, process.env.SIGNAL); }
  return write.call(this, fd, ...rest);
};
`;
for (const signal of ["SIGINT", "SIGTERM"]) {
  test(`${signal} during the write leaves no temp file and a whole output file`, () => {
    if (!existsSync(path.join(dist, "khepri.cjs"))) return void console.log("SKIP signal during write: dist/khepri.cjs is missing (run node scripts/build.mjs)");
    const dir = scratch();
    writeFileSync(path.join(dir, "preload.cjs"), preload);
    writeFileSync(path.join(dir, "out.nix"), "old\n");
    const r = spawnSync(process.execPath, ["--require", "./preload.cjs", "--", path.join(dist, "khepri.cjs"), "convert", "-q", "-f", "compose.yaml", "-o", "out.nix"], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", SIGNAL: signal },
    });
    assert.ok(r.signal === signal || r.status === 0, `${r.signal} ${r.status} ${r.stderr}`);
    assert.equal(leftovers(dir), []);
    const text = readFileSync(path.join(dir, "out.nix"), "utf8");
    assert.ok(text === "old\n" || /oci-containers[\s\S]*\}\n$/.test(text), text.slice(0, 200));
  });
}

test.run();
