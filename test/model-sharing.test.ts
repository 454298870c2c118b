// The validated model shares every unchanged object with the loaded tree (src/model/z.ts, "Shared
// output"), and the plan and the printer pass some of its arrays on uncopied. That is safe only while
// no stage after validation changes what it was given. This test holds them to it: for every loadable
// corpus stack, the normalized project is deep-frozen before planning and printing (a write to a
// frozen object throws in the bundle's strict code), and the module must come out the same as with
// an unfrozen project.
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadComposeProject } from "../src/load/index.ts";
import { normalizeProject } from "../src/normalize/index.ts";
import { planProject, type PlanOptions } from "../src/plan/index.ts";
import { printModule } from "../src/print/index.ts";
import { BASE_ENV, corpusCases, corpusDir, haveCorpus } from "./support/corpus.ts";
import { skipUnless } from "./support/shared.ts";

const PLAN: Omit<PlanOptions, "runtime"> = { autoStart: true, useUpheldBy: false, checkSystemdMounts: false, removeVolumes: false, rootTarget: true };

function deepFreeze<T>(value: T, seen = new Set<object>()): T {
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  return Object.freeze(value);
}

/** The module for `rel`, planned and printed from its normalized project (frozen first when asked). */
function moduleOf(rel: string, args: readonly string[], runtime: "podman" | "docker", freeze: boolean): string {
  const file = path.join(corpusDir, rel);
  const envFile = args[0] === "--env-file" ? [args[1]!] : [];
  const loaded = loadComposeProject({ files: [file], workingDir: path.dirname(file), envFiles: envFile, processEnv: BASE_ENV });
  const normalized = normalizeProject(loaded, { profiles: [] });
  if (freeze) deepFreeze(normalized.project);
  const plan = planProject(normalized, { ...PLAN, runtime });
  return printModule([plan], { setup: true, header: rel });
}

/** The stacks that load with at most `--env-file FILE` (the only flag moduleOf passes on). */
const loadable = corpusCases.filter(
  (c) => c.expectation.kind === "loads" && !c.expectation.env && (c.args.length === 0 || (c.args.length === 2 && c.args[0] === "--env-file")),
);

test("plan and print change nothing of the validated model (frozen, every corpus stack)", () => {
  if (skipUnless(haveCorpus, "model sharing", `${corpusDir} is absent`)) return;
  assert.ok(loadable.length > 100, `${loadable.length} corpus stacks`);
  for (const { rel, args } of loadable) {
    for (const runtime of ["podman", "docker"] as const) {
      let frozen: string;
      try {
        frozen = moduleOf(rel, args, runtime, true);
      } catch (error) {
        assert.unreachable(`${rel} [${runtime}]: a stage changed the frozen model: ${(error as Error).message}`);
        return;
      }
      assert.is(frozen, moduleOf(rel, args, runtime, false), `${rel} [${runtime}]`);
    }
  }
});

test.run();
