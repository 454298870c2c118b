// Whole-run properties of the semantic fixtures: the same input always gives byte-identical output
// (whatever was converted before it), and `--check` tells an up-to-date module from a stale one after
// a change a user would notice. Also proves that the expectation checker of the table can fail.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evalNixosModules, findNixosEvalEnv, shellWords, type Backend } from "./support/nixos-eval.ts";
import { checkFacts, convertIn, loadCases, scratchDir, substitute, type RuntimeExpect } from "./support/semantics.ts";
import { repoRoot, skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const casesRoot = path.join(repoRoot, "test", "fixtures", "semantics");
const cases = loadCases(casesRoot).filter((c) => (c.expect.exit ?? 0) === 0);
const scratch = scratchDir("semantics-cli");

test("every semantic fixture converts to byte-identical output on two runs, in either order", () => {
  const runtimes: Backend[] = ["podman", "docker"];
  const jobs = cases.flatMap((c) => runtimes.map((runtime) => ({ c, runtime })));
  const first = new Map<string, string>();
  for (const { c, runtime } of jobs) {
    const r = convertIn(c.dir, runtime, c.expect.args ?? [], scratch.dir, c.expect.env ?? {});
    assert.is(r.code, 0, `${c.name} [${runtime}]: ${r.stderr}`);
    first.set(`${c.name}/${runtime}`, r.module!);
  }
  assert.ok(first.size >= 40, `${first.size} conversions`);
  for (const { c, runtime } of [...jobs].reverse()) {
    const r = convertIn(c.dir, runtime, c.expect.args ?? [], scratch.dir, c.expect.env ?? {});
    const before = first.get(`${c.name}/${runtime}`)!;
    if (r.module !== before) {
      const a = before.split("\n");
      const b = r.module!.split("\n");
      const i = a.findIndex((line, n) => line !== b[n]);
      assert.unreachable(`${c.name} [${runtime}] differs between runs at line ${i + 1}:\n- ${a[i]}\n+ ${b[i]}`);
    }
  }
});

test("--check: exit 0 when the module is up to date; exit 1 with a summary of the change after a restart policy changes; nothing written", () => {
  const dir = path.join(scratch.dir, "check");
  cpSync(path.join(casesRoot, "restart-user-override"), dir, { recursive: true });
  const run = (args: string[]) => {
    const r = convertIn(dir, "podman", args, scratch.dir);
    return r;
  };
  // write the module in the project directory, as a user would
  const write = convertIn(dir, "podman", ["-o", "docker-compose.nix"], scratch.dir);
  assert.is(write.code, 0, write.stderr);
  const written = readFileSync(path.join(dir, "docker-compose.nix"), "utf8");
  assert.ok(written.includes('Restart = lib.mkOverride 90 "always";'));

  const fresh = run(["-o", "docker-compose.nix", "--check"]);
  assert.is(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stderr, /docker-compose\.nix is up to date/);

  writeFileSync(path.join(dir, "compose.yaml"), readFileSync(path.join(dir, "compose.yaml"), "utf8").replace("restart: always", "restart: on-failure"));
  const stale = run(["-o", "docker-compose.nix", "--check"]);
  assert.is(stale.code, 1, stale.stderr);
  assert.match(stale.stderr, /docker-compose\.nix is out of date/);
  assert.match(stale.stderr, /^- +Restart = lib\.mkOverride 90 "always";$/m);
  assert.match(stale.stderr, /^\+ +Restart = lib\.mkOverride 90 "on-failure";$/m);
  assert.is(readFileSync(path.join(dir, "docker-compose.nix"), "utf8"), written, "--check leaves the file alone");

  // the same compose file for the other runtime is not "up to date" either
  writeFileSync(path.join(dir, "compose.yaml"), readFileSync(path.join(dir, "compose.yaml"), "utf8").replace("restart: on-failure", "restart: always"));
  assert.is(run(["-o", "docker-compose.nix", "--check"]).code, 0);
  const other = convertIn(dir, "docker", ["-o", "docker-compose.nix", "--check"], scratch.dir);
  assert.is(other.code, 1, other.stderr);
});

for (const runtime of ["podman", "docker"] as Backend[]) {
  test(`[${runtime}] two compositions that each build a service named "web" get a build unit each, building only their own image`, () => {
    const dir = path.join(casesRoot, "two-projects");
    const conv = convertIn(dir, runtime, ["--spec", "spec.json"], scratch.dir);
    assert.is(conv.code, 0, conv.stderr);
    if (skipUnless(env !== undefined, `two projects [${runtime}]`, missing ?? "")) return;
    const facts = evalNixosModules(env!, [conv.moduleFile], { backend: runtime });
    for (const project of ["alpha", "beta"]) {
      const unit = facts.services[`${runtime}-${project}-web`];
      assert.ok(unit, `${runtime}-${project}-web exists`);
      const builds = unit.requires.map((u) => u.replace(/\.service$/, "")).filter((u) => facts.services[u]?.script.includes(" build "));
      assert.ok(builds.length > 0, `${project}-web requires a build unit: ${JSON.stringify(unit.requires)}`);
      for (const b of builds) assert.ok(unit.after.includes(`${b}.service`), `${project}-web is ordered after ${b}`);
      const tags = builds.flatMap((b) => shellWords(facts.services[b]!.script).filter((w) => w.startsWith("--tag=")));
      assert.equal(tags, [`--tag=${project}-web`], `the build units ${builds.join(", ")} of ${project}-web build ${JSON.stringify(tags)}`);
    }
  });
}

test("the expectation checker reports every kind of mismatch (the table's tests can fail)", () => {
  if (skipUnless(env !== undefined, "expectation checker", missing ?? "")) return;
  const c = loadCases(casesRoot).find((x) => x.name === "depends-on-relations")!;
  const conv = convertIn(c.dir, "podman", [], scratch.dir);
  const facts = evalNixosModules(env!, [conv.moduleFile], { backend: "podman" });
  const unit = "podman-dr-app";
  // each entry is wrong on purpose and must produce at least one mismatch
  const wrong: RuntimeExpect[] = [
    { units: { [unit]: { argv: { includes: ["--no-such-flag"] } } } },
    { units: { [unit]: { argv: { excludes: ["--rm"] } } } },
    { units: { [unit]: { argv: { excludesPrefix: ["--name="] } } } },
    { units: { [unit]: { argv: { pairs: [["--pull", "always"]] } } } },
    { units: { [unit]: { argv: { endsWith: ["alpine"] } } } },
    { units: { [unit]: { argv: { order: ["busybox", "--name=dr-app"] } } } },
    { units: { [unit]: { argv: { count: { "--rm": 2 } } } } },
    { units: { [unit]: { script: { includes: ["docker run"] } } } },
    { units: { [unit]: { postStart: { empty: false } } } },
    { units: { [unit]: { preStop: { matches: ["^docker stop"] } } } },
    { units: { [unit]: { after: { includes: ["podman-dr-short.service"] } } } },
    { units: { [unit]: { requires: { excludes: ["podman-dr-queue.service"] } } } },
    { units: { [unit]: { wants: [] } } },
    { units: { [unit]: { bindsTo: ["podman-dr-cache.service"] } } },
    { units: { [unit]: { upheldBy: { includes: ["podman-dr-plain.service"] } } } },
    { units: { [unit]: { partOf: [] } } },
    { units: { [unit]: { wantedBy: ["multi-user.target"] } } },
    { units: { [unit]: { serviceConfig: { Restart: "always" } } } },
    { units: { [unit]: { serviceConfig: { Restart: null } } } },
    { units: { [unit]: { serviceConfig: { TimeoutStopSec: { gt: 120 } } } } },
    { units: { [unit]: { unitConfig: { StartLimitBurst: 3 } } } },
    { units: { [unit]: { resolvedPaths: [{ prefix: "--name=", path: "/srv/dr-app" }] } } },
    { units: { "podman-no-such-unit": {} } },
    { units: { "podman-dr-app": { absent: true } } },
    { targets: { "podman-compose-dr-root": { wantedBy: [] } } },
    { targets: { "podman-compose-dr-root": { absent: true } } },
    { containers: { "dr-app": { dependsOn: [] } } },
    { nixosWarnings: ["something"] },
    { storeFiles: { "dr-app-config": "x" } },
  ];
  wrong.forEach((e, i) => {
    const problems = checkFacts(facts, substitute(e, { runtime: "podman", dir: c.dir }));
    assert.ok(problems.length > 0, `wrong expectation #${i} was not caught: ${JSON.stringify(e)}`);
  });
  // and the case's own expectation holds
  assert.equal(checkFacts(facts, substitute({ units: c.expect.units!, containers: c.expect.containers! }, { runtime: "podman", dir: c.dir })), []);
});

test.after(() => scratch.cleanup());

test.run();
