// Where relative host paths land in a JSON spec composition (the module's input): the compose
// files' include/extends sources are found beside them, and host paths of an included or extended
// file are the same place under projectDirectory (the module copies only the compose files into
// the store); a file named by an absolute path was not copied, so its paths stay beside it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCli } from "./support/convert.ts";

const dir = mkdtempSync(path.join(tmpdir(), "khepri-spec-paths-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const files: Record<string, string> = {
  "src/compose.yaml": `include:\n  - sub/inc.yaml\n  - ${path.join(dir, "elsewhere/abs.yaml")}\nservices:\n  job:\n    extends: { file: templates/app.yaml, service: app }\n    volumes: ["./own:/own"]\n`,
  "src/sub/inc.yaml": `services:\n  inc:\n    image: nginx\n    volumes: ["./incdata:/data"]\n`,
  "src/templates/app.yaml": `services:\n  app:\n    image: nginx\n    volumes: ["./tpl:/tpl"]\n`,
  "elsewhere/abs.yaml": `services:\n  abs:\n    image: nginx\n    volumes: ["./absdata:/data"]\n`,
  "spec.json": JSON.stringify({ compositions: { app: { composeFile: "src/compose.yaml", projectDirectory: "/srv/app" } } }),
};
for (const [name, text] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  writeFileSync(path.join(dir, name), text);
}

test("include, extends and an absolutely named include: each file's relative binds where they belong", () => {
  const r = runCli(["convert", "-q", "--spec", "spec.json", "--format", "json", "-o", "-"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const services = (JSON.parse(r.stdout) as { compositions: { app: { services: Record<string, { volumes: { source: string }[] }> } } }).compositions.app.services;
  const sources = (name: string) => services[name]!.volumes.map((v) => v.source);
  assert.equal(sources("job"), ["/srv/app/templates/tpl", "/srv/app/own"]);
  assert.equal(sources("inc"), ["/srv/app/sub/incdata"]);
  assert.equal(sources("abs"), [path.join(dir, "elsewhere/absdata")]);
});

test.run();
