// Every compose file of ../shared/corpus/ (awesome-compose stacks, compose2nix's test inputs,
// compose-go's loader/cli/schema fixtures) goes through the CLI in-process, as a user would run it
// from the file's directory: `khepri convert -f FILE --format json -o -`, then `--format nix`.
// A file either loads (exit 0, a spec with services, a module naming each container) or, for the
// fixtures written to fail, fails with exactly one located error line and no stack trace.
// The files are found at run time; nothing is copied into the repository.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { FILE_ERROR, LOCATED_ERROR, STACK_FRAME, errorLines, type CliResult } from "./support/convert.ts";
import { EXPECTATIONS, NOT_COMPOSE, corpusCases, corpusDir, corpusYamlFiles as files, haveCorpus, runOnCorpusFile } from "./support/corpus.ts";
import { skipUnless } from "./support/shared.ts";

const run = (rel: string, args: string[], env: Record<string, string> | undefined): CliResult => runOnCorpusFile(rel, args, env);

/** Extra assertions on the loaded spec of particular files (what a user would check first). */
const SPEC_CHECKS: Record<string, (spec: Spec) => void> = {
  "compose-go/loader/testdata/extends/withdir/compose.yaml": (spec) => {
    assert.is(spec.services.test?.image, "hello-world");
  },
  "awesome-compose/minecraft/compose.yaml": (spec) => {
    // `~/minecraft_data` is the user's home, as docker compose expands it
    const volumes = (spec.services.minecraft as { volumes?: { source?: string }[] }).volumes ?? [];
    assert.equal(volumes.map((v) => v.source), ["/home/alice/minecraft_data"]);
  },
  "compose-go/cli/testdata/simple/compose-with-variables.yaml": (spec) => {
    // PUBLIC_PORT=8000 comes from the .env beside it
    assert.equal(spec.services.simple?.ports?.map((p) => p.published), ["8000"]);
  },
};

interface Spec {
  name: string;
  services: Record<string, { image?: string; containerName?: string; ports?: { published?: string }[] }>;
}

/** The one located error line; also checks the place it names exists. */
function assertLocatedFailure(result: CliResult, cwd: string, message: RegExp, wholeFile = false) {
  assert.is(result.crashed, undefined, `crashed:\n${result.stderr}`);
  assert.not.match(result.stderr, STACK_FRAME, "no stack trace");
  assert.is(result.code, 1, `exit code; stderr:\n${result.stderr}`);
  assert.is(result.stdout, "", "nothing on stdout");
  const lines = errorLines(result.stderr);
  assert.is(lines.length, 1, `exactly one error line:\n${result.stderr}`);
  assert.is(result.stderr.trimEnd(), lines[0], `and nothing else on stderr:\n${result.stderr}`);
  const line = lines[0]!;
  const m = (wholeFile ? FILE_ERROR : LOCATED_ERROR).exec(line);
  assert.ok(m, `error: <file>:<line>:<col>: <key.path>: <message>, got:\n${line}`);
  const { file, line: lineNo, col } = m!.groups!;
  const where = path.resolve(cwd, file!);
  assert.ok(existsSync(where), `the file named by the error exists: ${where}`);
  const lineCount = readFileSync(where, "utf8").split("\n").length;
  assert.ok(Number(lineNo) >= 1 && Number(lineNo) <= lineCount, `line ${lineNo} is inside ${file} (${lineCount} lines)`);
  assert.ok(Number(col) >= 1, `column ${col}`);
  // the fragment may be in the key path or in the message
  assert.match(line, message);
}

test("corpus: the corpus is there and every table entry names a file of it", () => {
  if (skipUnless(haveCorpus, "corpus", `${corpusDir} is absent`)) return;
  assert.ok(files.length >= 90, `found ${files.length} YAML files under ${corpusDir}`);
  for (const rel of [...Object.keys(EXPECTATIONS), ...Object.keys(NOT_COMPOSE), ...Object.keys(SPEC_CHECKS)]) {
    assert.ok(files.includes(rel), `table entry ${rel} is a file of the corpus`);
  }
  // every awesome-compose stack and every compose2nix Test*.compose.yml is covered
  assert.is(files.filter((f) => f.startsWith("awesome-compose/")).length, 39);
  assert.ok(files.filter((f) => /^compose2nix\/Test.*\.compose\.yml$/.test(f)).length >= 29);
});

for (const { rel, expectation, args } of corpusCases) {
  const cwd = path.dirname(path.join(corpusDir, rel));

  if (expectation.kind === "fails") {
    test(`corpus: ${rel} fails with one located error (${expectation.reason})`, () => {
      assertLocatedFailure(run(rel, [...args, "--format", "json", "-o", "-"], expectation.env), cwd, expectation.message, expectation.wholeFile);
      // the nix output path fails the same way
      assertLocatedFailure(run(rel, [...args, "--format", "nix", "-o", "-"], expectation.env), cwd, expectation.message, expectation.wholeFile);
    });
    continue;
  }

  test(`corpus: ${rel} loads`, () => {
    const json = run(rel, [...args, "--format", "json", "-o", "-"], expectation.env);
    assert.is(json.crashed, undefined, `crashed:\n${json.stderr}`);
    assert.is(json.code, 0, `exit code; stderr:\n${json.stderr}`);
    assert.equal(errorLines(json.stderr), []);
    const parsed = JSON.parse(json.stdout) as { compositions: Record<string, Spec> };
    const specs = Object.values(parsed.compositions);
    assert.is(specs.length, 1, "one composition");
    const spec = specs[0]!;
    const services = Object.keys(spec.services);
    if (expectation.services !== undefined) assert.is(services.length, expectation.services, `services: ${services.join(", ")}`);
    else assert.ok(services.length >= 1, "at least one service");
    SPEC_CHECKS[rel]?.(spec);

    const nix = run(rel, [...args, "--format", "nix", "-o", "-"], expectation.env);
    assert.is(nix.crashed, undefined, `crashed:\n${nix.stderr}`);
    assert.is(nix.code, 0, `exit code of --format nix; stderr:\n${nix.stderr}`);
    assert.equal(errorLines(nix.stderr), []);
    assert.ok(nix.stdout.startsWith("# Generated by khepri"), nix.stdout.slice(0, 200));
    for (const [name, service] of Object.entries(spec.services)) {
      const container = service.containerName ?? `${spec.name}-${name}`;
      assert.ok(nix.stdout.includes(`virtualisation.oci-containers.containers.${container} =`) || nix.stdout.includes(`virtualisation.oci-containers.containers."${container}" =`), `the module declares container ${container}`);
    }
  });
}

test.run();
