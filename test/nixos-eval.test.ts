// Proves the NixOS evaluation harness (test/support/nixos-eval.ts) on hand-written modules:
// what the real oci-containers.nix makes of them, for both backends.
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  type Backend,
  type NixosFacts,
  NixosEvalError,
  evalNixosModules,
  findNixosEvalEnv,
  nixString,
  shellWords,
} from "./support/nixos-eval.ts";
import { repoRoot, skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const fixture = (name: string) => path.join(repoRoot, "test", "fixtures", "nixos-eval", name);
const skip = (what: string) => skipUnless(env !== undefined, `nixos-eval: ${what}`, missing ?? "");

/** The script with its backslash-newline continuations joined: "exec podman run --name=web ...". */
const oneLine = (script: string) => script.replace(/\s*\\\n\s*/g, " ").replace(/ +/g, " ");

function throws(fn: () => unknown): NixosEvalError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, NixosEvalError);
    return e as NixosEvalError;
  }
  assert.unreachable("expected evaluation to fail");
  throw new Error("unreachable");
}

for (const backend of ["podman", "docker"] as Backend[]) {
  test(`${backend}: run line, unit ordering and helpers of two dependent containers`, () => {
    if (skip(`${backend} run line`)) return;
    const facts: NixosFacts = evalNixosModules(env!, [fixture("web-db.nix")], { backend });
    assert.is(facts.backend, backend);
    assert.equal(facts.failedAssertions, []);

    const web = facts.services[`${backend}-web`];
    const db = facts.services[`${backend}-db`];
    assert.ok(web, `unit ${backend}-web exists: ${Object.keys(facts.services).join(", ")}`);
    assert.ok(db);

    const line = oneLine(web.script);
    assert.ok(line.startsWith(`exec ${backend} run --name=web --log-driver=journald `), line);
    assert.ok(line.includes(`${backend} run`));
    const argv = shellWords(web.script);
    assert.equal(argv.slice(0, 3), ["exec", backend, "run"]);
    for (const arg of [
      "--name=web",
      "--rm",
      "--cap-add=NET_ADMIN",
      "--cap-drop=MKNOD",
      "--network=backend",
      "--network=frontend",
      "--network-alias=web",
    ]) {
      assert.ok(argv.includes(arg), `${arg} in ${JSON.stringify(argv)}`);
    }
    const pairs = argv.slice(0, -1).map((a, i) => `${a} ${argv[i + 1]}`);
    for (const pair of [
      "-p 127.0.0.1:8080:80",
      "-p 8443:443/tcp",
      "-e DATABASE_URL=postgres://db:5432/app",
      "-v /srv/web/static:/usr/share/nginx/html:ro",
      "-v web cache:/cache",
      "-l traefik.enable=true",
      "--pull missing",
    ]) {
      assert.ok(pairs.includes(pair), `${pair} in ${JSON.stringify(argv)}`);
    }
    // shell quoting is done by lib.escapeShellArg
    assert.ok(web.script.includes("-v 'web cache:/cache'"), web.script);
    assert.ok(oneLine(db.script).includes("-e POSTGRES_PASSWORD='s3cret with space'"), db.script);
    // image, then cmd, close the line
    assert.equal(argv.slice(-3), ["ghcr.io/example/web:1.2.3", "--listen", "0.0.0.0:80"]);

    // dependsOn -> After= and Requires= on the dependency's unit
    assert.ok(web.after.includes(`${backend}-db.service`), JSON.stringify(web.after));
    assert.ok(web.requires.includes(`${backend}-db.service`), JSON.stringify(web.requires));
    assert.not.ok(db.after.includes(`${backend}-web.service`));
    assert.ok(web.wants.includes("network-online.target"));
    assert.ok(web.wantedBy.includes("multi-user.target"));
    assert.equal(web.path, [backend === "podman" ? "podman-5.4.1" : "docker-27.5.1"]);
    assert.is(web.serviceConfig.Restart, "always");
    assert.is(web.serviceConfig.TimeoutStopSec, 120);

    // the pre-start script is recorded in `files`
    const preStart = (web.serviceConfig.ExecStartPre as string[])[0]!;
    const file = facts.files[preStart.replace(/\/bin\/pre-start$/, "")];
    assert.ok(file, `pre-start file for ${preStart}`);
    assert.ok(file.text.includes(`${backend} rm -f web || true`), file.text);

    if (backend === "podman") {
      assert.ok(argv.includes("--cidfile=/run/web/ctr-id"));
      assert.ok(argv.includes("--sdnotify=conmon"));
      assert.ok(argv.includes("--replace"));
      assert.is(web.serviceConfig.Type, "notify");
      assert.is(web.preStop, "podman stop --ignore --cidfile=/run/web/ctr-id");
      assert.ok(facts.podman.enable);
      assert.not.ok(facts.docker.enable);
    } else {
      assert.not.ok(argv.some((a) => a.startsWith("--cidfile")));
      assert.ok(web.after.includes("docker.service"));
      assert.is(web.preStop, "docker stop web || true");
      assert.is(web.serviceConfig.Type, undefined);
      assert.ok(facts.docker.enable);
      assert.not.ok(facts.podman.enable);
    }

    // units the module itself defines merge with the stubs' declarations
    const net = facts.services["network-backend"];
    assert.ok(net);
    assert.equal(net.partOf, ["khepri-demo.target"]);
    assert.is(net.serviceConfig.RemainAfterExit, true);
    assert.equal(facts.targets["khepri-demo"]?.wantedBy, ["multi-user.target"]);
    assert.is(facts.targets["khepri-demo"]?.unitConfig.Description, "demo root target");

    // resolved options of the real module, defaults included
    assert.is(facts.containers.web?.serviceName, `${backend}-web`);
    assert.is(facts.containers.web?.pull, "missing");
    assert.equal(facts.containers.web?.podman, backend === "podman" ? { sdnotify: "conmon", user: "root" } : null);
  });
}

