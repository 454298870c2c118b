// Bad input, as a user meets it: every failure is one clear line naming the file, line, column and
// key path (`error: compose.yaml:4:12: services.web.ports: ...`), exit 1, no stack trace, and the
// output file is neither written nor truncated. Unknown keys are errors except x-*.
//
// 1. test/fixtures/bad-input/<case>/: a malformed compose.yaml (and siblings), expected.txt with the
//    exact stderr line (paths relative to the case's directory; <dir> stands for that directory when a
//    message spells it out), args.txt with the arguments replacing `-f compose.yaml` when needed.
// 2. Mistakes injected at run time into the real awesome-compose stacks of ../shared/corpus: a
//    misspelled key, a value of the wrong type, a broken port; the error must point at that line.
// 3. For unknown keys and wrong types, the Compose spec's own JSON Schema must agree (reject too).
import fg from "fast-glob";
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse as parseYamlPlain } from "yaml";
import { formatKeyPath } from "../src/diagnostics/index.ts";
import { LOCATED_ERROR, STACK_FRAME, copySiblings, errorLines, makeTempDir, removeDir, runCli, type CliResult } from "./support/convert.ts";
import { validateJsonSchema, type JsonSchema } from "./support/json-schema.ts";
import { mutationsOf, type Mutation, type MutationKind } from "./support/mutate.ts";
import { hasShared, repoRoot, sharedPath, skipUnless } from "./support/shared.ts";

const fixturesDir = path.join(repoRoot, "test", "fixtures", "bad-input");
const schemaFile = sharedPath("conformance", "compose-spec.schema.json");
const haveSchema = hasShared && existsSync(schemaFile);
const schema: JsonSchema | undefined = haveSchema ? (JSON.parse(readFileSync(schemaFile, "utf8")) as JsonSchema) : undefined;
const awesomeDir = sharedPath("corpus", "awesome-compose");
const haveAwesome = hasShared && existsSync(awesomeDir);

const SENTINEL = "# sentinel: an earlier, good docker-compose.nix that a failed run must leave alone\n";

interface Case {
  about: string;
  /** why this error line has no key path (the format check is relaxed for it) */
  noKeyPath?: string;
  /** why this error line has no file:line:col (only the file name is required then) */
  unlocated?: string;
  /** the JSON Schema's verdict on the same document, when it is about unknown keys or types */
  schema?: { rejects: boolean; why: string };
}

const CASES: Record<string, Case> = {
  "yaml-syntax": {
    about: "YAML syntax error (an unquoted `: ` inside a value)",
    noKeyPath: "the YAML parser stops before any key path is known",
  },
  "duplicate-key": { about: "a key given twice in one mapping" },
  "unknown-service-key": {
    about: "typo in a service key (imagee)",
    schema: { rejects: true, why: "service has additionalProperties: false" },
  },
  "unknown-top-level-key": {
    about: "typo in a top-level key (servces)",
    schema: { rejects: true, why: "the top level has additionalProperties: false" },
  },
  "unknown-nested-key": {
    about: "typo deep inside deploy.resources.limits",
    schema: { rejects: true, why: "deploy.resources.limits has additionalProperties: false" },
  },
  "object-prototype-key": {
    about: "a key that is also a name every JS object has (hasOwnProperty) inside deploy",
    schema: { rejects: true, why: "deploy has additionalProperties: false" },
  },
  "ports-wrong-type": {
    about: "ports: 5 (a number where a list is needed)",
    schema: { rejects: true, why: "ports is type array" },
  },
  "command-wrong-type": {
    about: "command: a mapping",
    schema: { rejects: true, why: "command is null, a string or a list of strings" },
  },
  "bad-ulimit-name": {
    about: "ulimits: NOFILE (ulimit names are lower case)",
    schema: {
      rejects: false,
      why: "the schema's ulimits has patternProperties ^[a-z]+$ but no additionalProperties: false; docker refuses the name when the container starts (invalid ulimit type), khepri says so at conversion",
    },
  },
  "cpus-wrong-type": {
    about: "cpus: lots",
    schema: {
      rejects: false,
      why: "the schema types cpus as number or string (so ${CPUS} can be written); like docker compose, khepri rejects a string that is not a number after interpolation",
    },
  },
  "bad-port": { about: 'a port "80:abc"' },
  "bad-volume": { about: "a short volume spec with too many fields" },
  "bad-volume-relative-target": { about: "a bind mount whose container path is relative" },
  "duplicate-container-name": { about: "two services given one container_name (compose-go refuses it too)" },
  "bind-without-source": { about: "a long-syntax bind mount without a source" },
  "unterminated-quote": { about: "a string command with an unterminated quote" },
  "bad-duration": { about: "healthcheck interval `5 minutes`" },
  "bad-restart": { about: "restart: sometimes" },
  "undefined-network": { about: "a service on a network that is not declared" },
  "undefined-volume": { about: "a service using a named volume that is not declared" },
  "undefined-secret": { about: "a service using a secret that is not declared" },
  "depends-on-unknown": { about: "depends_on a service that does not exist" },
  "depends-on-cycle": { about: "web -> api -> web" },
  "extends-cycle": { about: "a extends b extends a" },
  "missing-extends-file": { about: "extends from a file that does not exist" },
  "required-variable": { about: "${NGINX_TAG:?message} with NGINX_TAG unset" },
  "invalid-interpolation": { about: "an unterminated ${" },
  "malformed-dotenv": {
    about: "a .env line that is not KEY=value",
    noKeyPath: "a .env file has lines, not key paths; the line is named",
  },
  "missing-file": {
    about: "-f names a file that does not exist",
    unlocated: "there is no file, so no line to point at; the message names the file",
  },
  "invalid-project-name": { about: "name: My Project!" },
  "no-image-or-build": { about: "a service with neither image nor build" },
};

