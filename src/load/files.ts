/**
 * File access for the loader, behind a small interface so tests and the
 * JSON-spec path can feed documents without touching the disk.
 */
import { existsSync, readFileSync } from "node:fs";

export interface FileReader {
  read(path: string): string;
  /** Whether `path` (symbolic links followed) is there to be read and is not a directory: a regular file, or a device or pipe such as /dev/null or /dev/stdin, which compose reads too. */
  isFile(path: string): boolean;
  /** Whether `path` (symbolic links followed) is a directory. */
  isDirectory(path: string): boolean;
}

// Existence checks rather than a stat: `<path>/` resolves only where `path` is a directory (POSIX
// path resolution), and fs.statSync's first call in a process costs ~0.2 ms (its Stats object),
// more than reading a small compose file. (existsSync answers false on any error, EACCES too.)
export const diskFiles: FileReader = {
  read: (path) => readFileSync(path, "utf8"),
  isFile: (path) => existsSync(path) && !existsSync(path + "/"),
  isDirectory: (path) => path !== "" && existsSync(path + "/"),
};
