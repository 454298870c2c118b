// Issue 13 (real-world fidelity): what khepri makes of GPUs and CDI devices, the docker socket on
// podman, docker-only network options, empty interpolated names, relative host paths, decimal tmpfs
// modes and misspelled keys. Each row converts a fixture (test/fixtures/fidelity/<case>) for one
// runtime and checks the generated module and the messages; the comment on each table names the
// docker compose behaviour it pins.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evalWithKhepri, ifdSupport } from "./support/khepri-nix.ts";
import { evalNixosModules, findNixosEvalEnv, NixosEvalError, type Backend } from "./support/nixos-eval.ts";
import { convertIn, scratchDir } from "./support/semantics.ts";
import { repoRoot, skipUnless } from "./support/shared.ts";
import type { Healthcheck } from "../src/model/index.ts";
import { dockerHealthWait } from "../src/plan/dependencies.ts";

const fixtures = path.join(repoRoot, "test", "fixtures", "fidelity");
const scratch = scratchDir("fidelity");

interface Row {
  /** fixture directory under test/fixtures/fidelity */
  fixture: string;
  runtime: Backend;
  /** extra CLI arguments */
  args?: string[];
  env?: Record<string, string>;
  /** container name -> texts its `virtualisation.oci-containers.containers.<name>` block must hold */
  containers?: Record<string, { has?: string[]; lacks?: string[] }>;
  /** texts the whole module must (not) hold */
  has?: string[];
  lacks?: string[];
  /** regular expressions some stderr line must match */
  says?: RegExp[];
  /** regular expressions no stderr line may match */
  silent?: RegExp[];
  /** the conversion fails (exit 1) */
  fails?: boolean;
}

/** The text of one container's attribute set in a generated module. */
function containerBlock(module: string, name: string): string {
  const start = module.indexOf(`virtualisation.oci-containers.containers.${name} = {`);
  if (start < 0) return "";
  const end = module.indexOf("\n  };", start);
  return module.slice(start, end);
}

function check(row: Row): void {
  const dir = path.join(fixtures, row.fixture);
  const out = convertIn(dir, row.runtime, row.args ?? [], scratch.dir, row.env);
  const label = `${row.fixture} (${row.runtime})`;
  if (row.fails) {
    assert.is(out.code, 1, `${label}: should fail\n${out.stderr}`);
  } else {
    assert.is(out.code, 0, `${label}: ${out.stderr}`);
  }
  const module = out.module ?? "";
  for (const [name, want] of Object.entries(row.containers ?? {})) {
    const block = containerBlock(module, name);
    assert.ok(block, `${label}: no container ${name} in\n${module}`);
    for (const text of want.has ?? []) assert.ok(block.includes(text), `${label}: ${name} lacks ${text}\n${block}`);
    for (const text of want.lacks ?? []) assert.not.ok(block.includes(text), `${label}: ${name} has ${text}\n${block}`);
  }
  for (const text of row.has ?? []) assert.ok(module.includes(text), `${label}: module lacks ${text}\n${module}`);
  for (const text of row.lacks ?? []) assert.not.ok(module.includes(text), `${label}: module has ${text}\n${module}`);
  const lines = out.stderr.split("\n");
  for (const re of row.says ?? []) assert.ok(lines.some((l) => re.test(l)), `${label}: no message matches ${re}\n${out.stderr}`);
  for (const re of row.silent ?? []) assert.not.ok(lines.some((l) => re.test(l)), `${label}: a message matches ${re}\n${out.stderr}`);
}

const rowName = (row: Row) => `${row.fixture} (${row.runtime}${row.args?.length ? ` ${row.args.join(" ")}` : ""})`;

