/**
 * File access for the loader, behind a small interface so tests and the
 * JSON-spec path can feed documents without touching the disk.
 */
import { existsSync, readFileSync, statSync } from "node:fs";

export interface FileReader {
  read(path: string): string;
  isFile(path: string): boolean;
  isDirectory(path: string): boolean;
}

export const diskFiles: FileReader = {
  read: (path) => readFileSync(path, "utf8"),
  isFile: (path) => existsSync(path) && statSync(path).isFile(),
  isDirectory: (path) => existsSync(path) && statSync(path).isDirectory(),
};
