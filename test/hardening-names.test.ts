// What reaches systemd and the reviewed module (issue 14 "Names that reach systemd"): network and
// volume names become unit names and runtime arguments, so they are held to the engines' rule with
// a located error; control and invisible characters in values are written visibly.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { LOCATED_ERROR, runCli } from "./support/convert.ts";

const root = mkdtempSync(path.join(tmpdir(), "khepri-names-"));
test.after(() => rmSync(root, { recursive: true, force: true }));

function convert(compose: string, args: string[] = []) {
  const dir = mkdtempSync(path.join(root, "case-"));
  writeFileSync(path.join(dir, "compose.yaml"), compose);
  return runCli(["convert", "-q", "-f", "compose.yaml", "-o", "-", ...args], { cwd: dir });
}

const uses = "services:\n  web:\n    image: nginx\n    networks: [n]\n    volumes:\n      - vol:/data\n";
const NAME_RULE = "a letter or digit, then letters, digits, '_', '.' and '-'";

/** [name, compose file, the error expected: line:col, key path, the name quoted]. */
const refused: [string, string, string][] = [
  ["a network name with a unit file section in it", uses + 'networks:\n  n:\n    name: "x\\n[Service]\\nExecStartPre=/bin/sh"\nvolumes:\n  vol: {}\n', '9:11: networks.n.name: "x\\n[Service]\\nExecStartPre=/bin/sh" is not a network name'],
  ["a volume name with a newline", uses + 'networks:\n  n: {}\nvolumes:\n  vol:\n    name: "y\\n[Unit]"\n', '11:11: volumes.vol.name: "y\\n[Unit]" is not a volume name'],
  ["an external network whose key starts with '-' (an option to the runtime)", "services:\n  web:\n    image: nginx\n    networks: [-x]\nnetworks:\n  -x:\n    external: true\n", '7:5: networks.-x: "-x" is not a network name'],
  ["a network name with a space", uses + 'networks:\n  n:\n    name: "a b"\nvolumes:\n  vol: {}\n', '9:11: networks.n.name: "a b" is not a network name'],
];
for (const [name, compose, expected] of refused) {
  test(`refused, located: ${name}`, () => {
    for (const runtime of ["podman", "docker"]) {
      const r = convert(compose, ["--runtime", runtime]);
      assert.is(r.code, 1, r.stderr);
      const line = r.stderr.trimEnd();
      assert.ok(LOCATED_ERROR.test(line), line);
      assert.is(line, `error: compose.yaml:${expected} the runtime accepts: ${NAME_RULE}`);
      assert.is(r.stdout, "");
    }
  });
}

// The rootless user becomes systemd's User= and podman.user: a newline would add unit file lines.
const USER_RULE = "a letter or '_', then up to 31 letters, digits, '_', '.' and '-'";
test("a podman user with a unit file section in it is refused: spec (located) and --podman-user", () => {
  const dir = mkdtempSync(path.join(root, "case-"));
  writeFileSync(path.join(dir, "spec.json"), JSON.stringify({ compositions: { app: { podmanUser: "alice\n[Service]\nExecStartPre=/bin/sh", services: { web: { image: "nginx" } } } } }));
  const spec = runCli(["convert", "-q", "--spec", "spec.json", "-o", "-"], { cwd: dir });
  assert.is(spec.code, 1, spec.stderr);
  assert.is(spec.stderr.trimEnd(), `error: spec.json:1:38: compositions.app.podmanUser: "alice\\n[Service]\\nExecStartPre=/bin/sh" is not a user name: ${USER_RULE}`);
  const web = "services:\n  web:\n    image: nginx\n";
  const flag = convert(web, ["--runtime", "podman", "--podman-user", "alice\n[Service]"]);
  assert.is(flag.code, 2, flag.stderr);
  assert.match(flag.stderr, `--podman-user "alice\\n[Service]" is not a user name: ${USER_RULE}`);
  const alice = convert(web, ["--runtime", "podman", "--podman-user", "alice"]);
  assert.is(alice.code, 0, alice.stderr);
});