// ---- 1. GPUs and CDI devices --------------------------------------------------------------------
// Pins docker compose's pkg/compose/create.go: a `devices` entry whose source equals its target and
// is a qualified CDI name (vendor/class=name) becomes a CDI DeviceRequest, not a path mapping;
// `deploy.resources.reservations.devices` and `gpus` become DeviceRequests with their driver, count,
// device ids and capabilities (`gpus` adds the `gpu` capability); the engine serves drivers `cdi`
// (ids are CDI names) and `nvidia` (or none, chosen by the `gpu` capability) and refuses any other.
const GPU_ROWS: Row[] = [];
for (const runtime of ["podman", "docker"] as Backend[]) {
  GPU_ROWS.push(
    {
      fixture: "gpu-cdi-devices",
      runtime,
      // (compose-go's short syntax: `source:mode` is a source and its permissions)
      containers: { "gpu-cdi-app": { has: [`"nvidia.com/gpu=all"`, `"vendor.example/fpga=1"`, `"/dev/snd:/dev/snd:rw"`, `"/dev/dri:/dev/dri:rw"`], lacks: ["gpu=all:", "fpga=1:", ":rw:"] } },
      has: ["hardware.nvidia-container-toolkit.enable"],
      says: [/^note: compose\.yaml:8:9: services\.app\.devices\[1\]: vendor\.example\/fpga=1 is a CDI device: the host needs a CDI spec for it/],
    },
    {
      fixture: "gpu-reservations",
      runtime,
      containers: {
        "gpu-res-cdi": { has: [`"--device=nvidia.com/gpu=all"`], lacks: ["gpu=nvidia.com", "--gpus"] },
        "gpu-res-other-driver": { lacks: ["--gpus", "--device", "unknown"] },
        "gpu-res-count": { has: runtime === "docker" ? [`"--gpus=2"`] : [`"--device=nvidia.com/gpu=0"`, `"--device=nvidia.com/gpu=1"`] },
        "gpu-res-ids":
          runtime === "docker"
            ? { has: [`"--gpus=\\"device=0,3\\",\\"capabilities=compute,utility\\""`] }
            : { has: [`"--device=nvidia.com/gpu=0"`, `"--device=nvidia.com/gpu=3"`], lacks: ["capabilities"] },
        "gpu-res-all": { has: [runtime === "docker" ? `"--gpus=all"` : `"--device=nvidia.com/gpu=all"`] },
      },
      says: [/^warning: .*compose\.yaml:\d+:\d+: services\.other-driver\.deploy\.resources\.reservations\.devices\[0\]: driver "ignore-me"/],
      has: ["hardware.nvidia-container-toolkit.enable"],
    },
    {
      fixture: "gpu-service-key",
      runtime,
      containers: {
        "gpu-key-all": { has: [runtime === "docker" ? `"--gpus=all"` : `"--device=nvidia.com/gpu=all"`] },
        "gpu-key-ids": { has: [runtime === "docker" ? `"--gpus=\\"device=1\\""` : `"--device=nvidia.com/gpu=1"`] },
      },
      has: ["hardware.nvidia-container-toolkit.enable"],
    },
    {
      // AMD: device nodes pass through as they are; no NVIDIA assertion; a note on the groups ROCm wants.
      fixture: "gpu-amd",
      runtime,
      containers: { "gpu-amd-rocm": { has: [`"/dev/kfd:/dev/kfd:rwm"`, `"/dev/dri:/dev/dri:rwm"`], lacks: ["--gpus", "nvidia"] } },
      lacks: ["nvidia-container-toolkit"],
      says: [/^note: .*services\.rocm\.devices\[0\]: \/dev\/kfd .*group_add: \[video, render\]/],
    },
  );
}
for (const row of GPU_ROWS) test(`fidelity: GPUs: ${rowName(row)}`, () => check(row));

// (e) The module asserts NVIDIA's container toolkit, judged by nixpkgs' module system.
const { env: nixEnv, missing } = findNixosEvalEnv();
test("fidelity: GPUs: the module asserts hardware.nvidia-container-toolkit.enable", () => {
  if (skipUnless(nixEnv !== undefined, "fidelity: NVIDIA toolkit assertion", missing ?? "")) return;
  for (const runtime of ["podman", "docker"] as Backend[]) {
    const out = convertIn(path.join(fixtures, "gpu-service-key"), runtime, ["-q"], scratch.dir);
    assert.is(out.code, 0, out.stderr);
    const without = evalNixosModules(nixEnv!, [out.moduleFile], { backend: runtime, allowFailedAssertions: true });
    assert.equal(without.failedAssertions.length, 1, JSON.stringify(without.failedAssertions));
    assert.match(without.failedAssertions[0]!, /gpu-key-all, gpu-key-ids use NVIDIA GPUs, which need hardware\.nvidia-container-toolkit\.enable = true/);
    const withToolkit = evalNixosModules(nixEnv!, [out.moduleFile], { backend: runtime, extraConfig: "{ hardware.nvidia-container-toolkit.enable = true; }" });
    assert.equal(withToolkit.failedAssertions, []);
  }
});