/**
 * Runs the CLI in a scratch directory (filled by `setup`) with `-o out.nix` pre-filled with a
 * sentinel; `untouched()` then checks that nothing was written, truncated, created or removed.
 */
function runFailing(
  setup: (dir: string) => void,
  args: string[],
  env: Record<string, string> = {},
): { result: CliResult; dir: string; untouched: () => string[] } {
  const dir = makeTempDir("khepri-bad-input-");
  setup(dir);
  writeFileSync(path.join(dir, "out.nix"), SENTINEL);
  const before = readdirSync(dir).sort();
  const result = runCli(["convert", ...args, "-o", "out.nix"], { cwd: dir, env });
  const untouched = () => {
    const problems: string[] = [];
    if (readFileSync(path.join(dir, "out.nix"), "utf8") !== SENTINEL) problems.push("out.nix was overwritten");
    const after = readdirSync(dir).sort();
    if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`files were created or removed: ${before.join(" ")} -> ${after.join(" ")}`);
    return problems;
  };
  return { result, dir, untouched };
}

const copyOf = (from: string) => (dir: string) => cpSync(from, dir, { recursive: true });
const writing = (files: Record<string, string>) => (dir: string) => {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
};

function assertCleanFailure(result: CliResult) {
  assert.is(result.crashed, undefined, `crashed with a stack trace:\n${result.stderr}`);
  assert.not.match(result.stderr, STACK_FRAME, "no stack trace");
  assert.is(result.code, 1, `exit code 1; stderr:\n${result.stderr}`);
  assert.is(result.stdout, "", "nothing on stdout");
  const lines = result.stderr.split("\n").filter(Boolean);
  assert.is(lines.length, 1, `one line on stderr:\n${result.stderr}`);
  assert.equal(errorLines(result.stderr), lines, "and it is an error line");
}

/** The error names a place that exists: a line of the named file. */
function assertPlaceExists(line: string, cwd: string) {
  const m = /^error: ([^:\n]+):(\d+):(\d+): /.exec(line);
  assert.ok(m, `error: <file>:<line>:<col>: ..., got:\n${line}`);
  const file = path.resolve(cwd, m![1]!);
  assert.ok(existsSync(file), `${m![1]} exists`);
  const count = readFileSync(file, "utf8").split("\n").length;
  assert.ok(Number(m![2]) >= 1 && Number(m![2]) <= count, `line ${m![2]} is inside ${m![1]} (${count} lines)`);
}

// ---- 1. fixtures -------------------------------------------------------------------------------

const fixtureNames = existsSync(fixturesDir)
  ? fg.sync("*", { cwd: fixturesDir, onlyDirectories: true }).sort()
  : [];

test("bad-input: the fixture directories are exactly the table's cases", () => {
  assert.equal(fixtureNames, Object.keys(CASES).sort());
  for (const name of fixtureNames) assert.ok(existsSync(path.join(fixturesDir, name, "expected.txt")), `${name}/expected.txt`);
});

for (const [name, c] of Object.entries(CASES)) {
  const dir = path.join(fixturesDir, name);
  test(`bad-input: ${name}: ${c.about}`, () => {
    const expected = readFileSync(path.join(dir, "expected.txt"), "utf8").trimEnd();
    const argsFile = path.join(dir, "args.txt");
    const args = existsSync(argsFile) ? readFileSync(argsFile, "utf8").split("\n").filter(Boolean) : ["-f", "compose.yaml"];
    const { result, dir: scratch, untouched } = runFailing(copyOf(dir), args);
    try {
      assertCleanFailure(result);
      const line = result.stderr.trimEnd().split(scratch).join("<dir>");
      assert.is(line, expected);
      if (c.unlocated) {
        assert.match(line, /does-not-exist\.yaml/, "names the missing file");
      } else if (c.noKeyPath) {
        assertPlaceExists(line, scratch);
      } else {
        assert.match(line, LOCATED_ERROR, "error: <file>:<line>:<col>: <key.path>: <message>");
        assertPlaceExists(line, scratch);
      }
      assert.equal(untouched(), [], "out.nix and the directory are untouched");
    } finally {
      removeDir(scratch);
    }
  });
}