// --check-systemd-mounts lists bind sources in RequiresMountsFor, a space-separated unit file list.
test("RequiresMountsFor: a bind source with a newline or quote is left out with a warning, a space is quoted, % is escaped", () => {
  const r = convert('services:\n  web:\n    image: nginx\n    volumes:\n      - "/srv/a\\nRequires=evil.service:/x"\n      - "/srv/q\\"uote:/q"\n      - "/mnt/My Media:/y"\n      - "/srv/100%:/z"\n', ["--check-systemd-mounts"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /RequiresMountsFor = \[\s*"\\"\/mnt\/My Media\\""\s*"\/srv\/100%%"\s*\];/);
  assert.is((r.stderr.match(/is left out of RequiresMountsFor/g) ?? []).length, 2, r.stderr);
});

// The header comment names the compose files: a newline in a file name would end the comment and
// go on as Nix code, a bidi override would hide what the name says. The printer writes every
// line of a comment with its own `#` and shows invisible characters as \uXXXX.
test("a compose file name with a newline and a bidi override stays inside the header comment, visibly", () => {
  const dir = mkdtempSync(path.join(root, "case-"));
  const name = "web\n} { x = 1;\u202e.yaml";
  writeFileSync(path.join(dir, name), "services:\n  web:\n    image: nginx\n");
  const r = runCli(["convert", "-q", "-f", name, "-o", "-"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const [first, second, next] = r.stdout.split("\n");
  assert.match(first!, /^# Generated by khepri \S+ from web$/);
  assert.is(second, "# } { x = 1;\\u202e.yaml. Re-run khepri rather than editing this file.");
  assert.is(next, "{");
});

test("names the engines accept still convert (dots, dashes, underscores, a single character)", () => {
  const r = convert(uses + "networks:\n  n:\n    name: my.net_1-a\nvolumes:\n  vol:\n    name: v\n");
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /podman-network-my\.net_1-a/);
  assert.match(r.stdout, /podman-volume-v/);
});

// Control, bidirectional and zero-width characters have no Nix escape: each is written as
// `${builtins.fromJSON ''"\uXXXX"''}` (test/nix-string-roundtrip.test.ts has Nix read them back).
const INVISIBLE = /[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|[\u{e0000}-\u{e007f}]/u;
const values: [string, string, string[]][] = [
  ["right-to-left override and zero width space in a one-line value", '"admin\\u202e\\u200bnimda"', ['"admin${builtins.fromJSON \'\'"\\u202e"\'\'}${builtins.fromJSON \'\'"\\u200b"\'\'}nimda"']],
  ["ESC in a one-line value", '"x\\e[31mRED"', ['"x${builtins.fromJSON \'\'"\\u001b"\'\'}[31mRED"']],
  ["ESC in a multi-line value", '"a\\nb\\e[0m$"', ['b${builtins.fromJSON \'\'"\\u001b"\'\'}[0m$']],
  ["a $ right before an invisible character (it must not read as $${)", '"$\\u202e"', ['"\\$${builtins.fromJSON \'\'"\\u202e"\'\'}"']],
  ["soft hyphen and tag characters (hidden text) in a one-line value", '"ad\\u00admin\\U000E0041\\U000E007F"', ['"ad${builtins.fromJSON \'\'"\\u00ad"\'\'}min${builtins.fromJSON \'\'"\\udb40\\udc41"\'\'}${builtins.fromJSON \'\'"\\udb40\\udc7f"\'\'}"']],
  ["a tag character in a multi-line value", '"a\\nb\\U000E0041"', ['b${builtins.fromJSON \'\'"\\udb40\\udc41"\'\'}']],
];
for (const [name, yamlValue, expected] of values) {
  test(`written visibly: ${name}`, () => {
    const r = convert(`services:\n  web:\n    image: nginx\n    environment:\n      A: ${yamlValue}\n    labels:\n      ${yamlValue}: x\n`);
    assert.is(r.code, 0, r.stderr);
    assert.not.ok(INVISIBLE.test(r.stdout), JSON.stringify(INVISIBLE.exec(r.stdout)?.[0]));
    for (const text of expected) assert.ok(r.stdout.includes(text), `${text} in\n${r.stdout}`);
  });
}

test.run();
