// The loader's disk access (src/load/files.ts): what counts as a file to read and as a directory,
// answered with existence checks rather than a stat. Table-driven over a scratch directory.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { diskFiles } from "../src/load/files.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "khepri-files-"));
writeFileSync(path.join(dir, "compose.yaml"), "services: {}\n");
mkdirSync(path.join(dir, "sub"));
symlinkSync(path.join(dir, "compose.yaml"), path.join(dir, "to-file"));
symlinkSync(path.join(dir, "sub"), path.join(dir, "to-dir"));
symlinkSync(path.join(dir, "gone"), path.join(dir, "dangling"));

// [path, isFile, isDirectory]
const CASES: [string, boolean, boolean][] = [
  [path.join(dir, "compose.yaml"), true, false],
  [path.join(dir, "sub"), false, true],
  [path.join(dir, "sub") + "/", false, true],
  [path.join(dir, "to-file"), true, false],
  [path.join(dir, "to-dir"), false, true],
  [path.join(dir, "dangling"), false, false],
  [path.join(dir, "missing.yaml"), false, false],
  [path.join(dir, "compose.yaml") + "/", false, false],
  [path.join(dir, "compose.yaml", "x"), false, false],
  ["", false, false],
  // a device is read like a file (as compose reads `env_file: /dev/null`)
  ["/dev/null", true, false],
  ["/", false, true],
];

for (const [file, isFile, isDirectory] of CASES) {
  test(`${JSON.stringify(file.replace(dir, "<dir>"))}: ${isFile ? "a file" : isDirectory ? "a directory" : "neither"}`, () => {
    assert.is(diskFiles.isFile(file), isFile, "isFile");
    assert.is(diskFiles.isDirectory(file), isDirectory, "isDirectory");
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
