// The spec vocabulary the NixOS module writes and the converter reads (src/load/spec.ts): the
// priority markers, `podmanUser`, and `--module-errors`, through the bundled converter.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { convert } from "./support/khepri-nix.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "khepri-nix-spec-"));
const compose = path.join(tmp, "compose.yaml");
writeFileSync(
  compose,
  `services:
  web:
    image: nginx:1
    hostname: from-compose
    ports: ["80:80", "443:443"]
    environment: {KEEP: "1", DROP: "1"}
    labels: {a: "1"}
`,
);

/** The normalized web service after the spec's `services.web` is merged over the compose file. */
function webAfter(web: unknown): Record<string, unknown> {
  const spec = path.join(tmp, "spec.json");
  writeFileSync(spec, JSON.stringify({ compositions: { app: { composeFiles: [compose], services: { web } } } }));
  const r = convert(["--spec", spec, "--format", "json", "-o", "-"]);
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).compositions.app.services.web;
}

const markers: { name: string; web: unknown; expect: Record<string, unknown>; absent?: string[] }[] = [
  { name: "a plain list is appended", web: { ports: ["8080:80"] }, expect: { ports: ["80:80", "443:443", "8080:80"] } },
  { name: "!override replaces a list", web: { ports: { "!override": ["8080:80"] } }, expect: { ports: ["8080:80"] } },
  { name: "!override replaces a map", web: { environment: { "!override": { NEW: "1" } } }, expect: { environment: { NEW: "1" } } },
  { name: "!override replaces a scalar", web: { image: { "!override": "nginx:2" } }, expect: { image: "nginx:2" } },
  { name: "!reset removes a key", web: { hostname: { "!reset": null }, labels: { "!reset": null } }, expect: {}, absent: ["hostname", "labels"] },
  { name: "!reset removes one map entry", web: { environment: { DROP: { "!reset": null }, ADDED: "1" } }, expect: { environment: { KEEP: "1", ADDED: "1" } } },
];

const ports = (v: unknown) => (Array.isArray(v) ? v.map((p: { published?: string; target: number }) => (typeof p === "string" ? p : `${p.published}:${p.target}`)) : v);

for (const row of markers) {
  test(`spec markers: ${row.name}`, () => {
    const web = webAfter(row.web);
    for (const [key, value] of Object.entries(row.expect)) assert.equal(key === "ports" ? ports(web[key]) : web[key], value, key);
    for (const key of row.absent ?? []) assert.is(web[key], undefined, key);
  });
}

test("--module-errors writes the error, located, instead of failing", () => {
  const spec = path.join(tmp, "bad.json");
  const out = path.join(tmp, "bad.nix");
  writeFileSync(spec, JSON.stringify({ compositions: { a: { services: { web: { image: "nginx", dependsOn: ["dbb"] } } } } }));
  const r = convert(["--spec", spec, "--module-errors", "-o", out]);
  assert.is(r.status, 0, r.stderr);
  const { khepriError } = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(khepriError.path, ["compositions", "a", "services", "web", "dependsOn", "dbb"]);
  assert.is(khepriError.file, spec);
  assert.match(khepriError.message, /depends on "dbb"/);
  // without the flag, the same input fails
  assert.is(convert(["--spec", spec, "-o", out]).status, 1);
});

test("two compositions with one container name: an error naming both", () => {
  const spec = path.join(tmp, "names.json");
  const web = { image: "nginx", containerName: "web" };
  writeFileSync(spec, JSON.stringify({ compositions: { a: { services: { web } }, b: { services: { web } } } }));
  const r = convert(["--spec", spec, "-o", path.join(tmp, "names.nix")]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /compositions\.b\.services\.web\.containerName: container name "web" is used twice: by composition a, service web and by composition b, service web/);
});

test("podmanUser: one composition rootless, the other not", () => {
  const spec = path.join(tmp, "rootless.json");
  writeFileSync(spec, JSON.stringify({ compositions: { a: { podmanUser: "alice", services: { web: { image: "nginx" } } }, b: { services: { web: { image: "nginx" } } } } }));
  const r = convert(["--spec", spec, "--no-setup", "-o", "-", "-q"]);
  assert.is(r.status, 0, r.stderr);
  /** The text of one top-level definition of the module. */
  const block = (start: string) => {
    const from = r.stdout.indexOf(start);
    assert.ok(from >= 0, start);
    return r.stdout.slice(from, r.stdout.indexOf("\n  };", from));
  };
  assert.match(block("virtualisation.oci-containers.containers.a-web"), /podman\.user = "alice";/);
  assert.not.match(block("virtualisation.oci-containers.containers.b-web"), /podman\.user/);
  assert.match(block("systemd.services.podman-network-a_default"), /User = "alice";/);
  assert.not.match(block("systemd.services.podman-network-b_default"), /User =/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
