// The compose files of ../shared/corpus/ and what each is expected to do, shared by
// test/corpus.test.ts (loads or fails cleanly) and test/nixos-corpus.test.ts (what NixOS runs).
import fg from "fast-glob";
import { existsSync } from "node:fs";
import path from "node:path";
import { runCli, type CliResult } from "./convert.ts";
import { hasShared, sharedPath } from "./shared.ts";

export const corpusDir = sharedPath("corpus");
export const haveCorpus = hasShared && existsSync(corpusDir);

/** YAML files under the corpus that are not compose files at all. */
export const NOT_COMPOSE: Record<string, string> = {
  "compose2nix/sops-example/.sops.yaml": "sops configuration (creation rules), not a compose file",
  "compose2nix/sops-example/secrets/pinnacle.yaml": "sops-encrypted secrets, not a compose file",
};

export interface Loads {
  kind: "loads";
  reason: string;
  /** exact number of services when it is not "at least one" */
  services?: number;
  args?: string[];
  env?: Record<string, string>;
}
export interface Fails {
  kind: "fails";
  reason: string;
  /** what the one error line must say (key path or message) */
  message: RegExp;
  /** the error is about the whole file, so it names a position but no key path */
  wholeFile?: boolean;
  args?: string[];
  env?: Record<string, string>;
}
export type Expectation = Loads | Fails;

/**
 * Files whose expected outcome is not "loads with at least one service", each with the reason.
 * Keys are paths relative to ../shared/corpus.
 */
export const EXPECTATIONS: Record<string, Expectation> = {
  // --- compose-go fixtures written to fail -----------------------------------------------------
  "compose-go/loader/testdata/compose-depends-on-cycle.yaml": {
    kind: "fails",
    reason: "compose-go's TestLoadDependsOnCycle: service1 -> service2 -> service3 -> service1",
    message: /dependency cycle: service1 -> service2 -> service3 -> service1/,
  },
  "compose-go/loader/testdata/compose-depends-on-profile-no-cycle.yaml": {
    kind: "fails",
    reason:
      "the stored copy is byte for byte the cycle fixture (no profiles in it), so the cycle is real whatever profiles are active",
    message: /dependency cycle: service1 -> service2 -> service3 -> service1/,
  },
  "compose-go/loader/testdata/compose-depends-on-self.yaml": {
    kind: "fails",
    reason: "compose-go's TestLoadDependsOnSelf: service1 depends on itself",
    message: /service1.*itself|dependency cycle: service1 -> service1/,
  },
  "compose-go/loader/testdata/compose-include-cycle.yaml": {
    kind: "fails",
    reason: "compose-go's TestLoadWithIncludeCycle: the file includes itself",
    message: /include cycle/,
  },
  "compose-go/loader/testdata/empty.yaml": {
    kind: "fails",
    reason:
      "compose-go's TestLoadEmptyFile expects \"empty compose file\" (docker compose refuses it); converting it would silently produce a module with nothing in it",
    message: /empty compose file/,
    wholeFile: true,
  },
  "compose-go/loader/testdata/extends/base.yaml": {
    kind: "fails",
    reason:
      "a base file for compose-go's extends tests, never loaded on its own: `nil:` is a service without a body (compose-go loads it only with SkipValidation)",
    message: /nil/,
  },
  "compose-go/schema/using-variables.yaml": {
    kind: "fails",
    reason:
      "compose-go's schema test: checks the schema accepts ${VARIABLE} everywhere before interpolation; no single value of VARIABLE makes it a valid project (deploy.mode needs replicated|global where replicas needs a number), and unset it is empty everywhere",
    message: /./,
  },
  // remote: is a scheme compose-go's tests register with a fake ResourceLoader; docker compose itself
  // knows only git and oci remotes, so these are local paths that do not exist.
  "compose-go/loader/testdata/remote/cycle/compose.yaml": {
    kind: "fails",
    reason: "extends `remote:cycle/compose-cycle.yaml`: a fake remote of compose-go's tests, not a file",
    message: /extends file .*remote:cycle\/compose-cycle\.yaml.* not found/,
  },
  "compose-go/loader/testdata/remote/cycle/compose-cycle.yaml": {
    kind: "fails",
    reason: "extends `remote:cycle/compose.yaml`: a fake remote of compose-go's tests, not a file",
    message: /extends file .*remote:cycle\/compose\.yaml.* not found/,
  },
  "compose-go/loader/testdata/remote/nested/compose.yaml": {
    kind: "fails",
    reason: "extends `remote:nested/compose-nested.yaml`: a fake remote of compose-go's tests, not a file",
    message: /extends file .*remote:nested\/compose-nested\.yaml.* not found/,
  },

  // --- loads, but deserves a word -----------------------------------------------------------------
  "compose-go/loader/testdata/extends/withdir/compose.yaml": {
    kind: "loads",
    services: 1,
    reason:
      "extends dir/compose.yaml:test, which extends base.yaml:test relative to dir/ (two files named compose.yaml, no cycle); ends as image hello-world",
  },
  "compose2nix/TestNetworkSettings.compose.yml": {
    kind: "loads",
    services: 0,
    args: ["--env-file", "input.env"],
    reason: "compose2nix's network-settings test: only top-level networks, no services",
  },
  "compose2nix/TestUnusedResources.compose.yml": {
    kind: "loads",
    services: 0,
    args: ["--env-file", "input.env"],
    reason: "compose2nix's unused-resources test: a network and a volume, no services",
  },
};

/** compose2nix's own tests (nix_test.go getPaths) run its inputs with `--env-file testdata/input.env`. */
export function defaultArgs(rel: string): string[] {
  return /^compose2nix\/[^/]+$/.test(rel) ? ["--env-file", "input.env"] : [];
}

/** Every YAML file under the corpus, relative to it, sorted (compose or not: see NOT_COMPOSE). */
export const corpusYamlFiles: string[] = haveCorpus
  ? fg.sync("**/*.{yml,yaml}", { cwd: corpusDir, dot: true, onlyFiles: true }).sort()
  : [];

/** The compose files of the corpus with what is expected of each. */
export const corpusCases: { rel: string; expectation: Expectation; args: string[] }[] = corpusYamlFiles
  .filter((rel) => !(rel in NOT_COMPOSE))
  .map((rel) => {
    const expectation: Expectation = EXPECTATIONS[rel] ?? { kind: "loads", reason: "a valid compose file" };
    return { rel, expectation, args: expectation.args ?? defaultArgs(rel) };
  });

/** The environment of every run: a user's shell has HOME (awesome-compose/minecraft mounts ~/minecraft_data). */
export const BASE_ENV: Record<string, string> = { HOME: "/home/alice" };

/** `khepri convert -f <file> ...args` from the file's directory, as a user would run it. */
export function runOnCorpusFile(rel: string, args: string[], env?: Record<string, string>): CliResult {
  const file = path.join(corpusDir, rel);
  return runCli(["convert", "-f", path.basename(file), ...args], { cwd: path.dirname(file), env: { ...BASE_ENV, ...env } });
}
