/**
 * Which compose files a project is made of when no `-f` is given, as docker
 * compose decides: the first default name found in the working directory or
 * the nearest parent, plus its `.override` sibling.
 */
import path from "node:path";
import { KhepriError } from "../diagnostics/index.ts";
import type { FileReader } from "./files.ts";

export const DEFAULT_COMPOSE_FILES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"] as const;

const overrideName = (name: string) => name.replace(/\.(ya?ml)$/, ".override.$1");

export function discoverComposeFiles(workingDir: string, files: FileReader): string[] {
  for (let dir = path.resolve(workingDir); ; dir = path.dirname(dir)) {
    for (const name of DEFAULT_COMPOSE_FILES) {
      const candidate = path.join(dir, name);
      if (!files.isFile(candidate)) continue;
      const override = path.join(dir, overrideName(name));
      return files.isFile(override) ? [candidate, override] : [candidate];
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new KhepriError(
    `no compose file found in ${workingDir} or its parents (looked for ${DEFAULT_COMPOSE_FILES.join(", ")}); name one with -f`,
  );
}