// (e) and through khepri.compositions (the NixOS module converting at build time), which forwards
// the generated module's assertions.
test("fidelity: GPUs: khepri.compositions asserts hardware.nvidia-container-toolkit.enable", () => {
  if (skipUnless(nixEnv !== undefined, "fidelity: khepri.compositions GPU assertion", missing ?? "")) return;
  const ifd = ifdSupport(nixEnv!);
  if (skipUnless(ifd === undefined, "fidelity: khepri.compositions GPU assertion", ifd ?? "")) return;
  const composition = `{ khepri.compositions.ai.services.ollama = { image = "docker.io/ollama/ollama:0.5"; gpus = "all"; }; }`;
  let failed: string[] = [];
  try {
    evalWithKhepri(nixEnv!, { backend: "podman", modules: [composition] });
  } catch (error) {
    assert.instance(error, NixosEvalError);
    failed = (error as NixosEvalError).failedAssertions ?? [];
  }
  assert.ok(failed.some((m) => /ai-ollama uses NVIDIA GPUs, which need hardware\.nvidia-container-toolkit\.enable = true/.test(m)), JSON.stringify(failed));
  const { facts } = evalWithKhepri(nixEnv!, { backend: "podman", modules: [composition, "{ hardware.nvidia-container-toolkit.enable = true; }"] });
  assert.ok(facts.containers["ai-ollama"], Object.keys(facts.containers).join(", "));
});

// ---- 2. The docker socket on podman ------------------------------------------------------------
// Containers that manage others bind /var/run/docker.sock (docker's API); on podman that socket is
// podman's docker-compatible API service, which NixOS runs with virtualisation.podman.dockerSocket.
const SOCKET_ROWS: Row[] = [
  {
    fixture: "docker-socket",
    runtime: "podman",
    has: ["dockerSocket.enable = lib.mkDefault true;"],
    says: [/^note: .*services\.traefik\.volumes\[0\]: \/var\/run\/docker\.sock: .*virtualisation\.podman\.dockerSocket\.enable/, /^note: .*services\.other\.volumes\[0\]: \/run\/docker\.sock/],
  },
  // --no-setup leaves out the runtime's setup, not what a container needs of the host.
  { fixture: "docker-socket", runtime: "podman", args: ["--no-setup"], has: ["dockerSocket.enable = lib.mkDefault true;"], lacks: ["virtualisation.podman.enable"] },
  // docker serves its own socket.
  { fixture: "docker-socket", runtime: "docker", lacks: ["dockerSocket"], silent: [/docker\.sock/] },
  // rootless podman has no rootful socket to bind.
  { fixture: "docker-socket", runtime: "podman", args: ["--podman-user", "alice"], lacks: ["dockerSocket"], says: [/^warning: .*rootless podman serves/] },
];
for (const row of SOCKET_ROWS) test(`fidelity: docker socket: ${rowName(row)}`, () => check(row));

