// Names a user writes that every JavaScript object also has (`constructor`, `toString`,
// `hasOwnProperty`, `valueOf`): as references they are undeclared like any other name, as
// declarations they are ordinary names, as variables they are unset. Each case once with each
// name; before src/model/own.ts several of them crashed (exit 70) or were taken as declared.
// `__proto__` is refused wherever it is, with its line and column (src/load/raw.ts's
// refuseProtoName): assigned, it replaces an object's prototype, and the entry would vanish. So it
// is in an env file whose variables khepri reads (before, `Object.assign` dropped the variable).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeTempDir, removeDir, runCli, STACK_FRAME, type CliResult } from "./support/convert.ts";

const NAMES = ["constructor", "toString", "hasOwnProperty", "valueOf"];

interface Case {
  about: string;
  /** the compose file, `NAME` standing for the name */
  compose: string;
  /** a .env beside it, if any */
  dotenv?: string;
  /** more arguments to `khepri convert` (`NAME` standing for the name) */
  args?: string[];
  /** the error names no place in a file (it is about an argument) */
  unlocated?: boolean;
  /** what stderr's error line says (the conversion fails with exit 1), or undefined: it succeeds */
  error?: RegExp;
  /** what the module holds when it succeeds */
  module?: RegExp;
}

const service = (lines: string) => `services:\n  web:\n    image: nginx:1.27\n${lines}`;

const CASES: Case[] = [
  { about: "depends_on an undeclared service", compose: service("    depends_on: [NAME]\n"), error: /depends on "NAME", which is not defined/ },
  { about: "network_mode service: an undeclared service", compose: service('    network_mode: "service:NAME"\n'), error: /depends on "NAME", which is not defined/ },
  { about: "volumes_from an undeclared service", compose: service("    volumes_from: [NAME]\n"), error: /depends on "NAME", which is not defined/ },
  { about: "links to an undeclared service", compose: service("    links: [NAME]\n"), error: /depends on "NAME", which is not defined/ },
  { about: "an undeclared network", compose: service("    networks: [NAME]\n"), error: /refers to undefined network "NAME"/ },
  { about: "an undeclared volume", compose: service('    volumes: ["NAME:/data"]\n'), error: /refers to undefined volume "NAME"/ },
  { about: "an undeclared secret", compose: service("    secrets: [NAME]\n"), error: /refers to undefined secret "NAME"/ },
  { about: "an undeclared config", compose: service("    configs: [NAME]\n"), error: /refers to undefined config "NAME"/ },
  { about: "extends an undeclared service", compose: service("    extends: { service: NAME }\n"), error: /service "NAME" not found/ },
  { about: "an unknown key inside deploy", compose: service("    deploy:\n      NAME: 1\n"), error: /unknown key "NAME"/ },
  { about: "--service naming an undeclared service", compose: service(""), args: ["--service", "NAME"], error: /unknown service "NAME" \(given with --service\)/, unlocated: true },
  {
    about: "a service, network and volume declared with the name",
    compose: "services:\n  NAME:\n    image: nginx:1.27\n    networks: [NAME]\n    volumes: [\"NAME:/data\"]\n  web:\n    image: nginx:1.27\n    depends_on: [NAME]\nnetworks:\n  NAME: {}\nvolumes:\n  NAME: {}\n",
    module: /"?test-NAME"? = \{/,
  },
  { about: "an unset variable with a default", compose: service('    environment:\n      A: "${NAME:-fallback}"\n'), module: /A = "fallback";/ },
  { about: "an unset variable in .env with a default", compose: service("    environment:\n      A: ${FROM_DOTENV}\n"), dotenv: "FROM_DOTENV=${NAME:-dotenv-fallback}\n", module: /A = "dotenv-fallback";/ },
];

/** `khepri convert -o -` and `args` in a fresh directory holding `files`. */
function convertIn(files: Record<string, string>, args: string[] = []): CliResult {
  const dir = makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    return runCli(["convert", "-o", "-", ...args], { cwd: dir });
  } finally {
    removeDir(dir);
  }
}

