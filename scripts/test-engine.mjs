// The engine stage: bundles test/engine/main.ts with esbuild and runs it. It boots generated
// modules on real podman and docker (see the README's "Engine stage") and prints one
// "N passed, N failed, N skipped" line at the end, like scripts/test.mjs.
// Usage: node scripts/test-engine.mjs [FILTER]   (FILTER: only stacks whose label contains it)
// KHEPRI_ENGINE_RUNTIMES=podman,docker picks runtimes; KHEPRI_ENGINE_JOBS sets how many stacks boot at once.
import { build } from "esbuild";
import { testBundleOptions } from "./test-bundle.mjs";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";

mkdirSync(".build", { recursive: true });
const outdir = mkdtempSync(".build/engine-");
const outfile = path.join(outdir, "main.mjs");
await build({
  entryPoints: ["test/engine/main.ts"],
  outfile,
  ...testBundleOptions,
});
const run = spawnSync(process.execPath, ["--enable-source-maps", outfile, ...process.argv.slice(2)], { stdio: "inherit" });
rmSync(outdir, { recursive: true, force: true });
process.exit(run.status ?? 1);