// Missing bind sources (issue 11, host hygiene). Pins docker compose's short-syntax rule (a missing
// source is created as a directory; podman does not create it, so the unit does) and khepri's
// exceptions: a path naming a socket, or under /proc, /sys or /dev (after `..` is resolved), goes
// to the engine as --mount, which refuses a missing source instead of creating a directory there;
// `create_host_path: false` likewise.
const NEVER_CREATED = ["/proc/driver/nvidia", "/sys/fs/cgroup", "/dev/shm/x", "/dev/input", "/srv/agent.sock", "/run/podman/podman.socket", "/srv/nocreate"];
const HOST_PATH_ROWS: Row[] = (["podman", "docker"] as Backend[]).map((runtime) => ({
  fixture: "host-paths",
  runtime,
  has: [
    ...NEVER_CREATED.map((source) => `"--mount=type=bind,source=${source},target=`),
    ...(runtime === "podman" ? ["/data ] || mkdir -p ", "[ -e /srv/app ] || mkdir -p /srv/app"] : []),
  ],
  lacks: NEVER_CREATED.map((source) => `mkdir -p ${source}`),
}));
for (const row of HOST_PATH_ROWS) test(`fidelity: missing bind sources: ${rowName(row)}`, () => check(row));

// Host port 53 (issue 11): podman's aardvark-dns listens on port 53 of every network's gateway, so
// publishing it on all host addresses fails at start ("address already in use", seen on podman
// 4.3 in the engine stage); one host address does not clash, and docker has no such server.
const PORT53_ROWS: Row[] = [
  {
    fixture: "port53",
    runtime: "podman",
    says: [/^warning: .*services\.open\.ports\[0\]: publishing port 53 on podman/, /^warning: compose\.yaml:8:\d+: services\.open\.ports\[\d+\]: publishing port 53/],
    silent: [/services\.local\.ports/],
  },
  { fixture: "port53", runtime: "docker", silent: [/port 53/] },
];
for (const row of PORT53_ROWS) test(`fidelity: host port 53: ${rowName(row)}`, () => check(row));

// Through khepri.compositions (converted with --no-setup): the host gets podman's docker socket,
// and a configuration that says no wins over the default.
test("fidelity: docker socket: khepri.compositions enables podman's docker socket", () => {
  if (skipUnless(nixEnv !== undefined, "fidelity: khepri.compositions docker socket", missing ?? "")) return;
  const ifd = ifdSupport(nixEnv!);
  if (skipUnless(ifd === undefined, "fidelity: khepri.compositions docker socket", ifd ?? "")) return;
  const composition = `{ khepri.compositions.proxy.services.traefik = { image = "docker.io/library/traefik:3"; volumes = [ "/var/run/docker.sock:/var/run/docker.sock:ro" ]; }; }`;
  const socket = "virtualisation.podman.dockerSocket.enable";
  const on = evalWithKhepri(nixEnv!, { backend: "podman", modules: [composition], select: [socket] });
  assert.is(on.facts.selected?.[socket], true);
  const off = evalWithKhepri(nixEnv!, { backend: "podman", modules: [composition, `{ ${socket} = false; }`], select: [socket] });
  assert.is(off.facts.selected?.[socket], false);
});

// ---- 3. Docker-only network options on podman ----------------------------------------------------
// docker compose hands `driver_opts` to the engine as they are (docker network create --opt), so
// docker keeps them; podman's netavark refuses docker's `com.docker.network.*` bridge options
// ("unsupported bridge network option"; checked against podman 4.3), and has its own flags for three.
const createLine = (network: string, runtime: Backend) => new RegExp(`${runtime} network create netopts_${network} ([^\n]*)`);
interface NetworkRow {
  network: string;
  /** the `network create` flags per runtime (before the compose labels) */
  podman: string;
  docker: string;
  /** podman warns about these options */
  dropped?: string[];
}
const NETWORK_ROWS: NetworkRow[] = [
  { network: "default", podman: "", docker: "--opt=com.docker.network.enable_ipv6=false" },
  { network: "v6", podman: "--ipv6", docker: "--opt=com.docker.network.enable_ipv6=true" },
  { network: "named", podman: "--interface-name=br-named", docker: "--opt=com.docker.network.bridge.name=br-named" },
  { network: "mtu", podman: "--opt=mtu=1400", docker: "--opt=com.docker.network.driver.mtu=1400" },
  {
    network: "icc",
    podman: "",
    docker: "--opt=com.docker.network.bridge.enable_icc=false --opt=com.docker.network.bridge.enable_ip_masquerade=false",
    dropped: ["com.docker.network.bridge.enable_icc", "com.docker.network.bridge.enable_ip_masquerade"],
  },
  // podman's own options pass; a bridge name means nothing to macvlan (podman's --interface-name would name the parent)
  { network: "mac", podman: "--driver=macvlan --opt=parent=eth0", docker: "--driver=macvlan --opt=parent=eth0 --opt=com.docker.network.bridge.name=ignored0", dropped: ["com.docker.network.bridge.name"] },
];
for (const runtime of ["podman", "docker"] as Backend[]) {
  test(`fidelity: network driver_opts (${runtime})`, () => {
    const out = convertIn(path.join(fixtures, "network-driver-opts"), runtime, [], scratch.dir);
    assert.is(out.code, 0, out.stderr);
    for (const row of NETWORK_ROWS) {
      const line = createLine(row.network, runtime).exec(out.module ?? "");
      assert.ok(line, `no ${runtime} network create for ${row.network}`);
      const flags = line![1]!.replace(/ ?--label=\S+/g, "");
      assert.is(flags, row[runtime], `${row.network}`);
      for (const option of row.dropped ?? []) {
        const warned = out.stderr.split("\n").some((l) => l.startsWith("warning: compose.yaml:") && l.includes(`networks.${row.network}.driver_opts["${option}"]`) && l.includes("dropped"));
        assert.is(warned, runtime === "podman", `${runtime}: ${row.network} ${option} warning\n${out.stderr}`);
      }
    }
  });
}

