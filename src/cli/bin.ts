// Entry point of the bundle (dist/khepri.js, run by the loader dist/khepri.cjs): the process edge around `main`.
import { writeSync } from "node:fs";
import { diskFiles } from "../load/index.ts";
import { watchingInputSize } from "./largeInput.ts";
import { main } from "./main.ts";
import { NODE_TOOK_ENV_FILE, nodeTookEnvFile } from "./nodeEnvFile.ts";
import { setV8Flags } from "./v8Flags.ts";

/**
 * Writes to a file descriptor synchronously (as Node's own stdout and stderr do
 * for files, pipes and terminals on Linux): creating process.stdout or
 * process.stderr costs ~2 ms, a good part of a small conversion. Falls back to
 * the stream if the descriptor would block.
 */
function writer(fd: number, stream: () => NodeJS.WriteStream): (text: string) => void {
  let viaStream = false;
  let closed = false;
  return (text) => {
    if (closed) return;
    if (viaStream) return void stream().write(text);
    let rest = Buffer.from(text);
    while (rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(fd, rest));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // the reader went away (`khepri schema | head`): nothing more to say
        if (code === "EPIPE") return void (closed = true);
        if (code !== "EAGAIN") throw error;
        viaStream = true;
        stream().write(rest);
        return;
      }
    }
  };
}

const stderr = writer(2, () => process.stderr);
try {
  if (nodeTookEnvFile(process.argv)) {
    stderr(NODE_TOOK_ENV_FILE);
    process.exit(2);
  }
  process.exitCode = main({
    argv: process.argv.slice(2),
    // a plain copy: every read of process.env itself goes through libuv (environment lookups are many)
    env: { ...process.env },
    cwd: process.cwd(),
    stdout: writer(1, () => process.stdout),
    stderr,
    // A large conversion turns V8's baseline compiler (Sparkplug) back on (see largeInput.ts).
    files: watchingInputSize(diskFiles, () => setV8Flags("--sparkplug")),
  });
} catch (error) {
  // Bad input is reported by main; anything escaping it is khepri's own fault.
  const detail = process.env.KHEPRI_DEBUG ? String((error as Error).stack ?? error) : String((error as Error).message ?? error);
  stderr(`khepri: internal error: ${detail}\nPlease report it with the input that caused it${process.env.KHEPRI_DEBUG ? "" : " (KHEPRI_DEBUG=1 shows where it happened)"}.\n`);
  process.exitCode = 70;
}
