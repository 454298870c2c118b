// The zod model covers every key of the Compose JSON Schema (read from ../shared at run time).
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  Project,
  Service,
  definitionShapes,
  projectJsonSchema,
  splitShellWords,
  shellOperatorAt,
} from "../src/model/index.ts";
import { KhepriError } from "../src/diagnostics/index.ts";
import { parseYaml } from "../src/load/yaml.ts";
import { canonicalizeProject } from "../src/load/canonical.ts";
import type { RawMap } from "../src/load/raw.ts";
import { hasShared, sharedPath, skipUnless } from "./support/shared.ts";
import { validateProject } from "../src/normalize/validate.ts";

interface JsonSchema {
  properties?: Record<string, unknown>;
  definitions: Record<string, { properties?: Record<string, unknown> }>;
}

const keys = (o: object | undefined) => Object.keys(o ?? {}).sort();

/** The properties of a definition, looking into oneOf / items for the object form (env_file). */
function propertiesOf(def: unknown): Record<string, unknown> | undefined {
  if (typeof def !== "object" || def === null) return undefined;
  const d = def as { properties?: Record<string, unknown>; oneOf?: unknown[]; items?: unknown };
  if (d.properties) return d.properties;
  for (const sub of [...(d.oneOf ?? []), d.items]) {
    const found = propertiesOf(sub);
    if (found) return found;
  }
  return undefined;
}

for (const name of Object.keys(definitionShapes) as (keyof typeof definitionShapes)[]) {
  test(`every key of definitions.${name} is in the model`, () => {
    if (skipUnless(hasShared, `definitions.${name}`, "../shared/conformance is not there")) return;
    const schema = JSON.parse(readFileSync(sharedPath("conformance", "compose-spec.schema.json"), "utf8")) as JsonSchema;
    assert.equal(keys(definitionShapes[name]), keys(propertiesOf(schema.definitions[name])));
  });
}

test("project keys: the spec's, minus the loader's include/version", () => {
  if (skipUnless(hasShared, "project keys", "../shared/conformance is not there")) return;
  const schema = JSON.parse(readFileSync(sharedPath("conformance", "compose-spec.schema.json"), "utf8")) as JsonSchema;
  const spec = keys(schema.properties).filter((k) => k !== "include" && k !== "version");
  const model = Project.safeParse({});
  assert.ok(model.success);
  assert.equal(keys(model.data), spec.filter((k) => k !== "name"));
});

test("z.toJSONSchema works on the project", () => {
  const schema = projectJsonSchema() as { properties?: Record<string, unknown> };
  assert.ok(schema.properties?.services);
});

const parses = (value: unknown) => Service.safeParse(value).success;

test("scalars coerced from interpolated strings", () => {
  const s = Service.parse({ cpus: "0.5", read_only: "true", scale: "2", deploy: { replicas: "3" }, mem_limit: "1g" });
  assert.equal(s.cpus, 0.5);
  assert.equal(s.read_only, true);
  assert.equal(s.scale, 2);
  assert.equal(s.deploy?.replicas, 3);
  assert.equal(s.mem_limit, "1g");
});

const rejected: [string, unknown][] = [
  ["cpus: lots", { cpus: "lots" }],
  ["read_only: maybe", { read_only: "maybe" }],
  ["scale: 1.5", { scale: "1.5" }],
  ["stop_grace_period: 10", { stop_grace_period: "10" }],
  ["mem_limit: 1 gig", { mem_limit: "1 gig" }],
  ["unknown key", { imagee: "x" }],
  ["healthcheck interval", { healthcheck: { interval: "soon" } }],
];
for (const [name, value] of rejected) test(`rejects ${name}`, () => assert.not.ok(parses(value)));

const accepted: [string, unknown][] = [
  ["x- keys", { image: "a", "x-foo": { any: 1 } }],
  ["durations", { stop_grace_period: "1m30s", healthcheck: { interval: "1.5s", timeout: "0" } }],
  ["byte sizes", { shm_size: 67108864, mem_limit: "512m", memswap_limit: -1 }],
  ["null network", { networks: { front: null } }],
  ["command forms", { command: ["a"], entrypoint: "sh -c x" }],
];
for (const [name, value] of accepted) test(`accepts ${name}`, () => assert.ok(parses(value), JSON.stringify(Service.safeParse(value).error?.issues)));

test("defaults: port protocol, depends_on required, null resources", () => {
  const p = Project.parse({
    services: { web: { ports: [{ target: 80 }], depends_on: { db: { condition: "service_healthy" } } } },
    networks: { n: null },
    "x-top": 1,
  });
  assert.equal(p.services.web?.ports?.[0]?.protocol, "tcp");
  assert.equal(p.services.web?.depends_on?.db, { condition: "service_healthy", required: true });
  assert.equal(p.networks.n, {});
});

test("validateProject reports the position and key path", () => {
  const doc = canonicalizeProject(parseYaml("services:\n  web:\n    image: a\n    cpus: lots\n", "c.yaml") as RawMap, "c.yaml");
  try {
    validateProject(doc);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, KhepriError);
    assert.equal((e as Error).message, 'c.yaml:4:11: services.web.cpus: expected a number, got "lots"');
  }
});

test("validateProject names an unknown key", () => {
  const doc = parseYaml("services:\n  web:\n    imag: a\n", "c.yaml") as RawMap;
  assert.throws(() => validateProject(doc), (e: Error) => e.message === 'c.yaml:3:5: services.web.imag: unknown key "imag"; did you mean "image"?');
});

const words: [string, string[]][] = [
  ["echo hello world", ["echo", "hello", "world"]],
  [`sh -c "echo a && echo b"`, ["sh", "-c", "echo a && echo b"]],
  [`echo 'it''s' "" x`, ["echo", "its", "", "x"]],
  [`a\\ b c`, ["a b", "c"]],
  ["  lead  trail  ", ["lead", "trail"]],
  ["echo a; echo b", ["echo", "a"]],
];
for (const [line, argv] of words) test(`splitShellWords ${line}`, () => assert.equal(splitShellWords(line), argv));
test("splitShellWords: unterminated quote throws; operator position", () => {
  assert.throws(() => splitShellWords(`echo "oops`));
  assert.equal(shellOperatorAt("echo a | b"), 7);
  assert.equal(shellOperatorAt("echo 'a | b'"), -1);
});

test.run();
