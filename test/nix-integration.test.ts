// khepri's Nix side, evaluated offline: the NixOS module (`khepri.compositions`), the
// import-from-derivation function (`khepri.lib.composeModule`) and the flake's outputs.
//
// Compositions are evaluated with nixpkgs' real lib and oci-containers.nix (test/support/
// nixos-eval.ts) and the conversion really built, by a stand-in converter package made from
// dist/khepri.cjs (test/support/khepri-nix.ts). What NixOS would run is then compared with what
// `khepri convert` makes of the same input. One nix process per evaluation.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Backend, type NixosFacts, NixosEvalError, evalNixosModules, findNixosEvalEnv, nixString, shellWords } from "./support/nixos-eval.ts";
import { cleanStderr, convert, evalWithKhepri, fixturesDir, ifdSupport } from "./support/khepri-nix.ts";
import { seedModules } from "./support/seed.ts";
import { hasShared, repoRoot, skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const tmp = mkdtempSync(path.join(os.tmpdir(), "khepri-nix-integration-"));
const nixPath = (p: string) => `(/. + ${nixString(p)})`;

const skipNix = (what: string) => skipUnless(env !== undefined, `nix-integration: ${what}`, missing ?? "");
const skipIfd = (what: string) => skipNix(what) || skipUnless(ifdSupport(env!) === undefined, `nix-integration: ${what}`, ifdSupport(env!) ?? "");

/** The script with its backslash-newline continuations joined. */
const oneLine = (script: string) => script.replace(/\s*\\\n\s*/g, " ").replace(/ +/g, " ");
const argvOf = (facts: NixosFacts, unit: string) => {
  const service = facts.services[unit];
  assert.ok(service, `unit ${unit} exists: ${Object.keys(facts.services).join(", ")}`);
  return shellWords(service.script);
};

function expectFailure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, NixosEvalError);
    return cleanStderr((e as NixosEvalError).message);
  }
  assert.unreachable("expected evaluation to fail");
  return "";
}

/** What `khepri convert --spec` makes of a spec, evaluated like any generated module. */
function convertSpec(specJson: string, backend: Backend): NixosFacts {
  const dir = mkdtempSync(path.join(tmp, "spec-"));
  const spec = path.join(dir, "spec.json");
  const out = path.join(dir, "out.nix");
  writeFileSync(spec, specJson);
  const r = convert(["--spec", spec, "--runtime", backend, "--no-setup", "-o", out]);
  assert.is(r.status, 0, `khepri convert --spec failed:\n${r.stderr}`);
  return evalNixosModules(env!, [out], { backend });
}

/**
 * The module's result equals the converter's for the same spec: every container, unit and target
 * the converter makes is there unchanged, except for what the module adds on purpose (a
 * dockerTools image's imageFile/imageStream, whose loading changes the pre-start script).
 */
function assertSameAsConverter(facts: NixosFacts, direct: NixosFacts) {
  const loaded = new Set(Object.entries(facts.containers).filter(([, c]) => c.imageFile || c.imageStream).map(([, c]) => c.serviceName));
  const containers = (f: NixosFacts) =>
    Object.fromEntries(Object.entries(f.containers).map(([n, c]) => [n, { ...c, imageFile: null, imageStream: null }]));
  assert.equal(containers(facts), containers(direct));
  assert.equal(Object.keys(facts.services).sort(), Object.keys(direct.services).sort());
  for (const [name, unit] of Object.entries(direct.services)) {
    const found = facts.services[name];
    assert.ok(found, `unit ${name} is forwarded`);
    // the module orders consumers of another composition's network or volume after its unit
    const shared = (units: string[], theirs: string[]) => units.filter((u) => theirs.includes(u) || !/-(network|volume)-/.test(u));
    const mine = { ...found, requires: shared(found.requires, unit.requires), after: shared(found.after, unit.after) };
    if (loaded.has(name)) {
      // a pulled image waits for the network, a loaded one does not
      const online = (units: string[]) => units.filter((u) => u !== "network-online.target");
      const strip = (u: typeof unit) => ({
        ...u,
        after: online(u.after),
        wants: online(u.wants),
        serviceConfig: { ...u.serviceConfig, ExecStartPre: null },
      });
      assert.equal(strip(mine), strip(unit), name);
    } else {
      assert.equal(mine, unit, name);
    }
  }
  assert.equal(facts.targets, direct.targets);
}

