// Bundles the CLI into one Node file (dist/khepri.mjs). Run by `npm ci` through `prepare`.
import { build } from "esbuild";
import { chmodSync } from "node:fs";

const outfile = "dist/khepri.mjs";
await build({
  entryPoints: ["src/cli/bin.ts"],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  legalComments: "linked",
  // CommonJS dependencies call require() for Node built-ins; an ESM bundle has none of its own.
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __khepriRequire } from "node:module";\nconst require = __khepriRequire(import.meta.url);',
  },
  logLevel: "warning",
});
chmodSync(outfile, 0o755);
