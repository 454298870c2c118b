// The first khepri README (../shared/seeds/002_...), read at run time: its NixOS configuration
// blocks as files (the nix-integration test evaluates them, the engine stage boots them).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sharedPath } from "./shared.ts";

export const seedFile = sharedPath("seeds", "002_9414a01abfc1b038.txt");

/**
 * The README's two configuration blocks, written under `tmp`: `paperless` (docker enabled, the
 * caddy and paperless compositions) and `nginx` (a dockerTools.pullImage image). Undefined when
 * ../shared lacks the seed.
 */
export function seedModules(tmp: string): { paperless: string; nginx: string } | undefined {
  if (!existsSync(seedFile)) return undefined;
  const text = readFileSync(seedFile, "utf8");
  const block = (start: string, end: string) => {
    const from = text.indexOf(start);
    const to = text.indexOf(end, from);
    if (from < 0 || to < 0) throw new Error(`seed: block "${start.split("\n")[1]}" not found`);
    return text.slice(from, to);
  };
  const header = "{ config, pkgs, lib, ... }: {\n";
  const paperless = block(`${header}# docker must be enabled`, "\nWhen specifying the image as a string");
  // The README's second block ends with one `};` too many.
  const nginx = block(`${header}khepri.compositions = {\nnginx = {`, "\nkhepri\norientates").trimEnd().replace(/};$/, "}");
  const dir = mkdtempSync(path.join(tmp, "seed-"));
  writeFileSync(path.join(dir, "paperless.nix"), paperless);
  writeFileSync(path.join(dir, "nginx.nix"), nginx);
  return { paperless: path.join(dir, "paperless.nix"), nginx: path.join(dir, "nginx.nix") };
}
