/**
 * File access for the loader, behind a small interface so tests and the
 * JSON-spec path can feed documents without touching the disk.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";

export interface FileReader {
  /** The file's text; a KhepriError without a position when it is not a regular file or is larger than READ_LIMIT. */
  read(path: string): string;
  /** Whether `path` (symbolic links followed) is there to be read and is not a directory: a regular file, or a device or pipe such as /dev/null or /dev/stdin (which `read` then refuses, saying why). */
  isFile(path: string): boolean;
  /** Whether `path` (symbolic links followed) is a directory. */
  isDirectory(path: string): boolean;
}

/** The most khepri reads of one file (compose, env, label and spec files): far more than any real one. */
export const READ_LIMIT = 16 * 1024 * 1024;
const READ_LIMIT_TEXT = "16 MiB";

/** What a file that is not a regular one is, for messages. */
export function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * A regular file's text, read up to READ_LIMIT: a device such as /dev/zero would never end, a FIFO
 * can wait forever for a writer (opened non-blocking, it is seen for what it is at once). The limit
 * holds while reading too: /proc files say size 0, and a file may grow meanwhile.
 */
function readRegularFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new KhepriError(`${path} is ${fileKind(stats)}: khepri reads only regular files`);
    const tooLarge = () => new KhepriError(`${path} is larger than ${READ_LIMIT_TEXT}, the most khepri reads of one file`);
    if (stats.size > READ_LIMIT) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // the whole file in the first read (one more byte to see its end), then until the end
      const chunk = Buffer.allocUnsafe(Math.min(total === 0 ? Math.max(stats.size + 1, 4096) : 65536, READ_LIMIT + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > READ_LIMIT) throw tooLarge();
    }
    return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

// Existence checks rather than a stat: `<path>/` resolves only where `path` is a directory (POSIX
// path resolution), and fs.statSync's first call in a process costs ~0.2 ms (its Stats object),
// more than reading a small compose file. (existsSync answers false on any error, EACCES too.)
export const diskFiles: FileReader = {
  read: readRegularFile,
  isFile: (path) => existsSync(path) && !existsSync(path + "/"),
  isDirectory: (path) => path !== "" && existsSync(path + "/"),
};

/** Runs `read`; a refusal without a place (see FileReader.read) is placed where the file was named. */
export function whereNamed<T>(pos: SourcePos | undefined, keyPath: readonly (string | number)[] | undefined, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof KhepriError && !error.pos && pos) throw new KhepriError(error.detail, pos, keyPath);
    throw error;
  }
}