test("a dependsOn naming no container fails evaluation", () => {
  if (skip("missing dependsOn")) return;
  const err = throws(() => evalNixosModules(env!, [fixture("missing-dep.nix")], { backend: "podman" }));
  // oci-containers.nix looks the name up with lib.getAttrs: a plain missing-attribute error
  assert.match(err.message, "attribute 'missing' missing");
  assert.match(err.message, "systemd.services.podman-app.after");
});

test("a failed assertion is reported", () => {
  if (skip("failed assertion")) return;
  const err = throws(() => evalNixosModules(env!, [fixture("image-file-and-stream.nix")], { backend: "docker" }));
  assert.match(err.message, "Failed assertions:");
  assert.match(err.message, "virtualisation.oci-containers.containers.both: You can only define one of imageFile and imageStream");
  assert.is(err.failedAssertions.length, 1);

  const facts = evalNixosModules(env!, [fixture("image-file-and-stream.nix")], {
    backend: "docker",
    allowFailedAssertions: true,
  });
  assert.equal(facts.failedAssertions, [
    "virtualisation.oci-containers.containers.both: You can only define one of imageFile and imageStream",
  ]);
});

test("podman settings with the docker backend fail an assertion (extraConfig)", () => {
  if (skip("podman settings with docker")) return;
  const err = throws(() =>
    evalNixosModules(env!, [], {
      backend: "docker",
      extraConfig: `{ virtualisation.oci-containers.containers.x = { image = "alpine"; podman.sdnotify = "healthy"; }; }`,
    }),
  );
  assert.match(err.message, "Cannot set `podman` option if backend is `docker`");
});

test("an integer environment value is a type error, as in NixOS", () => {
  if (skip("integer environment value")) return;
  const err = throws(() =>
    evalNixosModules(env!, [], {
      backend: "podman",
      extraConfig: `{ virtualisation.oci-containers.containers.x = { image = "alpine"; environment.PORT = 8080; }; }`,
    }),
  );
  assert.match(err.message, "virtualisation.oci-containers.containers.x.environment.PORT");
  assert.match(err.message, "is not of type");
});

test("serviceConfig merges like NixOS: conflicts fail, mkOverride 90 and mkForce win", () => {
  if (skip("serviceConfig priorities")) return;
  const modules = [fixture("web-db.nix")];
  const conflict = throws(() =>
    evalNixosModules(env!, modules, {
      backend: "docker",
      extraConfig: `{ systemd.services.docker-web.serviceConfig.Restart = "no"; }`,
    }),
  );
  assert.match(conflict.message, "systemd.services.docker-web.serviceConfig.Restart");
  assert.match(conflict.message, "conflicting definition values");

  const facts = evalNixosModules(env!, modules, {
    backend: "docker",
    extraConfig: `{ lib, ... }: {
      systemd.services.docker-web.serviceConfig.Restart = lib.mkOverride 90 "on-failure";
      systemd.services.docker-db.serviceConfig.Restart = lib.mkForce "no";
      systemd.services.docker-web.after = [ "extra.service" ];
      systemd.services.docker-web.script = lib.mkBefore "echo starting";
    }`,
    select: ["virtualisation.oci-containers.backend", "networking.hostName"],
  });
  assert.is(facts.services["docker-web"]?.serviceConfig.Restart, "on-failure");
  assert.is(facts.services["docker-db"]?.serviceConfig.Restart, "no");
  assert.ok(facts.services["docker-web"]?.after.includes("extra.service"));
  assert.ok(facts.services["docker-web"]?.after.includes("docker-db.service"));
  assert.ok(facts.services["docker-web"]?.script.startsWith("echo starting\nexec docker"));
  assert.equal(facts.selected, { "virtualisation.oci-containers.backend": "docker", "networking.hostName": "nixos" });
});

test("rootless podman: user, linger warning and mount requirement", () => {
  if (skip("rootless podman")) return;
  const facts = evalNixosModules(env!, [], {
    backend: "podman",
    extraConfig: `{
      users.users.alice = { uid = 1000; isNormalUser = true; home = "/home/alice"; linger = true; };
      virtualisation.oci-containers.containers.app = { image = "alpine"; podman.user = "alice"; };
    }`,
  });
  const app = facts.services["podman-app"]!;
  assert.is(app.serviceConfig.User, "alice");
  assert.is(app.unitConfig.RequiresMountsFor, "/run/user/1000/containers");
  assert.ok(app.wants.includes("linger-users.service"));
  assert.is(app.environment.HOME, "/home/alice");
  assert.is(facts.warnings.length, 1);
  assert.match(facts.warnings[0]!, "configured as rootless (user alice)");
});

test("shellWords splits escapeShellArg output", () => {
  assert.equal(shellWords("exec podman  \\\n  run \\\n  -e A='x y' \\\n  -v 'it'\\''s:/a' \\\n  img"), [
    "exec",
    "podman",
    "run",
    "-e",
    "A=x y",
    "-v",
    "it's:/a",
    "img",
  ]);
  assert.equal(shellWords(`a "b \\"c\\" $d" e\\ f`), ["a", 'b "c" $d', "e f"]);
  assert.is(nixString('a"b\\c${d}\n'), '"a\\"b\\\\c\\${d}\\n"');
});

test.run();