// ---- 9. Decimal tmpfs modes ----------------------------------------------------------------------
// compose-go reads `tmpfs.mode` as a number and docker uses it as the mode: YAML's 1777 is decimal,
// i.e. 0o3361. khepri keeps that faithful value and warns; 0o1777 (1023) and 511 (0o777) are fine.
const TMPFS_ROWS: Row[] = (["podman", "docker"] as Backend[]).map((runtime) => ({
  fixture: "tmpfs-mode",
  runtime,
  containers: {
    "tmpfs-decimal": { has: ["--tmpfs=/tmp:mode=3361"] },
    "tmpfs-octal": { has: ["--tmpfs=/tmp:mode=1777"] },
    "tmpfs-small": { has: ["--tmpfs=/tmp:mode=777"] },
  },
  says: [/^warning: compose\.yaml:10:17: services\.decimal\.volumes\[0\]\.tmpfs\.mode: tmpfs mode 1777 is a decimal number, which is mode 0o3361; you almost certainly meant 0o1777/],
  silent: [/services\.(octal|small)\./],
}));
for (const row of TMPFS_ROWS) test(`fidelity: tmpfs mode: ${rowName(row)}`, () => check(row));

// ---- 4. Empty interpolated names ----------------------------------------------------------------
// compose-go reads an empty `name:` as none: `<project>_<key>` (an external one: its key), and an
// empty container_name as none: the default `<project>-<service>`. Keys sharing one name share the
// resource (one unit, no duplicate attribute).
const EMPTY_ROWS: Row[] = (["podman", "docker"] as Backend[]).map((runtime) => ({
  fixture: "empty-names",
  runtime,
  containers: {
    "empty-app": { has: [`"empty_va:/a"`, `"empty_vb:/b"`, `"empty_va:/c"`, "empty_front", "empty_back"], lacks: [`":/a"`] },
    "empty-web": {},
  },
  says: [
    /^note: compose\.yaml:6:21: services\.app\.container_name: container_name is empty/,
    /^note: compose\.yaml:17:11: volumes\.va\.name: name is empty \(an unset variable\?\): "empty_va" is used/,
    /^note: compose\.yaml:27:11: networks\.back\.name: name is empty \(an unset variable\?\): "empty_back" is used/,
  ],
  silent: [/^error/],
}));
for (const row of EMPTY_ROWS) test(`fidelity: empty names: ${rowName(row)}`, () => check(row));
test("fidelity: empty names: one unit per resource name, and the module evaluates", () => {
  for (const runtime of ["podman", "docker"] as Backend[]) {
    const out = convertIn(path.join(fixtures, "empty-names"), runtime, ["-q"], scratch.dir);
    assert.is(out.code, 0, out.stderr);
    const module = out.module ?? "";
    for (const name of ["empty_va", "empty_vb"]) assert.is(module.split(`${runtime} volume create ${name} `).length - 1, 1, `${runtime}: volume ${name}`);
    for (const name of ["empty_front", "empty_back"]) assert.is(module.split(`${runtime} network create ${name} `).length - 1, 1, `${runtime}: network ${name}`);
    // the container joins the network `front` and `shared` both name once
    const joins = containerBlock(module, "empty-app").match(/"(?:name=)?empty_front[:,]/g) ?? [];
    assert.is(joins.length, 1, `${runtime}: joins empty_front ${joins.length} times`);
    if (nixEnv) {
      const facts = evalNixosModules(nixEnv, [out.moduleFile], { backend: runtime });
      assert.equal(Object.keys(facts.containers).sort(), ["empty-app", "empty-web"]);
    }
  }
});

// ---- 5. Relative host paths ---------------------------------------------------------------------
// compose-go's paths.ResolveRelativePaths resolves build.context, build.additional_contexts (local
// ones), build.ssh files, env_file paths, label_file, extends.file, bind sources, configs/secrets
// files and a local volume's bind device against the project directory, and docker compose reads a
// seccomp profile relative to it (parseSecurityOpts). The unit runs from `/`, so each must be
// absolute in the output. (`devices` sources and `credential_spec: file:` are not project paths in
// compose either: a device is a host node, a credential spec lives in docker's own directory.)
const relDir = path.join(fixtures, "relative-paths");
const abs = (p: string) => path.join(relDir, p);
interface PathRow {
  key: string;
  /** where it shows: the JSON spec (`--format json`) or the generated module */
  in: "spec" | "module";
  want: string;
}
const PATH_ROWS: PathRow[] = [
  { key: "security_opt seccomp:", in: "module", want: `"--security-opt=seccomp:${abs("seccomp.json")}"` },
  { key: "security_opt seccomp=unconfined (no file)", in: "module", want: `"--security-opt=seccomp=unconfined"` },
  { key: "build.context", in: "spec", want: `"context": "${abs("app")}"` },
  { key: "build.ssh", in: "spec", want: `"mykey": "${abs("keys/id_ed25519")}"` },
  { key: "build.additional_contexts (local)", in: "spec", want: `"assets": "${abs("assets")}"` },
  { key: "build.additional_contexts (image)", in: "spec", want: `"base": "docker-image://alpine:3"` },
  { key: "env_file.path", in: "module", want: `environmentFiles = [ "${abs("app.env")}" ]` },
  { key: "volumes bind source", in: "module", want: `"${abs("data")}:/data"` },
  { key: "secrets file", in: "module", want: `"${abs("token.txt")}:/run/secrets/token:ro"` },
  { key: "configs file", in: "module", want: `"${abs("conf.ini")}:/conf:ro"` },
  { key: "volumes.*.driver_opts.device (o: bind)", in: "module", want: `--opt=device=${abs("cache")} ` },
];
test("fidelity: relative host paths resolve against the project directory (compose file)", () => {
  const module = convertIn(relDir, "podman", [], scratch.dir);
  assert.is(module.code, 0, module.stderr);
  const spec = convertIn(relDir, "podman", ["--format", "json"], scratch.dir);
  assert.is(spec.code, 0, spec.stderr);
  for (const row of PATH_ROWS) {
    const text = row.in === "module" ? module.module! : spec.module!;
    assert.ok(text.includes(row.want), `${row.key}: ${row.want} not in the ${row.in}\n${text}`);
  }
  // label_file is read while loading: its labels arrive, so the file was found from `/` too
  assert.ok(module.module!.includes(`"com.example.a" = "1"`), "label_file");
});
test("fidelity: relative host paths resolve against the project directory (JSON spec)", () => {
  const out = convertIn(repoRoot, "docker", ["--spec", path.join(relDir, "spec.json")], scratch.dir);
  assert.is(out.code, 0, out.stderr);
  assert.ok(out.module!.includes(`"--security-opt=seccomp=${abs("seccomp.json")}"`), out.module);
  assert.ok(out.module!.includes(`"${abs("data")}:/data"`), out.module);
});

// ---- 12. Typos ---------------------------------------------------------------------------------
// docker compose refuses an unknown key ("additional properties 'enviroment' not allowed"); khepri
// refuses it too, at file:line:col, and names the closest key the mapping has (in a JSON spec, the
// spec's camelCase names and compose's, both of which a spec takes).
const typoDir = path.join(fixtures, "typos");
const TYPO_ROWS: { file: string; error: string }[] = [
  { file: "environment.yaml", error: `error: environment.yaml:4:5: services.app.enviroment: unknown key "enviroment"; did you mean "environment"?` },
  { file: "healthcheck.yaml", error: `error: healthcheck.yaml:6:7: services.app.healthcheck.intervall: unknown key "intervall"; did you mean "interval"?` },
  { file: "top.yaml", error: `error: top.yaml:4:1: volumse: unknown key "volumse"; did you mean "volumes"?` },
  { file: "port.yaml", error: `error: port.yaml:6:9: services.app.ports[0].publishd: unknown key "publishd"; did you mean "published"?` },
  // nothing close: no guess
  { file: "unrelated.yaml", error: `error: unrelated.yaml:4:5: services.app.xyzzy: unknown key "xyzzy"` },
  { file: "spec.json", error: `error: spec.json:5:36: compositions.typo.services.app.containerNmae: unknown key "containerNmae"; did you mean "containerName"?` },
  { file: "spec-compose-name.json", error: `error: spec-compose-name.json:5:36: compositions.typo.services.app.restrat: unknown key "restrat"; did you mean "restart"?` },
];
for (const row of TYPO_ROWS) {
  test(`fidelity: typos: ${row.file}`, () => {
    const args = row.file.endsWith(".json") ? ["--spec", row.file] : ["-f", row.file];
    const out = convertIn(typoDir, "podman", args, scratch.dir);
    assert.is(out.code, 1, out.stderr);
    assert.is(out.stderr.trim(), row.error);
    assert.is(out.module, undefined, "nothing written");
  });
}

// ---- 6. The docker health wait says how long it really waited ----------------------------------
// The generated postStart runs against a stand-in `docker` that answers `inspect` with the given
// health states in turn: the wait ends at the first final state, and the message gives the seconds
// really waited (it said "after waiting 60s" when docker had reported unhealthy after 5 s).
const HEALTH_ROWS: { states: string[]; code: number; message?: RegExp }[] = [
  { states: ["starting", "starting", "unhealthy"], code: 1, message: /^web: health is unhealthy after waiting [23]s \(limit 60s\)$/ },
  { states: ["starting", "healthy"], code: 0 },
  { states: ["none"], code: 1, message: /^web: health is none after waiting 0s \(limit 60s\)$/ },
];
for (const row of HEALTH_ROWS) {
  test(`docker health wait: ${row.states.join(" -> ")}`, () => {
    const dir = mkdtempSync(path.join(scratch.dir, "health-"));
    writeFileSync(path.join(dir, "states"), row.states.join("\n") + "\n");
    // each call answers the next state, and the last one from then on
    const docker = `#!/bin/sh\nn=$(cat ${dir}/n 2>/dev/null || echo 1)\necho $((n + 1)) > ${dir}/n\nsed -n "\${n}p" ${dir}/states | grep . || tail -n 1 ${dir}/states\n`;
    writeFileSync(path.join(dir, "docker"), docker, { mode: 0o755 });
    const script = dockerHealthWait("web", { interval: "1s", timeout: "1s", retries: 3 } as Healthcheck);
    const started = Date.now();
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { PATH: `${dir}:${process.env.PATH}` }, stdio: ["ignore", "pipe", "pipe"], timeout: 20_000 });
    const took = (Date.now() - started) / 1000;
    assert.is(r.status, row.code, r.stderr);
    if (row.message) assert.match(r.stderr.trim(), row.message, r.stderr);
    assert.ok(took < row.states.length + 2, `took ${took}s`);
  });
}

test.after(() => scratch.cleanup());
test.run();
