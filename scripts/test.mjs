// Compiles test/**/*.test.ts with esbuild and runs them with uvu, then prints one
// "N passed, N failed, N skipped" line that CI reads.
import { build } from "esbuild";
import { testBundleOptions } from "./test-bundle.mjs";
import fg from "fast-glob";
import { spawn, spawnSync } from "node:child_process";
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
  ...testBundleOptions,
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
const engine = filter ? undefined : await engineStage();
if (engine) {
  // the closing line alone, as CI reads it: unit tests and engine stage together
  console.log(`\nunit tests and engine stage:\n${passed + engine.passed} passed, ${failed + engine.failed} failed, ${skipped + engine.skipped} skipped`);
}
process.exit(run.status !== 0 ? (run.status ?? 1) : engine && engine.status !== 0 ? engine.status : 0);

/**
 * The engine stage (scripts/test-engine.mjs) boots generated modules on podman and docker. It runs
 * here, after the unit tests, when an engine answers (podman needs no daemon; docker only counts
 * when its daemon answers) and KHEPRI_ENGINE is not "0"; KHEPRI_ENGINE_FILTER limits it to the
 * stacks whose label contains it. Its output is streamed; its counts are added to the closing line.
 */
async function engineStage() {
  if (process.env.KHEPRI_ENGINE === "0") {
    console.log("SKIP engine stage: KHEPRI_ENGINE=0");
    return undefined;
  }
  const answers = (cmd, args) => spawnSync(cmd, args, { stdio: "ignore", timeout: 20_000 }).status === 0;
  if (!answers("podman", ["info"]) && !answers("docker", ["version"])) {
    console.log("SKIP engine stage: neither `podman info` nor `docker version` answers (see .ci/run to install and start them)");
    return undefined;
  }
  console.log("\nengine stage (scripts/test-engine.mjs):");
  const args = process.env.KHEPRI_ENGINE_FILTER ? [process.env.KHEPRI_ENGINE_FILTER] : [];
  const child = spawn(process.execPath, ["scripts/test-engine.mjs", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
    process.stdout.write(d);
  });
  const status = await new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  const last = /(\d+) passed, (\d+) failed, (\d+) skipped\s*$/.exec(out);
  if (!last) return { passed: 0, failed: 1, skipped: 0, status: status || 1 };
  return { passed: Number(last[1]), failed: Number(last[2]), skipped: Number(last[3]), status };
}
