// Stacks that are a NixOS configuration (`khepri.compositions` declared in Nix) instead of a compose
// file: evaluated through khepri's NixOS module with the conversion really built (../support/
// khepri-nix.ts), started from multi-user.target, and checked against the converter's own spec of
// what the module passed to it (`khepri convert --spec --format json`), all compositions as one.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runCli } from "../support/convert.ts";
import { BASE_ENV } from "../support/corpus.ts";
import { evalWithKhepri } from "../support/khepri-nix.ts";
import type { NixosEvalEnv } from "../support/nixos-eval.ts";
import type { Runtime } from "./engines.ts";
import type { Prepared, Spec } from "./stacks.ts";

export interface NixosConfiguration {
  /** the configuration's modules as Nix expressions, for `runtime` (files may go to `tmp`) */
  modules: (runtime: Runtime, tmp: string) => string[];
  /** host files the configuration binds: created (empty) for the run when absent, removed after */
  hostFiles?: string[];
}

/**
 * The compositions' specs as one: networks and volumes keyed by their engine names (so a network
 * two compositions share is one entry), services by name (which must not repeat).
 */
export function mergeSpecs(specs: Record<string, Spec>): Spec {
  const merged: Spec = { name: Object.keys(specs).join("+"), services: {}, networks: {}, volumes: {} };
  for (const spec of Object.values(specs)) {
    const netName = (key: string) => spec.networks[key]?.name ?? `${spec.name}_${key}`;
    const volName = (key: string) => spec.volumes[key]?.name ?? `${spec.name}_${key}`;
    for (const [key, n] of Object.entries(spec.networks)) merged.networks[netName(key)] = { ...n, name: netName(key) };
    for (const [key, v] of Object.entries(spec.volumes)) merged.volumes[volName(key)] = { ...v, name: volName(key) };
    for (const [name, svc] of Object.entries(spec.services)) {
      if (merged.services[name]) throw new Error(`service ${name} is in two compositions: the checks key services by name`);
      merged.services[name] = {
        ...svc,
        networks: svc.networks && Object.fromEntries(Object.entries(svc.networks).map(([k, c]) => [netName(k), c])),
        volumes: svc.volumes?.map((m) => (m.type === "volume" && m.source ? { ...m, source: volName(m.source) } : m)),
      };
    }
  }
  return merged;
}

/** The configuration evaluated for `runtime`, and the spec of each composition the module converted. */
function evaluate(config: NixosConfiguration, runtime: Runtime, nixEnv: NixosEvalEnv, tmp: string) {
  const { facts, log } = evalWithKhepri(nixEnv, { backend: runtime, modules: config.modules(runtime, tmp), select: ["khepri.generated.khepriSpec"] });
  const specFile = path.join(tmp, "khepri-spec.json");
  writeFileSync(specFile, facts.selected["khepri.generated.khepriSpec"] as string);
  const json = runCli(["convert", "--spec", specFile, "--format", "json", "-o", "-", "-q"], { cwd: tmp, env: BASE_ENV });
  if (json.code !== 0) throw new Error(`khepri convert --spec --format json: ${json.stderr}`);
  const specs = (JSON.parse(json.stdout) as { compositions: Record<string, Spec> }).compositions;
  return { facts, log, specs };
}

/** The merged spec only (for scheduling: its names and ports). */
export function configurationSpec(config: NixosConfiguration, nixEnv: NixosEvalEnv, tmp: string): Spec {
  return mergeSpecs(evaluate(config, "docker", nixEnv, tmp).specs);
}

export function prepareConfiguration(config: NixosConfiguration, runtime: Runtime, nixEnv: NixosEvalEnv, tmp: string): Prepared {
  const { facts, log, specs } = evaluate(config, runtime, nixEnv, tmp);
  const created: string[] = [];
  for (const file of config.hostFiles ?? []) {
    if (existsSync(file)) continue;
    // what to remove after: the file, or the outermost directory made for it
    let top = file;
    while (!existsSync(path.dirname(top))) top = path.dirname(top);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, "");
    created.push(top);
  }
  return { copy: tmp, spec: mergeSpecs(specs), facts, rootTarget: "multi-user", moduleText: "", notes: log, projects: Object.keys(specs), created };
}
