// compose-go's override/merge_*_test.go cases (../shared/conformance/merge-cases.json):
// canonicalize base, override and expected, merge, and compare through the model.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { canonicalizeProject } from "../src/load/canonical.ts";
import { mergeProjects, mergeService, resolveTags } from "../src/load/merge.ts";
import { positionOf, type RawMap } from "../src/load/raw.ts";
import { parseYaml } from "../src/load/yaml.ts";
import { Project } from "../src/model/index.ts";
import { hasShared, sharedPath, skipUnless } from "./support/shared.ts";

interface MergeCase {
  file: string;
  line: number;
  test: string;
  base: string;
  override: string;
  expected: string;
}

const load = (text: string, file: string) => canonicalizeProject(parseYaml(text, file) as RawMap, file);

/**
 * Both sides through the model, so equivalent spellings compare equal. A few
 * cases are not valid compose (compose-go's merge tests do not validate: a
 * `build.platform` key, ulimits with only `soft`); there the merged raw trees
 * must be equal and the model must reject both for the same reasons.
 */
function compareThroughModel(actual: RawMap, expected: RawMap) {
  const want = Project.safeParse(expected);
  const got = Project.safeParse(actual);
  if (want.success) {
    assert.ok(got.success, JSON.stringify(got.error?.issues));
    assert.equal(got.data, want.data);
    return;
  }
  assert.not.ok(got.success, "the expected tree is invalid, so the merged one should be too");
  assert.equal(got.error?.issues.map((i) => i.path), want.error.issues.map((i) => i.path));
  assert.equal(JSON.parse(JSON.stringify(actual)), JSON.parse(JSON.stringify(expected)));
}

if (!skipUnless(hasShared, "merge conformance", "../shared/conformance is not there")) {
  const cases = JSON.parse(readFileSync(sharedPath("conformance", "merge-cases.json"), "utf8")) as MergeCase[];
  for (const c of cases) {
    test(`${c.test} (${c.file}:${c.line})`, () => {
      const merged = resolveTags(mergeProjects(load(c.base, "base.yaml"), load(c.override, "override.yaml")));
      compareThroughModel(merged, resolveTags(load(c.expected, "expected.yaml")));
    });
  }
}

// ------------------------------------------------------------------ beyond the table: tags, nulls, positions

const merge = (base: string, override: string) =>
  resolveTags(mergeProjects(load(base, "base.yaml"), load(override, "override.yaml")));
const web = (doc: RawMap) => (doc.services as RawMap).web as RawMap;

test("!reset removes a key, or one entry of a map", () => {
  const doc = merge(
    "services:\n  web:\n    image: a\n    build: .\n    environment: {FOO: bar, KEEP: x}\n",
    "services:\n  web:\n    build: !reset\n    environment:\n      FOO: !reset\n",
  );
  assert.equal(web(doc), { image: "a", environment: { KEEP: "x" } });
});

test("!override replaces instead of merging", () => {
  const doc = merge(
    "services:\n  web:\n    ports: ['80:80', '443:443']\n    environment: {A: '1'}\n",
    "services:\n  web:\n    ports: !override ['8080:80']\n    environment: !override {B: '2'}\n",
  );
  assert.equal(web(doc).ports, [{ target: 80, published: "8080", protocol: "tcp" }]);
  assert.equal(web(doc).environment, { B: "2" });
});

test("tags in a single file are resolved", () => {
  const doc = resolveTags(load("services:\n  web:\n    image: !override a\n    command: !reset x\n", "c.yaml"));
  assert.equal(web(doc), { image: "a" });
});

test("null keeps the base value; command null replaces", () => {
  const doc = merge("services:\n  web:\n    image: a\n    command: [x]\n    dns: [1.1.1.1]\n", "services:\n  web:\n    image:\n    command:\n    dns:\n");
  assert.equal(web(doc), { image: "a", command: null, dns: ["1.1.1.1"] });
});

test("environment: an override to null (unset) wins", () => {
  const doc = merge("services:\n  web:\n    environment: {A: '1'}\n", "services:\n  web:\n    environment: [A]\n");
  assert.equal(web(doc).environment, { A: null });
});

test("ports: same binding once; volumes and secrets by target", () => {
  const doc = merge(
    "services:\n  web:\n    ports: ['80:80']\n    volumes: ['./a:/data']\n    secrets: [s]\n",
    "services:\n  web:\n    ports: ['80:80', '81:81']\n    volumes: ['vol:/data']\n    secrets: [{source: t, target: /run/secrets/s}]\n",
  );
  assert.equal(web(doc).ports, [
    { target: 80, published: "80", protocol: "tcp" },
    { target: 81, published: "81", protocol: "tcp" },
  ]);
  assert.equal(web(doc).volumes, [{ type: "volume", source: "vol", target: "/data", volume: {} }]);
  assert.equal(web(doc).secrets, [{ source: "t", target: "/run/secrets/s" }]);
});

test("merged values keep the position they came from", () => {
  const doc = merge("services:\n  web:\n    image: a\n    ports: ['80:80']\n", "services:\n  web:\n    image: b\n    ports: ['81:81']\n");
  const w = web(doc);
  assert.equal(positionOf(w, "image"), { file: "override.yaml", line: 3, col: 12 });
  assert.equal(positionOf(w.ports as object, 0)?.file, "base.yaml");
  assert.equal(positionOf(w.ports as object, 1)?.file, "override.yaml");
});

test("a map over a list is an error at the override", () => {
  assert.throws(
    () => merge("services:\n  web:\n    security_opt: [a]\n", "services:\n  web:\n    security_opt: {a: b}\n"),
    (e: Error) => e.message === "override.yaml:3:19: services.web.security_opt: cannot merge a map over a list",
  );
});

test("extends: mergeService uses the service rules", () => {
  const base = (load("services:\n  b:\n    image: a\n    command: [x, y]\n    cap_add: [A]\n", "b.yaml").services as RawMap).b as RawMap;
  const own = (load("services:\n  s:\n    command: z\n    cap_add: [A, B]\n", "s.yaml").services as RawMap).s as RawMap;
  assert.equal(mergeService(base, own), { image: "a", command: "z", cap_add: ["A", "B"] });
});

test.run();
