// esbuild options shared by the test runners (scripts/test.mjs, scripts/test-engine.mjs): tests are
// bundled for Node with their packages left external, with inline source maps for stack traces.
export const testBundleOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
};
