// Table-driven semantic tests: each test/fixtures/semantics/<case>/ holds a compose project and an
// expect.json (format: test/support/semantics.ts). The project is converted for podman and for
// docker, the module is evaluated with nixpkgs' real oci-containers module, and the expectation is
// checked against what NixOS would run: the exact run line, unit ordering, restart settings, ...
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evalNixosModules, findNixosEvalEnv, NixosEvalError, type Backend } from "./support/nixos-eval.ts";
import { checkFacts, checkText, convertIn, forRuntime, loadCases, scratchDir, substitute } from "./support/semantics.ts";
import { repoRoot, skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const casesRoot = path.join(repoRoot, "test", "fixtures", "semantics");
const cases = loadCases(casesRoot);
const scratch = scratchDir("semantics");

test("the semantic case table is not empty and every case names only known runtimes", () => {
  assert.ok(cases.length >= 20, `${cases.length} cases in ${casesRoot}`);
  for (const c of cases) {
    for (const r of c.expect.runtimes ?? []) assert.ok(r === "podman" || r === "docker", `${c.name}: runtime ${r}`);
  }
});

for (const c of cases) {
  for (const runtime of c.expect.runtimes ?? (["podman", "docker"] as Backend[])) {
    test(`${c.name} [${runtime}]: ${c.expect.description}`, () => {
      const vars = { runtime, dir: c.dir };
      const expect = substitute(forRuntime(c.expect, runtime), vars);
      const args = substitute(c.expect.args ?? [], vars);
      const conv = convertIn(c.dir, runtime, args, scratch.dir, c.expect.env ?? {});
      const problems: string[] = [];
      if (conv.code !== expect.exit) problems.push(`exit code ${conv.code}, expected ${expect.exit}; stderr:\n${conv.stderr}`);
      problems.push(...checkText("stderr", conv.stderr, expect.stderr));
      if (expect.exit !== 0) {
        // a failed conversion writes nothing
        if (conv.module !== undefined) problems.push(`exit ${conv.code} but ${conv.moduleFile} was written`);
        assert.ok(problems.length === 0, problems.join("\n"));
        return;
      }
      if (conv.module === undefined) assert.unreachable(`no module written:\n${problems.join("\n")}\nstderr:\n${conv.stderr}`);
      problems.push(...checkText("module", conv.module!, expect.module));
      if (skipUnless(env !== undefined, `${c.name} [${runtime}] NixOS evaluation`, missing ?? "")) {
        assert.ok(problems.length === 0, problems.join("\n"));
        return;
      }
      let facts;
      try {
        facts = evalNixosModules(env!, [conv.moduleFile], {
          backend: runtime,
          allowFailedAssertions: true,
          ...(c.expect.extraConfig ? { extraConfig: substitute(c.expect.extraConfig, vars) } : {}),
        });
      } catch (e) {
        if (e instanceof NixosEvalError) assert.unreachable(`the module does not evaluate:\n${e.message}\n--- module ---\n${conv.module}`);
        throw e;
      }
      problems.push(...checkFacts(facts, expect));
      assert.ok(problems.length === 0, `${problems.join("\n")}`);
    });
  }
}

test.after(() => scratch.cleanup());

test.run();
