// Where ../shared (conformance tables, corpus) lives; tests read it at run time and never copy it in.
import { existsSync } from "node:fs";
import path from "node:path";

export const repoRoot = process.cwd();
export const sharedDir = process.env.KHEPRI_SHARED ?? path.resolve(process.cwd(), "../shared");
export const hasShared = existsSync(path.join(sharedDir, "conformance"));

/** Prints a visible SKIP line; returns true when the caller should skip. */
export function skipUnless(condition: boolean, what: string, why: string): boolean {
  if (!condition) console.log(`SKIP ${what}: ${why}`);
  return !condition;
}

export const sharedPath = (...parts: string[]) => path.join(sharedDir, ...parts);
