/**
 * Writing the output file (`-o`): readers never see half a file, a failed or interrupted run leaves
 * the old one as it was, and nothing but a regular file is ever replaced.
 *
 * - A symbolic link is followed: its target is replaced (atomically, beside the target), the link
 *   stays. A link to nothing is refused: where it points was not written by the user's hand. So is
 *   a link into /proc (`/dev/stdout`): what it names is an open file, which renaming would replace.
 * - Anything that is not a regular file (a device such as /dev/null, a FIFO, a socket, a directory)
 *   is refused: renaming over it would replace the node, and writing into a FIFO can wait forever.
 *   `-o -` writes to standard output.
 * - The temp file is created exclusively (O_EXCL) under an unpredictable name, so a link planted in
 *   a shared directory is never written through; it gets the target's mode (a 0444 file stays 0444)
 *   and, run as root, its owner; it is removed on every way out, SIGINT/SIGTERM/SIGHUP included.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fchownSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import path from "node:path";
import { fileKind } from "../load/index.ts";

/** Why a path cannot be written or read as the output file. */
export class OutputFileError extends Error {}

/** The file `target` names (symbolic links followed) and its stats, or no stats when it does not exist yet. */
function resolveTarget(target: string): { file: string; stats?: Stats } {
  let link: Stats;
  try {
    link = lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { file: target };
    throw error;
  }
  let file = target;
  if (link.isSymbolicLink() && throughOpenFile(target)) {
    throw new OutputFileError("is a link to an open file (/dev/stdout, /proc/self/fd/N): khepri would replace what is open there; -o - writes to standard output");
  }
  if (link.isSymbolicLink()) {
    try {
      file = realpathSync(target);
    } catch {
      throw new OutputFileError("is a symbolic link to a file that does not exist; khepri follows links only to an existing file");
    }
  }
  const stats = link.isSymbolicLink() ? statSync(file) : link;
  if (!stats.isFile()) throw new OutputFileError(`is ${fileKind(stats)}; khepri writes only regular files (-o - writes to standard output)`);
  return { file, stats };
}

/**
 * Whether following the links of `target` passes through /proc (a process's open files:
 * /dev/stdout, /dev/fd/N, where /dev/fd is itself a link to /proc/self/fd).
 */
function throughOpenFile(target: string): boolean {
  let at = path.resolve(target);
  for (let hops = 0; hops < 40; hops++) {
    let next: string;
    try {
      at = path.join(realpathSync(path.dirname(at)), path.basename(at));
      if (at.startsWith("/proc/")) return true;
      if (!lstatSync(at).isSymbolicLink()) return false;
      next = readlinkSync(at);
    } catch {
      return false;
    }
    at = path.resolve(path.dirname(at), next);
  }
  return false;
}

/** The current output file's text, or undefined when there is none (for --check). */
export function readOutputFile(target: string, limit: number): string | undefined {
  const { file, stats } = resolveTarget(target);
  if (!stats) return undefined;
  if (stats.size > limit) throw new OutputFileError(`is larger than ${limit} bytes; it cannot be khepri's output`);
  return readFileSync(file, "utf8");
}

/** Temp files not yet renamed or removed, removed by the signal handlers below. */
const pending = new Set<string>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let handling = false;

/**
 * While a handler is installed, a signal does not kill the process at once: Node runs the handler
 * once the (synchronous) write is over, which has then renamed or removed its temp file. The
 * handler removes anything left and re-raises the signal, so the process still ends by it.
 */
function handleSignals(): void {
  if (handling) return;
  handling = true;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const file of pending) removeQuietly(file);
    pending.clear();
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    handling = false;
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {}
}

/** Replaces the file `target` names with `text`, atomically. */
export function writeOutputFile(target: string, text: string): void {
  const { file, stats } = resolveTarget(target);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.khepri-${randomBytes(12).toString("hex")}.tmp`);
  handleSignals();
  // "wx": O_CREAT | O_EXCL (and O_NOFOLLOW's effect: an existing link at the name fails the open)
  const fd = openSync(temporary, "wx", stats ? stats.mode & 0o7777 : 0o666);
  pending.add(temporary);
  try {
    try {
      // the mode given to open is masked by the umask: the target's is set as it was
      // (owner first: chown clears the set-id bits)
      if (stats) {
        if (process.getuid?.() === 0 && (stats.uid !== 0 || stats.gid !== 0)) fchownSync(fd, stats.uid, stats.gid);
        fchmodSync(fd, stats.mode & 0o7777);
      }
      const bytes = Buffer.from(text);
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    pending.delete(temporary);
  } finally {
    if (pending.delete(temporary)) removeQuietly(temporary);
  }
}
