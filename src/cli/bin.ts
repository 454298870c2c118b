// Entry point of the bundle (dist/khepri.cjs): the process edge around `main`.
import { diskFiles } from "../load/index.ts";
import { formatLocated } from "../diagnostics/index.ts";
import { main } from "./main.ts";
import { NODE_TOOK_ENV_FILE, nodeTookEnvFile } from "./nodeEnvFile.ts";

// The reader went away (`khepri schema | head`): nothing more to say, and no crash for it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

const stderr = (text: string) => void process.stderr.write(text);
try {
  if (nodeTookEnvFile(process.argv)) {
    stderr(NODE_TOOK_ENV_FILE);
    process.exitCode = 2;
  } else {
    process.exitCode = main({
      argv: process.argv.slice(2),
      env: process.env,
      cwd: process.cwd(),
      stdout: (text) => void process.stdout.write(text),
      stderr,
      files: diskFiles,
    });
  }
} catch (error) {
  // Bad input is reported by main; anything escaping it is khepri's own fault.
  const detail = process.env.KHEPRI_DEBUG ? String((error as Error).stack ?? error) : String((error as Error).message ?? error);
  // (formatLocated without a place: escaped and clipped, as every message is)
  stderr(`khepri: internal error: ${formatLocated(detail)}\nPlease report it with the input that caused it${process.env.KHEPRI_DEBUG ? "" : " (KHEPRI_DEBUG=1 shows where it happened)"}.\n`);
  process.exitCode = 70;
}
