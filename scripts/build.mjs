// Bundles the CLI for Node (run by `npm ci` through `prepare`):
//
//   dist/khepri.cjs            the whole CLI, one esbuild bundle (package.json's bin), run by plain node
//   dist/LICENSES.txt          the licences of the packages bundled into it (their LICENSE files:
//                              none of them carries a legal comment esbuild would collect)
//
// `node scripts/build.mjs DIR` builds into DIR instead of dist/. The same sources give the same
// bytes (test/bundle.test.ts builds twice and compares): esbuild writes no timestamps, and the
// bundle names no absolute path.
import { build } from "esbuild";
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const outdir = process.argv[2] ?? "dist";
const outfile = path.join(outdir, "khepri.cjs");

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: ["src/cli/bin.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // not minified: a stack trace (KHEPRI_DEBUG=1) names real functions and lines, at a cost of a few ms per run
  minify: false,
  legalComments: "eof",
  metafile: true,
  // `--` ends node's options before the bundle's path: node 20 otherwise takes `--env-file FILE`
  // from anywhere on its command line, khepri's own `--env-file` included (it reads the file
  // itself, and obeys a NODE_OPTIONS in it). Whatever starts the bundle must put `--` before it.
  banner: { js: "#!/usr/bin/env -S node --" },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);

// The packages bundled, from the inputs esbuild read (node_modules/<name>/... or node_modules/@scope/<name>/...).
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) packages.add(match[1]);
}
const notices = [...packages].sort().map((name) => {
  const dir = path.join("node_modules", name);
  const { version, license } = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  const text = file ? readFileSync(path.join(dir, file), "utf8").trim() : `(no licence file; package.json says ${license})`;
  return `${name} ${version} (${license})\n\n${text}\n`;
});
writeFileSync(path.join(outdir, "LICENSES.txt"), `The packages bundled into khepri.cjs and their licences.\n\n${notices.join("\n" + "-".repeat(72) + "\n\n")}`);
