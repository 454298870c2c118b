// Issue 12, rootless podman from the command line: `khepri convert --podman-user alice` gives a
// module whose network and volume units run as alice the way oci-containers runs her containers
// (her runtime directory, after her user manager and lingering), and none of root's podman
// settings. Evaluated with the real oci-containers module and a configuration defining alice.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCli } from "./support/convert.ts";
import { evalNixosModules, findNixosEvalEnv, NixosEvalError } from "./support/nixos-eval.ts";
import { repoRoot, skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const work = mkdtempSync(path.join(tmpdir(), "khepri-rootless-"));
test.after(() => rmSync(work, { recursive: true, force: true }));

const moduleFile = path.join(work, "module.nix");
const converted = runCli(["convert", "-q", "--runtime", "podman", "--podman-user", "alice", "-f", path.join(repoRoot, "test/fixtures/rootless/compose.yaml"), "-o", moduleFile], { cwd: work });
const alice = (linger: boolean) => `{ users.users.alice = { uid = 1000; isNormalUser = true; home = "/home/alice"; linger = ${linger}; autoSubUidGidRange = true; }; }`;

test("the module has none of root's podman settings (default network DNS, the podman+ firewall rule)", () => {
  assert.is(converted.code, 0, converted.stderr);
  const text = readFileSync(moduleFile, "utf8");
  assert.match(text, "virtualisation.podman.enable = lib.mkDefault true;");
  assert.not.match(text, "dns_enabled");
  assert.not.match(text, "podman+");
});

for (const linger of [true, false]) {
  test(`network and volume units run as alice in her runtime directory, after her manager${linger ? " and lingering" : ""}`, () => {
    if (skipUnless(env !== undefined, "rootless --podman-user", missing ?? "")) return;
    const facts = evalNixosModules(env!, [moduleFile], { backend: "podman", extraConfig: alice(linger) });
    for (const unit of ["podman-network-rl_default", "podman-volume-rl_data"]) {
      const u = facts.services[unit]!;
      assert.ok(u, `${unit} in ${Object.keys(facts.services).join(", ")}`);
      assert.is(u.serviceConfig.User, "alice");
      assert.is(u.environment.XDG_RUNTIME_DIR, "/run/user/1000");
      assert.ok(u.requires.includes("user@1000.service"), JSON.stringify(u.requires));
      assert.ok(u.after.includes("user@1000.service"), JSON.stringify(u.after));
      assert.is(u.after.includes("linger-users.service"), linger, JSON.stringify(u.after));
      assert.is(u.wants.includes("linger-users.service"), linger, JSON.stringify(u.wants));
    }
    assert.is(facts.containers["rl-app"]!.podman?.user, "alice");
  });
}

// --check-systemd-mounts adds the bind sources to what oci-containers requires of a rootless
// container (the user's container storage), not in place of it.
test("RequiresMountsFor of a rootless container keeps oci-containers' own path beside the bind sources", () => {
  if (skipUnless(env !== undefined, "rootless --check-systemd-mounts", missing ?? "")) return;
  const withMounts = path.join(work, "mounts.nix");
  const r = runCli(["convert", "-q", "--runtime", "podman", "--podman-user", "alice", "--check-systemd-mounts", "-f", path.join(repoRoot, "test/fixtures/rootless/compose.yaml"), "-o", withMounts], { cwd: work });
  assert.is(r.code, 0, r.stderr);
  const facts = evalNixosModules(env!, [withMounts], { backend: "podman", extraConfig: alice(true) });
  const required = [facts.services["podman-rl-app"]!.unitConfig.RequiresMountsFor].flat().join(" ");
  assert.match(required, "/run/user/1000/containers");
  assert.match(required, path.join(repoRoot, "test/fixtures/rootless/srv"));
});

test("a spec composition's podmanUser with --runtime docker is warned about, and no unit runs as the user", () => {
  const spec = path.join(work, "spec.json");
  writeFileSync(spec, JSON.stringify({ compositions: { app: { podmanUser: "alice", services: { web: { image: "nginx" } } } } }));
  const r = runCli(["convert", "--runtime", "docker", "--spec", spec, "-o", "-"], { cwd: work });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^warning: \S*spec\.json:1:\d+: compositions\.app\.podmanUser: podmanUser alice: rootless containers need podman/m);
  assert.not.match(r.stdout, /User = |podman\.user|alice/);
});

test("a user without a static uid fails an assertion naming what is missing", () => {
  if (skipUnless(env !== undefined, "rootless --podman-user assertion", missing ?? "")) return;
  try {
    evalNixosModules(env!, [moduleFile], { backend: "podman", extraConfig: `{ users.users.alice = { isNormalUser = true; home = "/home/alice"; }; }` });
    assert.unreachable("evaluation should fail");
  } catch (error) {
    assert.instance(error, NixosEvalError);
    assert.match((error as Error).message, /rootless podman runs as alice, who needs a static uid \(users\.users\.alice\.uid/);
  }
});

test("with a GPU too, both host requirements are assertions of one module that evaluates", () => {
  if (skipUnless(env !== undefined, "rootless --podman-user with a GPU", missing ?? "")) return;
  const gpuModule = path.join(work, "gpu.nix");
  const r = runCli(["convert", "-q", "--runtime", "podman", "--podman-user", "alice", "-f", path.join(repoRoot, "test/fixtures/rootless-gpu/compose.yaml"), "-o", gpuModule], { cwd: work });
  assert.is(r.code, 0, r.stderr);
  const facts = evalNixosModules(env!, [gpuModule], { backend: "podman", extraConfig: `{ users.users.alice.isNormalUser = true; }`, allowFailedAssertions: true });
  const failed = facts.failedAssertions ?? [];
  assert.ok(failed.some((m) => /NVIDIA GPUs, which need hardware\.nvidia-container-toolkit\.enable/.test(m)), JSON.stringify(failed));
  assert.ok(failed.some((m) => /rootless podman runs as alice, who needs a static uid/.test(m)), JSON.stringify(failed));
});

test.run();