/** Whether a container's `networks` (`name`, `name:alias=a` or `name=name,alias=a`) join a network. */
const joins = (networks: string[], name: string) => networks.some((n) => new RegExp(`(^|name=)${name}($|[:,])`).test(n));

const specOf = (facts: NixosFacts) => facts.selected["khepri.generated.khepriSpec"] as string;

// ---------------------------------------------------------------------------------------------
// (a) composeModule on the examples gives what `khepri convert` gives
// ---------------------------------------------------------------------------------------------

const examplesDir = path.join(repoRoot, "examples");
const examples = existsSync(examplesDir)
  ? readdirSync(examplesDir)
      .map((name) => ({ name, file: ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"].map((f) => path.join(examplesDir, name, f)).find(existsSync) }))
      .filter((e): e is { name: string; file: string } => e.file !== undefined)
  : [];

test("the examples are found", () => {
  assert.ok(examples.length > 0, "examples/*/compose.yaml");
});

for (const example of examples) {
  for (const backend of ["podman", "docker"] as Backend[]) {
    test(`(a) composeModule on examples/${example.name} (${backend}) gives the containers of khepri convert`, () => {
      if (skipIfd(`composeModule examples/${example.name} ${backend}`)) return;
      const projectDirectory = `/srv/${example.name}`;
      const { facts } = evalWithKhepri(env!, {
        backend,
        modules: [`khepri.lib.composeModule { composeFile = ${nixPath(example.file)}; projectDirectory = ${nixString(projectDirectory)}; }`],
      });
      assert.ok(Object.keys(facts.containers).length > 0, "containers");

      const out = path.join(tmp, `${example.name}-${backend}.nix`);
      const r = convert(["-f", example.file, "-p", example.name, "--project-directory", projectDirectory, "--runtime", backend, "--no-setup", "-o", out]);
      assert.is(r.status, 0, r.stderr);
      assertSameAsConverter(facts, evalNixosModules(env!, [out], { backend }));
    });
  }
}

test("(a) composeModule's inputs: several files, env files, profiles, project name; no .env", () => {
  if (skipIfd("composeModule inputs")) return;
  const stack = path.join(fixturesDir, "stack");
  const { facts } = evalWithKhepri(env!, {
    backend: "podman",
    modules: [
      `{
        imports = [
          (khepri.lib.composeModule {
            composeFiles = [ (fixtures + "/stack/compose.yaml") (fixtures + "/stack/compose.override.yaml") ];
            envFiles = [ (fixtures + "/stack/vars.env") ];
            profiles = [ "debug" ];
            projectName = "stack";
            projectDirectory = ${nixString(stack)};
          })
          # the same file, no env file: its project directory's .env is not read
          (khepri.lib.composeModule {
            composeFile = fixtures + "/stack/compose.yaml";
            projectName = "plain";
            projectDirectory = ${nixString(stack)};
          })
        ];
      }`,
    ],
  });
  assert.equal(Object.keys(facts.containers).sort(), ["plain-app", "stack-app", "stack-debug"]);
  const app = facts.containers["stack-app"]!;
  assert.is(app.image, "example/app:1.2");
  assert.is(app.environment.FROM_OVERRIDE, "yes");
  assert.ok(app.volumes.includes(`${stack}/data:/data`), JSON.stringify(app.volumes));
  assert.is(facts.containers["plain-app"]!.image, "example/app:latest");
});

// ---------------------------------------------------------------------------------------------
// (b) khepri.compositions declared in Nix: the first khepri README's examples, as written there
// ---------------------------------------------------------------------------------------------

test("(b) the first README's caddy + paperless + nginx compositions, declared in Nix", () => {
  if (skipUnless(hasShared, "nix-integration: seed compositions", "../shared is absent")) return;
  if (skipIfd("seed compositions")) return;
  const seed = seedModules(tmp)!;
  // The README's own configuration sets the docker backend.
  const { facts } = evalWithKhepri(env!, {
    backend: "docker",
    modules: [nixPath(seed.paperless), nixPath(seed.nginx)],
    select: ["khepri.generated.khepriSpec"],
  });
  assert.equal(Object.keys(facts.containers).sort(), [
    "caddy-caddy",
    "nginx-nginx",
    "paperless-broker",
    "paperless-db",
    "paperless-gotenberg",
    "paperless-tika",
    "paperless_web",
  ]);
  const web = facts.containers.paperless_web!;
  assert.is(web.image, "ghcr.io/paperless-ngx/paperless-ngx:latest");
  assert.is(web.environment.PAPERLESS_REDIS, "redis://broker:6379");
  assert.equal([...web.dependsOn].sort(), ["paperless-broker", "paperless-db", "paperless-gotenberg", "paperless-tika"]);
  assert.equal(web.ports, ["8000:8000/tcp"]);
  // the external network is used by its name, the composition's own one is prefixed
  assert.ok(joins(web.networks, "proxy_net"), JSON.stringify(web.networks));
  assert.ok(joins(web.networks, "paperless_paperless"), JSON.stringify(web.networks));
  assert.ok(joins(facts.containers["caddy-caddy"]!.networks, "proxy_net"));
  assert.equal(facts.containers["paperless-gotenberg"]!.cmd, ["gotenberg", "--chromium-disable-javascript=true", "--chromium-allow-list=file:///tmp/.*"]);
  assert.ok(facts.containers["caddy-caddy"]!.volumes.includes("/etc/caddy/Caddyfile:/etc/caddy/Caddyfile:ro"));
  // units: external network none, named volumes one each, a root target per composition
  assert.not.ok(facts.services["docker-network-proxy_net"], "no unit for an external network");
  // nothing creates it: a warning names it and says how
  const missingNet = facts.warnings.filter((w) => w.startsWith("khepri: network proxy_net is external"));
  assert.is(missingNet.length, 1, JSON.stringify(facts.warnings));
  assert.match(missingNet[0]!, /caddy-caddy/);
  assert.match(missingNet[0]!, /khepri\.networks\.proxy_net = \{ \};/);
  assert.match(missingNet[0]!, /docker network create proxy_net/);
  for (const unit of ["docker-network-paperless_paperless", "docker-volume-caddy_caddy_data", "docker-volume-paperless_pgdata", "docker-paperless_web"]) {
    assert.ok(facts.services[unit], `${unit} in ${Object.keys(facts.services).join(", ")}`);
  }
  for (const project of ["caddy", "paperless", "nginx"]) assert.ok(facts.targets[`docker-compose-${project}-root`], project);
  // dockerTools.pullImage: its name and tag run, the image file is loaded before the start
  const nginx = facts.containers["nginx-nginx"]!;
  assert.is(nginx.image, "nginx:latest");
  assert.is(nginx.imageFile, "docker-image-nginx-latest.tar");

  assertSameAsConverter(facts, convertSpec(specOf(facts), "docker"));
});

test("(b) the first README's example boots with one declaration of the network its compositions share", () => {
  if (skipUnless(hasShared, "nix-integration: seed with proxy_net", "../shared is absent")) return;
  if (skipIfd("seed with proxy_net")) return;
  const seed = seedModules(tmp)!;
  const { facts } = evalWithKhepri(env!, {
    backend: "docker",
    modules: [nixPath(seed.paperless), nixPath(seed.nginx), "{ khepri.networks.proxy_net = { }; }"],
  });
  const unit = facts.services["docker-network-proxy_net"];
  assert.ok(unit, "the shared network has a unit");
  assert.ok(unit!.wantedBy.includes("multi-user.target"));
  assert.match(oneLine(unit!.script), /docker network inspect proxy_net .*\|\| docker network create proxy_net/);
  // both compositions' containers on proxy_net wait for it; the others do not
  for (const container of ["caddy-caddy", "paperless_web"]) {
    const u = facts.services[`docker-${container}`]!;
    assert.ok(u.requires.includes("docker-network-proxy_net.service") && u.after.includes("docker-network-proxy_net.service"), container);
  }
  assert.not.ok(facts.services["docker-paperless-db"]!.requires.includes("docker-network-proxy_net.service"));
  assert.not.ok(facts.warnings.some((w) => w.includes("proxy_net")), JSON.stringify(facts.warnings));
});

// ---------------------------------------------------------------------------------------------
// (c) a compose file with Nix overrides on top; other modules' options in compositions
// ---------------------------------------------------------------------------------------------

const mealieCompose = path.join(repoRoot, "examples", "mealie", "compose.yaml");

test("(c) examples/mealie plus Nix overrides, a dockerTools image and sops/agenix paths", () => {
  if (skipIfd("compose file with Nix overrides")) return;
  const { facts } = evalWithKhepri(env!, {
    backend: "podman",
    select: ["khepri.generated.khepriSpec"],
    modules: [
      `{ config, pkgs, ... }: {
        # what sops-nix and agenix would declare
        sops.secrets."mealie.env".path = "/run/secrets/mealie.env";
        age.secrets.db-password.path = "/run/agenix/db-password";
        users.users.mealie.uid = 911;

        khepri.compositions.mealie = {
          composeFile = ${nixPath(mealieCompose)};
          projectDirectory = "/srv/mealie";
          secrets.db_password.file = config.age.secrets.db-password.path;
          services.mealie = {
            image = pkgs.dockerTools.buildLayeredImage { name = "mealie-local"; tag = "v1"; };
            environment = { TZ = "Europe/Berlin"; EXTRA_WORKERS = 2; DEBUG = false; RATIO = 1.5; };
            environmentFiles = [ config.sops.secrets."mealie.env".path ];
            user = toString config.users.users.mealie.uid;
            ports = [ "127.0.0.1:9926:9000" ];
            labels."traefik.enable" = "true";
          };
          services.postgres = {
            healthcheck.interval = "10s";
            secrets = [ "db_password" ];
          };
          services.backup = {
            image = "docker.io/library/alpine:3";
            cmd = [ "sh" "-c" "sleep infinity" ];
            dependsOn.postgres.condition = "service_healthy";
            volumes = [ "./backups:/backups" ];
          };
        };
      }`,
    ],
  });
  const mealie = facts.containers.mealie!;
  // environment merged by key: one changed, the compose file's others kept, new ones added
  assert.is(mealie.environment.TZ, "Europe/Berlin");
  assert.is(mealie.environment.ALLOW_SIGNUP, "true");
  assert.is(mealie.environment.EXTRA_WORKERS, "2");
  assert.is(mealie.environment.DEBUG, "false");
  assert.is(mealie.environment.RATIO, "1.5");
  // ports appended; env files appended, the sops path as given (not copied)
  assert.ok(mealie.ports.includes("9925:9000/tcp") && mealie.ports.some((p) => p.startsWith("127.0.0.1:9926:9000")), JSON.stringify(mealie.ports));
  assert.ok(mealie.environmentFiles.includes("/srv/mealie/mealie.env"), JSON.stringify(mealie.environmentFiles));
  assert.ok(mealie.environmentFiles.includes("/run/secrets/mealie.env"), JSON.stringify(mealie.environmentFiles));
  assert.is(mealie.labels["traefik.enable"], "true");
  assert.is(mealie.user, "911");
  // the image derivation: name and tag run, loaded from imageFile, and nothing was built for it
  // (the harness's dockerTools are fakes whose store paths do not exist)
  assert.is(mealie.image, "mealie-local:v1");
  assert.is(mealie.imageFile, "docker-image-mealie-local.tar.gz");
  // a service only declared in Nix, with a relative bind mount and a healthy-gated dependency
  const backup = facts.containers["mealie-backup"]!;
  assert.ok(backup, Object.keys(facts.containers).join(", "));
  assert.ok(backup.volumes.includes("/srv/mealie/backups:/backups"), JSON.stringify(backup.volumes));
  assert.ok(backup.dependsOn.includes("postgres"));
  // the healthcheck merged into the compose file's, the agenix file mounted as a secret
  const pg = oneLine(facts.services["podman-postgres"]!.script);
  assert.ok(pg.includes("10s"), pg);
  assert.ok(pg.includes("pg_isready"), pg);
  assert.ok(pg.includes("/run/agenix/db-password"), pg);

  assertSameAsConverter(facts, convertSpec(specOf(facts), "podman"));
});

// ---------------------------------------------------------------------------------------------
// (d) two compositions sharing an external network
// ---------------------------------------------------------------------------------------------

test("(d) two compositions share a network one of them creates; one conversion for all", () => {
  if (skipIfd("shared external network")) return;
  const { facts } = evalWithKhepri(env!, {
    backend: "podman",
    select: ["khepri.generated.khepriSpec", "networking.firewall.interfaces"],
    modules: [
      `{
        khepri.compositions = {
          proxy = {
            networks.proxy_net.name = "proxy_net";
            services.caddy = {
              image = "docker.io/library/caddy:2";
              networks = [ "proxy_net" ];
              ports = [ "80:80" ];
            };
          };
          app = {
            autoStart = false;
            networks = { proxy_net.external = true; backend = { }; };
            services.web = {
              image = "docker.io/library/nginx:1.27";
              networks.proxy_net.aliases = [ "app" ];
              networks.backend = { };
              dependsOn = [ "cache" ];
            };
            services.cache = {
              image = "docker.io/library/redis:7";
              networks = [ "backend" ];
            };
          };
          disabled = {
            enable = false;
            services.x.image = "docker.io/library/busybox";
          };
        };
      }`,
    ],
  });
  const spec = JSON.parse(specOf(facts)) as { compositions: Record<string, unknown> };
  assert.equal(Object.keys(spec.compositions).sort(), ["app", "proxy"]);
  assert.equal(Object.keys(facts.containers).sort(), ["app-cache", "app-web", "proxy-caddy"]);
  // the network is created once, by its owner, under its fixed name
  assert.ok(facts.services["podman-network-proxy_net"], Object.keys(facts.services).join(", "));
  assert.ok(facts.services["podman-network-app_backend"]);
  assert.not.ok(Object.keys(facts.services).some((u) => u.includes("app_proxy_net")));
  const web = argvOf(facts, "podman-app-web");
  assert.ok(web.some((a) => a.includes("proxy_net") && a.includes("alias=app")), JSON.stringify(web));
  assert.ok(argvOf(facts, "podman-proxy-caddy").some((a) => a.includes("proxy_net")));
  // the consumer starts after the owner's network unit and stops with it; nothing is missing
  const appWeb = facts.services["podman-app-web"]!;
  assert.ok(appWeb.requires.includes("podman-network-proxy_net.service") && appWeb.after.includes("podman-network-proxy_net.service"), JSON.stringify(appWeb));
  assert.not.ok(facts.services["podman-app-cache"]!.requires.includes("podman-network-proxy_net.service"));
  assert.not.ok(facts.warnings.some((w) => w.includes("proxy_net")), JSON.stringify(facts.warnings));
  // separate root targets; autoStart = false leaves one out of multi-user.target
  assert.ok(facts.targets["podman-compose-proxy-root"]!.wantedBy.includes("multi-user.target"));
  assert.not.ok(facts.targets["podman-compose-app-root"]!.wantedBy.includes("multi-user.target"));
  // the podman setup the converter's --no-setup leaves out: DNS on networks, port 53 open
  assert.is(facts.podman.defaultNetworkSettings.dns_enabled, true);
  const interfaces = facts.selected["networking.firewall.interfaces"] as Record<string, { allowedUDPPorts: number[] }>;
  assert.ok(interfaces["podman+"]?.allowedUDPPorts.includes(53), JSON.stringify(interfaces));

  assertSameAsConverter(facts, convertSpec(specOf(facts), "podman"));
});

test("what khepri cannot honour reaches NixOS warnings, and the builder's environment is not interpolated", () => {
  if (skipIfd("module warnings")) return;
  const { facts } = evalWithKhepri(env!, {
    backend: "docker",
    modules: [
      `{
        khepri.compositions.app.services.web = {
          image = "docker.io/library/nginx:1.27";
          scale = 3;
        };
      }`,
    ],
  });
  assert.ok(
    facts.warnings.some((w) => /^khepri: .*services\.web\.scale: scale is not supported/.test(w)),
    JSON.stringify(facts.warnings),
  );
});

test("no composition: nothing is converted and nothing defined", () => {
  if (skipIfd("no compositions")) return;
  const { facts, log } = evalWithKhepri(env!, { backend: "podman", modules: [], select: ["khepri.generated"] });
  assert.equal(facts.containers, {});
  assert.equal(facts.targets, {});
  assert.is(facts.selected["khepri.generated"], null);
  assert.not.match(log, /khepri-compositions/);
});

// ---------------------------------------------------------------------------------------------
// The VM tests' machine (nix/tests/vm.nix), evaluated here without a VM
// ---------------------------------------------------------------------------------------------

for (const backend of ["docker", "podman"] as Backend[]) {
  test(`the vm-${backend} check's machine: its composition, and the units its test script uses`, () => {
    if (skipIfd(`vm-${backend} machine`)) return;
    // vm.nix with fake packages (dockerTools images with a name and a tag) and a runNixOSTest
    // that returns its arguments: the machine's configuration and the test script.
    const vmTest = `(import (repo + "/nix/tests/vm.nix") {
      pkgs = (import (fixtures + "/fake-nixpkgs.nix") { inherit lib; }).legacyPackages.x86_64-linux // {
        testers.runNixOSTest = t: t;
      };
      module = khepri.nixosModules.default;
      backend = ${nixString(backend)};
    })`;
    const { facts } = evalWithKhepri(env!, {
      backend,
      modules: [
        `${vmTest}.nodes.machine`,
        // declared by NixOS' qemu-vm module, which the harness does not have
        `{ lib, ... }: { options.virtualisation.memorySize = lib.mkOption { type = lib.types.ints.positive; }; }`,
        `{ environment.etc."vm-test-script".text = ${vmTest}.testScript; }`,
      ],
      select: ["environment.etc"],
    });
    assert.equal(Object.keys(facts.containers).sort(), ["demo-client", "demo-web"]);
    const web = facts.containers["demo-web"]!;
    assert.is(web.image, "khepri-test:latest");
    if (backend === "docker") assert.is(web.imageFile, "docker-image-khepri-test");
    else assert.is(web.imageStream, "docker-image-khepri-test");
    assert.equal(facts.containers["demo-client"]!.dependsOn, ["demo-web"]);
    // web's unit only becomes active once healthy, and client's waits for it
    const client = facts.services[`${backend}-demo-client`]!;
    assert.ok(client.after.includes(`${backend}-demo-web.service`) && client.requires.includes(`${backend}-demo-web.service`));
    assert.ok(argvOf(facts, `${backend}-demo-web`).some((a) => a.startsWith("--health-cmd")));
    // the units the test script waits for and stops exist
    const script = (facts.selected["environment.etc"] as Record<string, { text: string }>)["vm-test-script"]!.text;
    const units = [...script.matchAll(/[a-z]+-[a-z0-9_-]+\.(?:service|target)/g)].map((m) => m[0]);
    assert.ok(units.length >= 4, script);
    for (const unit of units) {
      const name = unit.replace(/\.(service|target)$/, "");
      const declared = unit.endsWith(".target") ? facts.targets : facts.services;
      assert.ok(declared[name], `${unit} (used by the test script) exists`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Errors: evaluation stops with a message naming what to change
// ---------------------------------------------------------------------------------------------

const failures: { name: string; module: string; expect: RegExp[]; reject?: RegExp[] }[] = [
  {
    // and the project name comes from the compose file's directory
    name: "relative paths without projectDirectory (composeModule)",
    module: `khepri.lib.composeModule { composeFile = ${nixPath(mealieCompose)}; }`,
    expect: [/composition "mealie" uses paths relative to its project directory/, /khepri\.compositions\.mealie\.projectDirectory/, /composeModule/],
  },
  {
    name: "relative bind mount declared in Nix without projectDirectory",
    module: `{ khepri.compositions.app.services.web = { image = "nginx"; volumes = [ "./html:/usr/share/nginx/html:ro" ]; }; }`,
    expect: [/khepri\.compositions\.app\.projectDirectory/],
  },
  {
    name: "only the composition that needs projectDirectory is named",
    module: `{
      khepri.compositions.app.services.web.image = "nginx";
      khepri.compositions.app2.services.web = { image = "nginx"; volumes = [ "./data:/data" ]; };
    }`,
    expect: [/composition "app2"/],
    reject: [/composition "app"/],
  },
  {
    name: "a composition name that is not a project name",
    module: `{ khepri.compositions."My App".services.web.image = "nginx"; }`,
    expect: [/khepri\.compositions\.My App: a composition's name is its compose project name/],
  },
  {
    name: "a derivation that is not an image",
    module: `{ pkgs, ... }: { khepri.compositions.app.services.web.image = pkgs.hello; }`,
    expect: [/khepri\.compositions\.app\.services\.web\.image: a derivation must be an image made by pkgs\.dockerTools/],
  },
  {
    name: "an unknown service key reaches the converter",
    module: `{ khepri.compositions.app.services.web = { image = "nginx"; contianerName = "typo"; }; }`,
    expect: [/contianerName/],
  },
  {
    name: "a secret file given as a Nix path (would be copied into the store)",
    module: `{ khepri.compositions.app = { secrets.s.file = ${nixPath(mealieCompose)}; services.web.image = "nginx"; }; }`,
    expect: [/secrets\.s\.file/, /not of type `null or string \(.*use a string, not a Nix path/],
  },
];

for (const failure of failures) {
  test(`errors: ${failure.name}`, () => {
    if (skipIfd(`error ${failure.name}`)) return;
    const message = expectFailure(() => evalWithKhepri(env!, { backend: "podman", modules: [failure.module] }));
    for (const re of failure.expect) assert.match(message, re);
    for (const re of failure.reject ?? []) assert.not.match(message, re);
  });
}

// ---------------------------------------------------------------------------------------------
// (e) the flake, without network: parse, outputs with a stand-in nixpkgs, `nix flake show`
// ---------------------------------------------------------------------------------------------

const nixFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return ["node_modules", ".git", ".build", "dist"].includes(d.name) ? [] : nixFiles(p);
    return d.name.endsWith(".nix") ? [p] : [];
  });

test("(e) every .nix file of the repository parses", () => {
  if (skipNix("parse .nix files")) return;
  const files = nixFiles(repoRoot);
  assert.ok(files.some((f) => f.endsWith("flake.nix")) && files.length > 8, files.join(", "));
  const r = spawnSync(env!.nixInstantiate, ["--parse", ...files], { encoding: "utf8", env: { ...process.env, NIX_PATH: "" } });
  assert.is(r.status, 0, cleanStderr(r.stderr));
});

test("(e) flake.lock is a version 7 lock with the pinned nixpkgs the flake follows", () => {
  const lock = JSON.parse(readFileSync(path.join(repoRoot, "flake.lock"), "utf8"));
  assert.is(lock.version, 7);
  assert.is(lock.root, "root");
  assert.equal(lock.nodes.root, { inputs: { nixpkgs: "nixpkgs" } });
  const nixpkgs = lock.nodes.nixpkgs;
  assert.equal(nixpkgs.original, { owner: "NixOS", ref: "nixos-unstable", repo: "nixpkgs", type: "github" });
  assert.is(nixpkgs.locked.type, "github");
  assert.match(nixpkgs.locked.rev, /^[0-9a-f]{40}$/);
  assert.match(nixpkgs.locked.narHash, /^sha256-[A-Za-z0-9+/]{43}=$/);
  assert.type(nixpkgs.locked.lastModified, "number");
});

const systems = ["aarch64-darwin", "aarch64-linux", "x86_64-linux"];

test("(e) flake outputs, evaluated with a stand-in nixpkgs", () => {
  if (skipNix("flake outputs")) return;
  const expr = `import ${nixPath(path.join(fixturesDir, "flake-outputs.nix"))} { nixpkgsLib = ${nixPath(env!.nixpkgsLib)}; flakeDir = ${nixPath(repoRoot)}; }`;
  const r = spawnSync(env!.nixInstantiate, ["--eval", "--strict", "--json", "--option", "substituters", "", "--store", "dummy://", "--expr", expr], {
    encoding: "utf8",
    env: { ...process.env, NIX_PATH: "" },
  });
  assert.is(r.status, 0, cleanStderr(r.stderr));
  const flake = JSON.parse(r.stdout);
  assert.equal(flake.inputs, { nixpkgs: { url: "github:NixOS/nixpkgs/nixos-unstable" } });
  assert.equal(flake.outputs, ["apps", "checks", "devShells", "formatter", "lib", "nixosModules", "outPath", "overlays", "packages"]);
  assert.equal(Object.keys(flake.packages).sort(), systems);
  for (const system of systems) {
    assert.equal(Object.keys(flake.packages[system]).sort(), ["default", "khepri"]);
    assert.match(flake.packages[system].default, /^khepri-\d/);
    assert.is(flake.packages[system].default, flake.packages[system].khepri);
    assert.equal(Object.keys(flake.apps[system]).sort(), ["convert", "default"]);
    assert.is(flake.apps[system].convert.type, "app");
    assert.match(flake.apps[system].convert.program, /^\/nix\/store\/[0-9a-z]{32}-khepri-convert$/);
    assert.ok(flake.apps[system].convert.description);
    assert.equal(Object.keys(flake.devShells[system]), ["default"]);
    assert.ok(flake.formatter[system]);
    const checks = Object.keys(flake.checks[system]).sort();
    const linux = system.endsWith("-linux");
    assert.equal(checks, linux ? ["options-doc", "package", "tests", "vm-docker", "vm-podman"] : ["options-doc", "package", "tests"]);
  }
  assert.equal(flake.nixosModules, ["default", "khepri"]);
  assert.equal(flake.overlays, ["default"]);
  assert.equal(flake.overlayAdds, ["khepri"]);
  assert.equal(flake.lib, ["composeModule"]);
  // the module's converter defaults to the flake's package for the host
  assert.is(flake.modulePackage, flake.packages["x86_64-linux"].default);
  assert.equal(flake.composeModule, { compositions: ["mealie"], imports: 1 });
  assert.equal(flake.vmTestNodes, { "vm-docker": ["machine"], "vm-podman": ["machine"] });
  assert.is(flake.packageMeta.mainProgram, "khepri");
});

test("(e) nix flake show, with nixpkgs overridden by the stand-in", () => {
  if (skipIfd("nix flake show")) return;
  const nix = path.join(path.dirname(env!.nixInstantiate), "nix");
  if (skipUnless(existsSync(nix), "nix-integration: nix flake show", `${nix} not found`)) return;
  // The flake's files and a stand-in nixpkgs flake (nixpkgs' lib + fake packages), outside the repository.
  const dir = mkdtempSync(path.join(tmp, "flake-"));
  const flakeDir = path.join(dir, "khepri");
  const stubDir = path.join(dir, "nixpkgs");
  mkdirSync(stubDir);
  mkdirSync(flakeDir);
  for (const f of ["flake.nix", "flake.lock", "package.json", "package-lock.json", "tsconfig.json", "nix", "scripts", "docs", "examples"]) {
    const from = path.join(repoRoot, f);
    if (existsSync(from)) assert.is(spawnSync("cp", ["-r", from, path.join(flakeDir, f)]).status, 0, f);
  }
  assert.is(spawnSync("cp", ["-r", env!.nixpkgsLib, path.join(stubDir, "lib")]).status, 0);
  assert.is(spawnSync("cp", [path.join(fixturesDir, "fake-nixpkgs.nix"), stubDir]).status, 0);
  writeFileSync(path.join(stubDir, "flake.nix"), "{\n  outputs = _: import ./fake-nixpkgs.nix { lib = import ./lib; };\n}\n");
  const r = spawnSync(
    nix,
    [
      "--extra-experimental-features",
      "nix-command flakes",
      "--option",
      "substituters",
      "",
      "flake",
      "show",
      "--json",
      "--no-write-lock-file",
      "--override-input",
      "nixpkgs",
      `path:${stubDir}`,
      `path:${flakeDir}`,
    ],
    { encoding: "utf8", env: { ...process.env, NIX_PATH: "" }, timeout: 120_000 },
  );
  assert.is(r.status, 0, cleanStderr(r.stderr));
  // the lock file was read: the input it replaced is the pinned one
  assert.match(r.stderr, /github:NixOS\/nixpkgs\/b7c2ada94fe99c15b0dbcf4d11fd7850b957a436/);
  const show = JSON.parse(r.stdout);
  for (const system of systems) {
    assert.equal(show.apps[system].convert, { type: "app" });
    assert.is(show.packages[system].default.type, "derivation");
    assert.match(show.packages[system].default.name, /^khepri-\d/);
    assert.is(show.devShells[system].default.type, "derivation");
    assert.is(show.formatter[system].type, "derivation");
  }
  assert.is(show.checks["x86_64-linux"]["vm-podman"].name, "vm-test-run-khepri-podman");
  assert.is(show.nixosModules.default.type, "nixos-module");
  assert.is(show.overlays.default.type, "nixpkgs-overlay");
});

// ---------------------------------------------------------------------------------------------
// The options reference follows the module's declarations
// ---------------------------------------------------------------------------------------------

test("docs/options.md is generated from the module's options and up to date", () => {
  if (skipNix("options reference")) return;
  const r = spawnSync(process.execPath, [path.join(repoRoot, "scripts", "options-doc.mjs"), "--check"], {
    encoding: "utf8",
    env: { ...process.env, KHEPRI_NIXPKGS_LIB: path.dirname(env!.nixpkgsLib) },
  });
  assert.is(r.status, 0, r.stderr + r.stdout);
  const doc = readFileSync(path.join(repoRoot, "docs", "options.md"), "utf8");
  // the first README's vocabulary is all there
  for (const name of ["image", "containerName", "environment", "environmentFiles", "volumes", "ports", "cmd", "entrypoint", "networks", "dependsOn", "restart", "labels", "devices", "capAdd", "capDrop", "extraHosts"]) {
    assert.ok(doc.includes(`## \`khepri.compositions.<name>.services.<name>.${name}\``), name);
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
