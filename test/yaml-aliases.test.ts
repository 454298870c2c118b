// Aliases as the yaml-package reader (src/load/yaml.ts) resolves them from its own record of
// anchors: each alias is the latest anchor of its name written before it, as YAML says and as the
// yaml package's own toJS() has it, also when an anchor is redefined or met again inside an alias.
import { parseDocument } from "yaml";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseYamlDocuments } from "../src/load/yaml.ts";

const CASES: [string, string][] = [
  ["a redefined anchor", "p: &z 1\nq: *z\nr: &z 2\ns: *z\n"],
  ["an anchor met again inside an alias's copy", "a: &x {b: &y 1}\nc: &y 2\nd: *x\ne: *y\n"],
  ["merge keys and a list of aliases", "x: &base {k: 1, l: 2}\ny: &more {m: 3}\nsvc:\n  <<: [*base, *more]\n  k: 9\n"],
  ["an anchored key", "&k name: v\nother: *k\n"],
  ["nested anchors used later", "top: &t\n  inner: &i [1, 2]\nuse: *i\nall: *t\n"],
];
for (const [name, text] of CASES) {
  test(`alias: ${name}`, () => {
    const [ours] = parseYamlDocuments(text, "compose.yaml");
    assert.equal(JSON.parse(JSON.stringify(ours)), parseDocument(text, { merge: true }).toJS());
  });
}

test("an unknown alias is a located error", () => {
  assert.throws(() => parseYamlDocuments("a: *nope\n", "compose.yaml"), /unknown YAML alias|nope/);
});

test.run();
