// khepri's NixOS module used the way a NixOS configuration uses it: one configuration file per
// case (test/fixtures/nix-integration/cases/<case>/configuration.nix), evaluated with nixpkgs'
// real lib and oci-containers.nix and the conversion built by the stand-in converter (see
// test/support/khepri-nix.ts). Each table row says what the user sees: the containers and units,
// the assertion or warning, or the evaluation error.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Backend, type NixosFacts, NixosEvalError, findNixosEvalEnv, nixString, shellWords } from "./support/nixos-eval.ts";
import { cleanStderr, configurationModule, evalWithKhepri, fixturesDir, ifdSupport } from "./support/khepri-nix.ts";
import { skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const skipIfd = (what: string) =>
  skipUnless(env !== undefined, `nix-module: ${what}`, missing ?? "") || skipUnless(ifdSupport(env!) === undefined, `nix-module: ${what}`, ifdSupport(env!) ?? "");

const argvOf = (facts: NixosFacts, unit: string) => {
  const service = facts.services[unit];
  assert.ok(service, `unit ${unit} exists: ${Object.keys(facts.services).join(", ")}`);
  return shellWords(service.script);
};

const casesDir = path.join(fixturesDir, "cases");
const configuration = (name: string) => path.join(casesDir, name, "configuration.nix");

interface Case {
  /** the directory under cases/ */
  dir: string;
  /** Nix values given to the configuration file besides `khepri` */
  args?: Record<string, string>;
  backend?: Backend;
  select?: string[];
}

/** Evaluates a case; a failure (an evaluation error or failed assertions) comes back as its text. */
function evaluate(c: Case): { facts?: NixosFacts; error?: string } {
  try {
    const { facts } = evalWithKhepri(env!, {
      backend: c.backend ?? "podman",
      modules: [configurationModule(configuration(c.dir), c.args)],
      select: c.select ?? [],
    });
    return { facts };
  } catch (e) {
    if (!(e instanceof NixosEvalError)) throw e;
    return { error: cleanStderr(e.message) };
  }
}

// ---------------------------------------------------------------------------------------------
// Errors a NixOS user can act on
// ---------------------------------------------------------------------------------------------

const errorCases: { name: string; case: Case; expect: RegExp[]; reject?: RegExp[] }[] = [
  // where a string belongs: a service option (given [ ./app.env ]), a top-level secret's or
  // config's file, the project directory; the message says to use a string
  ...(
    [
      ...["environmentFiles", "volumes", "devices", "secrets", "configs"].map((option) => ({ option, at: `services\\.web\\.${option}\\."\\[definition 1-entry 1\\]"` })),
      { option: "secrets.file", at: "secrets\\.db\\.file" },
      { option: "configs.file", at: "configs\\.app\\.file" },
      { option: "projectDirectory", at: "projectDirectory", path: /cases\/path-option'?$/m },
    ] as { option: string; at: string; path?: RegExp }[]
  ).map(({ option, at, path }) => ({
    name: `a Nix path in ${option} is a type error saying to use a string, and the file is never read`,
    case: { dir: "path-option", args: { option: nixString(option) } },
    expect: [new RegExp(`option \`khepri\\.compositions\\.app\\.${at}' is not of type \`(null or )?string \\([^)]*; use a string, not a Nix path`), path ?? /app\.env/],
    // the env file's content is a secret: it must not be in the message
    reject: [/CANARY_SECRET/, /syntax error/],
  })),
  {
    // not a host path, but a Nix path there must not be imported as a module (portMapping) either
    name: "a Nix path in ports is a type error, and the file is never read",
    case: { dir: "path-option", args: { option: nixString("ports") } },
    expect: [/option `khepri\.compositions\.app\.services\.web\.ports\."\[definition 1-entry 1\]"' is not of type/, /app\.env/],
    reject: [/CANARY_SECRET/, /syntax error/],
  },
  {
    name: "a converter error names the option and the file that defined it",
    case: { dir: "depends-on" },
    expect: [
      /khepri\.compositions\.app\.services\.web\.dependsOn\.dbb: service "web" depends on "dbb", which is not defined \(services: db, web\)/,
      /defined in .*cases\/depends-on\/configuration\.nix/,
    ],
    reject: [/khepri-spec\.json/, /\/nix\/store/],
  },
  {
    name: "a compose file error names the compose file as given and its line",
    case: { dir: "bad-compose" },
    expect: [/cases\/bad-compose\/compose\.yaml:4:\d+: services\.web\.ports\[0\]: "80:abc" is not a port/],
    reject: [/\/nix\/store/],
  },
  {
    name: "an error in an included compose file names that file as given and its line",
    case: { dir: "bad-include" },
    expect: [/cases\/bad-include\/common\/compose\.yaml:5:\d+: services\.cache\.ports\[0\]: "80:abc" is not a port/],
    reject: [/\/nix\/store/],
  },
  {
    name: "two compositions giving the same containerName: an assertion",
    case: { dir: "container-names" },
    expect: [/Failed assertions/, /container name "web" is used twice: by composition a, service web and by composition b, service web/],
  },
  {
    name: "two composeModule calls making the same project name: an assertion",
    case: { dir: "compose-projects" },
    expect: [/Failed assertions/, /khepri\.lib\.composeModule: 2 calls make the project "app"/, /compose-projects\/[ab]\/app\/compose\.yaml and .*compose-projects\/[ab]\/app\/compose\.yaml/],
  },
  {
    name: "two different dockerTools images with the same name:tag: an assertion",
    case: { dir: "image-names" },
    expect: [/Failed assertions/, /different dockerTools images are both named local\/web:v1/, /services\.web\.image, .*services\.worker\.image/],
  },
];

for (const row of errorCases) {
  test(`errors: ${row.name}`, () => {
    if (skipIfd(row.name)) return;
    const { error } = evaluate(row.case);
    assert.ok(error, "the evaluation fails");
    for (const re of row.expect) assert.match(error!, re);
    for (const re of row.reject ?? []) assert.not.match(error!, re);
  });
}

test("warnings: a bare container port publishes on a random host port", () => {
  if (skipIfd("bare port")) return;
  const { facts, error } = evaluate({ dir: "bare-port" });
  assert.not.ok(error, error);
  assert.ok(
    facts!.warnings.some((w) => /^khepri\.compositions\.app\.services\.web\.ports: a bare number publishes the container port on a random host port/.test(w)),
    JSON.stringify(facts!.warnings),
  );
  assert.equal(facts!.containers["app-web"]!.ports, ["8080/tcp"]);
});


// ---------------------------------------------------------------------------------------------
// Nix priorities on top of compose files
// ---------------------------------------------------------------------------------------------

for (const via of ["compositions", "composeModule", "module-shapes"]) {
  test(`priorities (${via}): plain merges, mkForce replaces, [ ] and { } empty, null removes (a map entry of any map option)`, () => {
    if (skipIfd(`priorities ${via}`)) return;
    const { facts, error } = evaluate({ dir: "priorities", args: { via: nixString(via) } });
    assert.not.ok(error, error);
    const web = facts!.containers["prio-web"]!;
    const worker = facts!.containers["prio-worker"]!;
    const own = (labels: Record<string, string>) => Object.keys(labels).filter((l) => !l.startsWith("com.docker.compose."));
    // a plain definition merges: entries by name, lists appended; null removes one entry
    assert.equal(web.environment, { KEEP: "compose", CHANGE: "nix", ADDED: "nix" });
    assert.equal(own(web.labels), ["keep"]);
    assert.equal(web.ports, ["80:80/tcp", "443:443/tcp", "8080:8080/tcp"]);
    assert.is(web.image, "docker.io/library/nginx:1.27");
    assert.equal(web.volumes, ["/srv/html:/usr/share/nginx/html:ro"]);
    // mkForce null on a scalar: the compose file's hostname is gone
    assert.not.ok(argvOf(facts!, "podman-prio-web").some((a) => a.includes("from-compose")));
    // null removes one entry of every map option: sysctls, extraHosts, ulimits, dependsOn,
    // networks, logging options
    const flags = (c: typeof web, flag: string) => c.extraOptions.filter((o) => o.startsWith(`--${flag}=`));
    assert.equal(flags(web, "sysctl"), ["--sysctl=net.core.somaxconn=1024"]);
    assert.equal(flags(web, "add-host"), ["--add-host=keep.example:10.0.0.1"]);
    assert.equal(flags(web, "ulimit"), ["--ulimit=nofile=1024:2048"]);
    assert.equal(flags(web, "log-opt"), ["--log-opt=tag=web"]);
    assert.equal(flags(web, "annotation"), ["--annotation=keep=compose"]);
    assert.equal(web.dependsOn, ["prio-worker"]);
    assert.not.ok(facts!.services["podman-prio-web"]!.requires.includes("podman-prio-cache.service"));
    assert.equal(web.networks, ["prio_front:alias=web"]);
    // ... and of a network's driver options and labels
    const front = facts!.services["podman-network-prio_front"]!.script;
    assert.match(front, "--opt=mtu=1400");
    assert.match(front, "--label=keep=compose");
    assert.not.match(front, /vlan|drop/);
    // mkForce replaces whole: a list, a map, a scalar
    assert.equal(worker.ports, ["9090:9000/tcp"]);
    assert.equal(worker.environment, { B: "nix" });
    assert.is(worker.image, "docker.io/library/alpine:3");
    // ... and a null entry in the replacing map is left out
    assert.equal(flags(worker, "sysctl"), ["--sysctl=net.core.somaxconn=4096"]);
    // an explicit [ ] or { } empties what the compose file set
    assert.equal(worker.volumes, []);
    assert.equal(own(worker.labels), []);
    assert.not.ok(argvOf(facts!, "podman-prio-worker").some((a) => a.includes("1.1.1.1")));
  });
}

// ---------------------------------------------------------------------------------------------
// Networks and volumes shared between compositions (networks: the seed test in nix-integration)
// ---------------------------------------------------------------------------------------------

test("shared volumes: consumers wait for the owner's unit or khepri.volumes', a missing one is a warning", () => {
  if (skipIfd("shared volumes")) return;
  const { facts, error } = evaluate({ dir: "shared-volumes" });
  assert.not.ok(error, error);
  const player = facts!.services["podman-player-player"]!;
  for (const unit of ["podman-volume-media.service", "podman-volume-cache.service"]) {
    assert.ok(player.requires.includes(unit) && player.after.includes(unit), `${unit}: ${JSON.stringify(player)}`);
  }
  assert.ok(facts!.services["podman-volume-cache"]!.wantedBy.includes("multi-user.target"));
  assert.not.ok(player.requires.some((u) => u.includes("/srv/player")));
  const job = facts!.services["podman-backup-job"]!;
  assert.not.ok(job.requires.includes("podman-volume-backups.service"), "no unit to require");
  assert.equal(
    facts!.warnings.filter((w) => /volume/.test(w)),
    ["khepri: volume backups is external (used by backup-job) but nothing on this system creates it: declare khepri.volumes.backups = { }; (or a composition's non-external volume with name = \"backups\"), or create it by hand with `podman volume create backups`."],
  );
});

// ---------------------------------------------------------------------------------------------
// Nothing secret reaches the store: only the compose files and what they include
// ---------------------------------------------------------------------------------------------

/** The store paths (top level) that hold the given files. */
const storeRoots = (files: string[]) => [...new Set(files.map((f) => f.split("/").slice(0, 4).join("/")))];

for (const via of ["compositions", "composeModule", "module-shapes"]) {
  test(`includes (${via}): the included files are copied, the .env and secret beside them are not`, () => {
    if (skipIfd(`includes ${via}`)) return;
    const { facts, error } = evaluate({ dir: "includes", args: { via: nixString(via) }, select: ["khepri.generated.khepriSpec"] });
    assert.not.ok(error, error);
    // include found the files, from two directories
    assert.equal(Object.keys(facts!.containers).sort(), ["stack-cache", "stack-job", "stack-web", "stack-worker"]);
    assert.is(facts!.containers["stack-worker"]!.environment.FROM_BASE, "yes");
    // extends found its file beside the compose file (its store copy), not in projectDirectory
    assert.equal(facts!.containers["stack-job"]!.environment, { FROM_TEMPLATE: "yes", FROM_MAIN: "yes" });
    // a relative bind in an included or extended file is beside that file in the project
    // directory on the host (as compose resolves it), never in the store copy
    assert.equal(facts!.containers["stack-cache"]!.volumes, ["/srv/stack/common/cache-data:/data"]);
    assert.equal(facts!.containers["stack-job"]!.volumes, ["/srv/stack/templates/template-data:/data"]);
    const web = facts!.containers["stack-web"]!;
    assert.ok(web.environmentFiles.includes("/srv/stack/.env"), JSON.stringify(web.environmentFiles));
    const spec = JSON.parse(facts!.selected["khepri.generated.khepriSpec"] as string) as { compositions: Record<string, { composeFiles: string[] }> };
    const copied = storeRoots(spec.compositions.stack!.composeFiles);
    assert.not.match(JSON.stringify(facts), /KHEPRI_CANARY/);
    assert.ok(copied.every((p) => p.startsWith("/nix/store/") && existsSync(p)), copied.join(" "));
    const grep = spawnSync("grep", ["-r", "-l", "KHEPRI_CANARY", ...copied], { encoding: "utf8" });
    assert.is(grep.status, 1, `canaries in the store: ${grep.stdout}${grep.stderr}`);
    const listing = spawnSync("find", [copied[0]!], { encoding: "utf8" }).stdout;
    assert.not.match(listing, /\.env|secrets|notes\.txt/);
  });
}

test("the old idiom \"${./dir}/compose.yaml\" still works, with a warning that it copies the directory", () => {
  if (skipIfd("whole directory")) return;
  const { facts, error } = evaluate({ dir: "whole-directory" });
  assert.not.ok(error, error);
  assert.ok(facts!.containers["web-web"]);
  assert.ok(
    facts!.warnings.some((w) => /^khepri\.compositions\.web: \/nix\/store\/.*-stack\/compose\.yaml is in a directory copied whole into the Nix store/.test(w)),
    JSON.stringify(facts!.warnings),
  );
});

// ---------------------------------------------------------------------------------------------
// The converter of the build platform
// ---------------------------------------------------------------------------------------------

test("cross: an aarch64 host's configuration runs the build platform's converter", () => {
  if (skipIfd("cross")) return;
  const { facts, error } = evaluate({ dir: "cross", select: ["khepri.package.system"] });
  // before, the conversion needed an aarch64-linux builder
  assert.not.ok(error, error);
  assert.is(facts!.selected["khepri.package.system"], process.arch === "arm64" ? "aarch64-linux" : "x86_64-linux");
  assert.equal(Object.keys(facts!.containers), ["app-web"]);
});

// ---------------------------------------------------------------------------------------------
// Rootless podman
// ---------------------------------------------------------------------------------------------

test("rootless: a composition run by one user's podman, with the real oci-containers module", () => {
  if (skipIfd("rootless")) return;
  const { facts, error } = evaluate({ dir: "rootless", args: { user: nixString("alice") }, select: ["networking.firewall.interfaces"] });
  assert.not.ok(error, error);
  for (const name of ["wiki-db", "wiki-web"]) assert.is((facts!.containers[name] as unknown as { podman: { user: string } }).podman.user, "alice", name);
  // the network and volume units: as alice, in her runtime directory, after her user manager
  for (const unit of ["podman-network-wiki_default", "podman-volume-wiki_data"]) {
    const u = facts!.services[unit]!;
    assert.ok(u, unit);
    assert.is(u.serviceConfig.User, "alice", unit);
    assert.is(u.environment.XDG_RUNTIME_DIR, "/run/user/1000", unit);
    for (const dep of ["user@1000.service", "linger-users.service"]) assert.ok(u.after.includes(dep), `${unit} after ${dep}`);
    assert.ok(u.requires.includes("user@1000.service"), unit);
  }
  // the containers' units: oci-containers' own rootless handling
  const web = facts!.services["podman-wiki-web"]!;
  assert.ok(web.after.includes("linger-users.service"), JSON.stringify(web.after));
  assert.is(web.environment.HOME, "/home/alice");
  // a privileged port: warned; none of the rootful host settings
  assert.equal(
    facts!.warnings.filter((w) => w.includes("ip_unprivileged_port_start")),
    ["khepri.compositions.wiki: port 127.0.0.1:443:443/tcp cannot be published by alice's rootless podman (below net.ipv4.ip_unprivileged_port_start = 1024); publish a port from 1024 up, or lower that sysctl (boot.kernel.sysctl)."],
  );
  const interfaces = (facts!.selected["networking.firewall.interfaces"] ?? {}) as Record<string, unknown>;
  assert.not.ok(interfaces["podman+"], JSON.stringify(interfaces));
  assert.not.ok(facts!.podman.defaultNetworkSettings?.dns_enabled);
});

test("rootless: what the user lacks is a failed assertion each", () => {
  if (skipIfd("rootless assertions")) return;
  const { error } = evaluate({ dir: "rootless", args: { user: nixString("bob") } });
  assert.ok(error);
  for (const re of [
    /khepri\.compositions\.wiki\.podman\.user: bob must be a normal user \(users\.users\.bob\.isNormalUser = true\)/,
    // (asserted by the generated module, whose units read the uid)
    /rootless podman runs as bob, who needs a static uid \(users\.users\.bob\.uid/,
    /bob needs subordinate uids and gids for rootless podman/,
    /waits for a healthcheck .*set users\.users\.bob\.linger = true/,
  ]) {
    assert.match(error!, re);
  }
  const docker = evaluate({ dir: "rootless", args: { user: nixString("alice") }, backend: "docker" });
  assert.match(docker.error ?? "", /rootless containers need virtualisation\.oci-containers\.backend = "podman"/);
});

test("rootless: a network or volume created in another user's podman (root's: khepri.networks, khepri.volumes) is a failed assertion", () => {
  if (skipIfd("rootless shared")) return;
  const { error } = evaluate({ dir: "rootless-shared", args: { sharedBy: nixString("root") } });
  assert.ok(error, "the evaluation fails");
  const failed = error!.split("\n").filter((l) => l.startsWith("khepri."));
  const hint = "Shared networks and volumes (khepri.networks, khepri.volumes) are created in root's podman, so a rootless composition must declare its own: ";
  const same = " Compositions that share one must all run as the same user (podman.user).";
  assert.equal(failed.sort(), [
    "khepri.compositions.reader: composition reader runs in root's podman, but the volume notes it uses (reader-cat) is created by composition wiki in alice's rootless podman, where root's containers cannot see it. Declare volumes.notes = { }; in reader, not external." + same,
    `khepri.compositions.wiki.podman.user: composition wiki runs in alice's rootless podman, but the network proxy_net it uses (wiki-web) is created by khepri.networks.proxy_net in root's podman, where alice's containers cannot see it. ${hint}networks.proxy_net = { }; in wiki, not external.${same}`,
    `khepri.compositions.wiki.podman.user: composition wiki runs in alice's rootless podman, but the volume books it uses (wiki-web) is created by composition library in root's podman, where alice's containers cannot see it. ${hint}volumes.books = { }; in wiki, not external.${same}`,
    `khepri.compositions.wiki.podman.user: composition wiki runs in alice's rootless podman, but the volume media it uses (wiki-web) is created by khepri.volumes.media in root's podman, where alice's containers cannot see it. ${hint}volumes.media = { }; in wiki, not external.${same}`,
  ]);
});

test("rootless: compositions run by the same user share networks and volumes; a missing one is a warning for that user", () => {
  if (skipIfd("rootless shared same user")) return;
  const { facts, error } = evaluate({ dir: "rootless-shared", args: { sharedBy: nixString("alice") } });
  assert.not.ok(error, error);
  const web = facts!.services["podman-wiki-web"]!;
  for (const unit of ["podman-network-proxy_net.service", "podman-volume-media.service", "podman-volume-books.service"]) {
    assert.ok(web.requires.includes(unit) && web.after.includes(unit), `${unit}: ${JSON.stringify(web.requires)}`);
    assert.is(facts!.services[unit.replace(/\.service$/, "")]!.serviceConfig.User, "alice", unit);
  }
  assert.equal(
    facts!.warnings.filter((w) => w.startsWith("khepri:")),
    ["khepri: volume drafts of alice's rootless podman is external (used by wiki-web) but nothing on this system creates it: declare it in a composition run by alice (a non-external volume with name = \"drafts\"), or create it by hand as alice with `podman volume create drafts`."],
  );
});

test.run();
