// Entry point of the bundle (dist/khepri.mjs): the process edge around `main`.
import { main } from "./main.ts";

process.exitCode = main({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
