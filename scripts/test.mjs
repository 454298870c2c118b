// Compiles test/**/*.test.ts with esbuild and runs them with uvu, then prints one
// "N passed, N failed, N skipped" line that CI reads.
import { build } from "esbuild";
import fg from "fast-glob";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";

// A directory per run, so concurrent runs (a filtered one beside the full suite) do not collide.
mkdirSync(".build", { recursive: true });
const outdir = mkdtempSync(".build/test-");
const filter = process.argv[2];
let entryPoints = await fg("test/**/*.test.ts");
if (filter) entryPoints = entryPoints.filter((f) => f.includes(filter));
await build({
  entryPoints,
  outdir,
  outbase: "test",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
});
const run = spawnSync(process.execPath, ["--enable-source-maps", "node_modules/uvu/bin.js", outdir, "\\.test\\.mjs$"], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
});
process.stdout.write(run.stdout);
rmSync(outdir, { recursive: true, force: true });
const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(run.stdout)?.[1] ?? 0);
const total = count("Total");
// uvu cannot skip at run time: a test that skips prints "SKIP what: why" and returns.
// SKIP lines may follow uvu's progress dots on the same line.
const skips = (run.stdout.match(/SKIP [^\n]*?: /g) ?? []).length;
const skipped = count("Skipped") + skips;
const passed = count("Passed") - skips;
const failed = run.status === 0 ? total - passed - skipped : Math.max(1, total - passed - skipped);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status ?? 1);