for (const c of CASES) {
  test(c.about, () => {
    for (const name of NAMES) {
      const files: Record<string, string> = { "compose.yaml": c.compose.replaceAll("NAME", name) };
      if (c.dotenv) files[".env"] = c.dotenv.replaceAll("NAME", name);
      const r = convertIn(files, ["-p", "test", ...(c.args ?? []).map((a) => a.replaceAll("NAME", name))]);
      const what = `${c.about} (${name})`;
      assert.not.ok(r.crashed, `${what}: crashed\n${r.stderr}`);
      assert.not.match(r.stderr, STACK_FRAME, `${what}: a stack trace`);
      if (c.error) {
        assert.is(r.code, 1, `${what}: exit code; stderr:\n${r.stderr}`);
        const where = c.unlocated ? "" : "compose\\.yaml:\\d+:\\d+: .*";
        assert.match(r.stderr, new RegExp(`^error: ${where}${c.error.source.replaceAll("NAME", name)}`, "m"), what);
      } else {
        assert.is(r.code, 0, `${what}: exit code; stderr:\n${r.stderr}`);
        assert.match(r.stdout, new RegExp(c.module!.source.replaceAll("NAME", name)), `${what}: the module`);
      }
    }
  });
}

test("a JSON spec: an unknown key named like a prototype member is reported, not a crash", () => {
  for (const name of NAMES) {
    const spec = { compositions: { x: { services: { web: { image: "nginx:1.27", deploy: { [name]: 1 } } } } } };
    const r = convertIn({ "spec.json": JSON.stringify(spec) }, ["--spec", "spec.json"]);
    assert.not.ok(r.crashed, `${name}: crashed\n${r.stderr}`);
    assert.is(r.code, 1, `${name}: exit code; stderr:\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: spec\\.json:1:\\d+: compositions\\.x\\.services\\.web\\.deploy\\.${name}: unknown key "${name}"`, "m"), name);
  }
});

test("__proto__ is refused wherever it is written, at its line and column", () => {
  for (const c of CASES) {
    const text = c.compose.replaceAll("NAME", "__proto__");
    // (env files: the cases below; an argument is no file)
    if (!text.includes("__proto__")) continue;
    const r = convertIn({ "compose.yaml": text }, ["-p", "test"]);
    const at = text.indexOf("__proto__");
    const line = text.slice(0, at).split("\n").length;
    const col = at - text.lastIndexOf("\n", at);
    assert.is(r.code, 1, `${c.about}: exit code; stderr:\n${r.stderr}`);
    assert.is(r.stderr, `error: compose.yaml:${line}:${col}: khepri cannot read "__proto__" (JavaScript gives the name a meaning of its own: the entry would be lost); rename it\n`, c.about);
  }
});

// [case, files, arguments, the file whose line 2 names __proto__, or undefined: it converts]
const ENV_FILES: [string, Record<string, string>, string[], string | undefined][] = [
  ["the project's .env", { ".env": "A=1\n__proto__=x\n" }, [], ".env"],
  ["an env_file copied into the module (--inline-env-files)", { "web.env": "A=1\n__proto__=x\n" }, ["--inline-env-files"], "web.env"],
  ["a label_file", { "web.labels": "a=1\n__proto__=x\n" }, [], "web.labels"],
  // (passed to the runtime by path: khepri holds none of its variables)
  ["an env_file left to the runtime", { "web.env": "A=1\n__proto__=x\n" }, [], undefined],
];

for (const [about, files, args, refused] of ENV_FILES) {
  test(`__proto__ in ${about}: ${refused ? "refused at its line and column" : "converts"}`, () => {
    const compose = service("    env_file: [web.env]\n    label_file: web.labels\n");
    const all = { "web.env": "A=1\n", "web.labels": "a=1\n", ...files, "compose.yaml": compose };
    const r = convertIn(all, ["-p", "test", ...args]);
    if (refused === undefined) {
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, /environmentFiles = \[ ".*\/web\.env" \];/);
      return;
    }
    assert.is(r.code, 1, `exit code; stderr:\n${r.stderr}`);
    assert.is(r.stderr, `error: ${refused}:2:1: khepri cannot read "__proto__" (JavaScript gives the name a meaning of its own: the entry would be lost); rename it\n`);
  });
}

test.run();