test("bad-input: a failing --format json run leaves its output file alone too", () => {
  const { result, dir, untouched } = runFailing(copyOf(path.join(fixturesDir, "bad-port")), ["-f", "compose.yaml", "--format", "json"]);
  try {
    assertCleanFailure(result);
    assert.equal(untouched(), []);
  } finally {
    removeDir(dir);
  }
});

// ---- unknown keys: errors, except x-* ----------------------------------------------------------

const WITH_EXTENSIONS = `x-common: &common
  restart: always
services:
  web:
    <<: *common
    image: nginx:1.27
    x-owner: web team
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost/"]
      x-note: checked by the load balancer too
    networks:
      front:
        x-weight: 2
networks:
  front:
    x-vlan: 12
volumes:
  data:
    x-backup: nightly
`;

test("bad-input: x-* keys are accepted at every level (and the schema agrees)", () => {
  const dir = makeTempDir("khepri-x-keys-");
  try {
    writeFileSync(path.join(dir, "compose.yaml"), WITH_EXTENSIONS);
    const result = runCli(["convert", "-f", "compose.yaml", "--format", "json"], { cwd: dir, env: {} });
    assert.is(result.code, 0, result.stderr);
    assert.equal(errorLines(result.stderr), []);
    const spec = JSON.parse(result.stdout) as { compositions: Record<string, { services: Record<string, { restart?: string }> }> };
    assert.is(Object.values(spec.compositions)[0]!.services.web!.restart, "always", "the x-common anchor was merged in");
    if (schema) assert.equal(validateJsonSchema(schema, parseYamlPlain(WITH_EXTENSIONS, { merge: true })), []);
  } finally {
    removeDir(dir);
  }
});

for (const [where, text, keyPath] of [
  ["a service", WITH_EXTENSIONS.replace("x-owner:", "owner:"), "services.web.owner"],
  ["a healthcheck", WITH_EXTENSIONS.replace("x-note:", "note:"), "services.web.healthcheck.note"],
  ["a service's network entry", WITH_EXTENSIONS.replace("x-weight:", "weight:"), "services.web.networks.front.weight"],
  ["a network", WITH_EXTENSIONS.replace("x-vlan:", "vlan:"), "networks.front.vlan"],
  ["a volume", WITH_EXTENSIONS.replace("x-backup:", "backup:"), "volumes.data.backup"],
  ["the top level", WITH_EXTENSIONS.replace("x-common:", "common:"), "common"],
] as const) {
  test(`bad-input: the same key without x- is an error in ${where}`, () => {
    const { result, dir, untouched } = runFailing(writing({ "compose.yaml": text }), ["-f", "compose.yaml"]);
    try {
      assertCleanFailure(result);
      const m = LOCATED_ERROR.exec(result.stderr.trimEnd());
      assert.ok(m, result.stderr);
      assert.is(m!.groups!.path, keyPath);
      assert.match(m!.groups!.message!, /unknown key/);
      assert.equal(untouched(), []);
      if (schema) {
        const errors = validateJsonSchema(schema, parseYamlPlain(text, { merge: true }));
        assert.ok(
          errors.some((e) => formatKeyPath(e.path) === keyPath),
          `the JSON Schema rejects ${keyPath} too: ${JSON.stringify(errors)}`,
        );
      }
    } finally {
      removeDir(dir);
    }
  });
}

// ---- 3. schema agreement for the fixtures ------------------------------------------------------

test("bad-input: the compose-spec JSON Schema agrees on unknown keys and wrong types", () => {
  if (skipUnless(haveSchema, "bad-input: JSON Schema agreement", `${schemaFile} is absent`)) return;
  for (const [name, c] of Object.entries(CASES)) {
    if (!c.schema) continue;
    const text = readFileSync(path.join(fixturesDir, name, "compose.yaml"), "utf8");
    const errors = validateJsonSchema(schema!, parseYamlPlain(text));
    const keyPath = LOCATED_ERROR.exec(readFileSync(path.join(fixturesDir, name, "expected.txt"), "utf8").trimEnd())?.groups?.path;
    if (c.schema.rejects) {
      assert.ok(
        errors.some((e) => formatKeyPath(e.path) === keyPath),
        `${name}: the schema rejects ${keyPath} as khepri does (${c.schema.why}); schema errors: ${JSON.stringify(errors)}`,
      );
    } else {
      assert.equal(errors, [], `${name}: the schema accepts it (${c.schema.why})`);
    }
  }
});

