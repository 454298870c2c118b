// No service key is dropped silently: for every key of SERVICE_KEYS that khepri claims to honour
// (handling "flag", "option" or "systemd"), a compose service using it must give a different NixOS
// configuration than the same service without it — judged on what nixpkgs' real oci-containers
// module makes of the module (the run line, the units and their settings), for both runtimes — and
// converting it must not warn that the key was ignored.
import { cpSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SERVICE_KEYS } from "../src/plan/serviceKeys.ts";
import { evalNixosModules, findNixosEvalEnv, type Backend, type NixosFacts } from "./support/nixos-eval.ts";
import { convertIn, scratchDir } from "./support/semantics.ts";
import { repoRoot, skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const scratch = scratchDir("semantics-keys");
const project = path.join(scratch.dir, "project");
cpSync(path.join(repoRoot, "test", "fixtures", "semantics", "service-keys"), project, { recursive: true });

interface Sample {
  /** the key's value in service `app` */
  value: unknown;
  /** top-level sections the value refers to (present in the baseline too) */
  top?: Record<string, unknown>;
}

/** One sample value per honoured key. A key added to SERVICE_KEYS without a sample fails the first test. */
const SAMPLES: Record<string, Sample> = {
  // run flags
  annotations: { value: { "com.example.note": "x" } },
  blkio_config: { value: { weight: 300 } },
  cgroup: { value: "host" },
  cgroup_parent: { value: "/khepri.slice" },
  cpu_period: { value: 100000 },
  cpu_quota: { value: 50000 },
  cpu_rt_period: { value: 1000000 },
  cpu_rt_runtime: { value: 950000 },
  cpu_shares: { value: 512 },
  cpus: { value: 1.5 },
  cpuset: { value: "0-1" },
  deploy: { value: { resources: { limits: { memory: "512M" } } } },
  device_cgroup_rules: { value: ["c 1:3 mr"] },
  dns: { value: ["1.1.1.1"] },
  dns_opt: { value: ["use-vc"] },
  dns_search: { value: ["example.com"] },
  domainname: { value: "example.com" },
  expose: { value: ["8080"] },
  extra_hosts: { value: ["host.example:10.0.0.1"] },
  gpus: { value: [{ driver: "nvidia", count: 1 }] },
  group_add: { value: ["wheel"] },
  healthcheck: { value: { test: ["CMD", "true"], interval: "5s" } },
  init: { value: true },
  ipc: { value: "host" },
  mac_address: { value: "02:42:ac:11:00:02" },
  mem_limit: { value: "256m" },
  mem_reservation: { value: "128m" },
  mem_swappiness: { value: 10 },
  memswap_limit: { value: "512m" },
  oom_kill_disable: { value: true },
  oom_score_adj: { value: 100 },
  pid: { value: "host" },
  pids_limit: { value: 100 },
  platform: { value: "linux/arm64" },
  read_only: { value: true },
  runtime: { value: "runc" },
  security_opt: { value: ["no-new-privileges:true"] },
  shm_size: { value: "64m" },
  stdin_open: { value: true },
  stop_signal: { value: "SIGINT" },
  storage_opt: { value: { size: "10G" } },
  sysctls: { value: { "net.core.somaxconn": "1024" } },
  tmpfs: { value: ["/run/app"] },
  tty: { value: true },
  ulimits: { value: { nofile: { soft: 1024, hard: 2048 } } },
  userns_mode: { value: "host" },
  uts: { value: "host" },
  volumes_from: { value: ["dep"] },
  // systemd settings and units
  build: { value: { context: "./ctx" } },
  depends_on: { value: ["dep"] },
  links: { value: ["dep"] },
  post_start: { value: [{ command: ["echo", "started"] }] },
  pre_stop: { value: [{ command: ["echo", "stopping"] }] },
  restart: { value: "always" },
  stop_grace_period: { value: "20s" },
  // typed oci-containers options
  cap_add: { value: ["NET_ADMIN"] },
  cap_drop: { value: ["MKNOD"] },
  command: { value: ["echo", "hello"] },
  configs: { value: ["site"], top: { configs: { site: { content: "listen 80\n" } } } },
  container_name: { value: "custom-name" },
  devices: { value: ["/dev/fuse:/dev/fuse"] },
  entrypoint: { value: ["/bin/sh"] },
  env_file: { value: ["app.env"] },
  environment: { value: { GREETING: "hello" } },
  hostname: { value: "myhost" },
  image: { value: "alpine:3" },
  label_file: { value: ["labels.env"] },
  labels: { value: { "com.example.role": "web" } },
  logging: { value: { driver: "journald", options: { tag: "app" } } },
  network_mode: { value: "host" },
  networks: { value: { front: { aliases: ["www"] } }, top: { networks: { front: {} } } },
  ports: { value: ["8080:80"] },
  privileged: { value: true },
  pull_policy: { value: "always" },
  secrets: { value: ["pw"], top: { secrets: { pw: { file: "./secret.txt" } } } },
  user: { value: "1000:1000" },
  volumes: { value: ["./data:/data"] },
  working_dir: { value: "/srv" },
};

const honoured = Object.entries(SERVICE_KEYS)
  .filter(([, rule]) => rule.handling === "flag" || rule.handling === "option" || rule.handling === "systemd")
  .map(([key]) => key)
  .sort();

const slug = (key: string) => `k-${key.replace(/_/g, "-")}`;

function composeText(key: string, withKey: boolean): string {
  const sample = SAMPLES[key]!;
  const app: Record<string, unknown> = { image: "busybox:1" };
  if (withKey) app[key] = sample.value;
  // JSON is YAML: no quoting questions.
  return JSON.stringify({ services: { app, dep: { image: "busybox:1" } }, ...sample.top }, null, 2) + "\n";
}

/** Everything NixOS would do for one project: its containers' resolved options and every unit that is part of it. */
function projectView(facts: NixosFacts, runtime: Backend, name: string): string {
  const root = `${runtime}-compose-${name}-root.target`;
  const containers = Object.values(facts.containers).filter((c) => c.labels["com.docker.compose.project"] === name);
  const units = Object.entries(facts.services)
    .filter(([, s]) => s.partOf.includes(root))
    .map(([unit, s]) => {
      // ExecStartPre names a store path derived from the container's settings; its text is compared instead
      const pre = ((s.serviceConfig.ExecStartPre as string[] | undefined) ?? []).map((p) => facts.files[p.replace(/\/bin\/[^/]+$/, "")]?.text ?? p);
      return [unit, { ...s, serviceConfig: { ...s.serviceConfig, ExecStartPre: pre } }];
    })
    .sort(([a], [b]) => String(a).localeCompare(String(b)));
  return JSON.stringify({ containers, units }, null, 1);
}

test("every honoured key of SERVICE_KEYS has a sample value (and no sample is stale)", () => {
  assert.ok(honoured.length > 50, `${honoured.length} honoured keys`);
  assert.equal(honoured.filter((k) => !(k in SAMPLES)), [], "keys without a sample");
  assert.equal(Object.keys(SAMPLES).filter((k) => !honoured.includes(k)).sort(), [], "samples for keys that are not honoured");
});

for (const runtime of ["podman", "docker"] as Backend[]) {
  test(`[${runtime}] each honoured key changes the generated module and what NixOS runs, without an "ignored" warning`, () => {
    const withFiles: string[] = [];
    const withoutFiles: string[] = [];
    const problems: string[] = [];
    const modules: Record<string, { with: string; without: string }> = {};
    for (const key of honoured.filter((k) => k in SAMPLES)) {
      const name = slug(key);
      const files = { with: `${name}.with.yaml`, without: `${name}.without.yaml` };
      writeFileSync(path.join(project, files.with), composeText(key, true));
      writeFileSync(path.join(project, files.without), composeText(key, false));
      const a = convertIn(project, runtime, ["-f", files.with, "-p", name], scratch.dir);
      const b = convertIn(project, runtime, ["-f", files.without, "-p", name], scratch.dir);
      if (a.code !== 0 || a.module === undefined) {
        problems.push(`${key}: conversion failed (${a.code}): ${a.stderr}`);
        continue;
      }
      assert.is(b.code, 0, `${key} baseline: ${b.stderr}`);
      const ignored = a.stderr.split("\n").filter((l) => l.startsWith("warning:") && l.includes(`services.app.${key}`));
      if (ignored.length) problems.push(`${key}: warned: ${ignored.join(" | ")}`);
      if (a.module.replace(files.with, "") === b.module!.replace(files.without, "")) problems.push(`${key}: the module is the same with and without the key`);
      modules[key] = { with: a.module, without: b.module! };
      withFiles.push(a.moduleFile);
      withoutFiles.push(b.moduleFile);
    }
    if (skipUnless(env !== undefined, `service keys [${runtime}] NixOS evaluation`, missing ?? "")) {
      assert.ok(problems.length === 0, problems.join("\n"));
      return;
    }
    // Each batch holds one module per key; their project names differ, so they evaluate together.
    // (a host with NVIDIA's container toolkit, which the `gpus` sample's module asserts)
    const withFacts = evalNixosModules(env!, withFiles, { backend: runtime, extraConfig: "{ hardware.nvidia-container-toolkit.enable = true; }" });
    const withoutFacts = evalNixosModules(env!, withoutFiles, { backend: runtime });
    for (const key of Object.keys(modules)) {
      const name = slug(key);
      const a = projectView(withFacts, runtime, name);
      const b = projectView(withoutFacts, runtime, name);
      if (!a.includes(`${runtime}-${name}-dep`) && !a.includes(`"${name}-dep"`)) problems.push(`${key}: the project's units were not found`);
      if (a === b) problems.push(`${key}: NixOS runs the same with and without the key`);
    }
    assert.ok(problems.length === 0, problems.join("\n"));
  });
}

test.after(() => scratch.cleanup());

test.run();