// ---- 2. mistakes injected into real stacks -----------------------------------------------------

const awesomeFiles = haveAwesome ? fg.sync("*/compose.{yaml,yml}", { cwd: awesomeDir }).sort() : [];

/** Mutations that make the compose-spec schema fail too (the others are accepted as strings by it). */
const SCHEMA_REJECTS: Record<MutationKind, boolean> = {
  "misspelled-scalar-key": true,
  "misspelled-block-key": true,
  "list-for-string": true,
  "number-as-word": false,
  "broken-port": false,
};

interface Injected {
  stack: string;
  file: string;
  mutation: Mutation;
}

const injected: Injected[] = awesomeFiles.flatMap((rel) =>
  mutationsOf(readFileSync(path.join(awesomeDir, rel), "utf8")).map((mutation) => ({
    stack: path.dirname(rel),
    file: path.basename(rel),
    mutation,
  })),
);

test("bad-input: mistakes can be injected into every awesome-compose stack", () => {
  if (skipUnless(haveAwesome, "bad-input: injected mistakes", `${awesomeDir} is absent`)) return;
  assert.is(awesomeFiles.length, 39);
  const kinds: MutationKind[] = ["misspelled-scalar-key", "misspelled-block-key", "number-as-word", "list-for-string", "broken-port"];
  for (const kind of kinds) {
    const stacks = injected.filter((i) => i.mutation.kind === kind).length;
    assert.ok(stacks >= 30, `${kind}: applied to ${stacks} stacks`);
  }
  // the untouched files are valid, so the mistakes below are the only ones (and the schema accepts them)
  for (const rel of awesomeFiles) {
    const dir = makeTempDir("khepri-mutation-");
    try {
      copySiblings(path.join(awesomeDir, path.dirname(rel)), dir);
      const result = runCli(["convert", "-f", path.basename(rel), "-o", "out.nix", "-q"], { cwd: dir, env: { HOME: "/home/alice" } });
      assert.is(result.code, 0, `${rel} converts before any mistake is injected: ${result.stderr}`);
      if (schema) {
        const errors = validateJsonSchema(schema, parseYamlPlain(readFileSync(path.join(awesomeDir, rel), "utf8"), { merge: true }));
        assert.equal(errors, [], `${rel}: the compose-spec schema accepts the original`);
      }
    } finally {
      removeDir(dir);
    }
  }
});

for (const kind of Object.keys(SCHEMA_REJECTS) as MutationKind[]) {
  test(`bad-input: injected into real stacks: ${kind} gives one located error on that line`, () => {
    if (skipUnless(haveAwesome, `bad-input: injected ${kind}`, `${awesomeDir} is absent`)) return;
    const problems: string[] = [];
    for (const { stack, file, mutation } of injected.filter((i) => i.mutation.kind === kind)) {
      const { result: r, dir, untouched } = runFailing(
        (d) => {
          copySiblings(path.join(awesomeDir, stack), d);
          writeFileSync(path.join(d, file), mutation.text);
        },
        ["-f", file],
        { HOME: "/home/alice" },
      );
      try {
        const where = `${stack}/${file} (${mutation.description})`;
        const lines = r.stderr.split("\n").filter(Boolean);
        const m = lines.length === 1 ? LOCATED_ERROR.exec(lines[0]!) : null;
        const want = `${file}:${mutation.line}:*: ${formatKeyPath(mutation.keyPath)}: ${mutation.message.source}`;
        if (r.crashed || STACK_FRAME.test(r.stderr)) problems.push(`${where}: crashed:\n${r.stderr}`);
        else if (r.code !== 1) problems.push(`${where}: exit ${r.code}, want 1`);
        else if (!m) problems.push(`${where}: want one line "${want}", got:\n${r.stderr}`);
        else if (m.groups!.file !== file || Number(m.groups!.line) !== mutation.line || m.groups!.path !== formatKeyPath(mutation.keyPath) || !mutation.message.test(m.groups!.message!)) {
          problems.push(`${where}:\n    want ${want}\n    got  ${lines[0]}`);
        }
        for (const p of untouched()) problems.push(`${where}: ${p}`);
        if (schema && SCHEMA_REJECTS[kind]) {
          const errors = validateJsonSchema(schema, parseYamlPlain(mutation.text, { merge: true }));
          if (!errors.some((e) => formatKeyPath(e.path) === formatKeyPath(mutation.keyPath))) {
            problems.push(`${where}: the compose-spec schema does not reject ${formatKeyPath(mutation.keyPath)}: ${JSON.stringify(errors)}`);
          }
        }
      } finally {
        removeDir(dir);
      }
    }
    assert.ok(problems.length === 0, `${problems.length} of ${injected.filter((i) => i.mutation.kind === kind).length} stacks:\n${problems.join("\n")}`);
  });
}

test.run();
