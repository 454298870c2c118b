// `npm run bench`: speed where users feel it, against the budgets of issue 10, as medians of
// interleaved runs and as ratios to what this machine does anyway:
//
//   (1) the whole `node dist/khepri.cjs convert` process on the mealie example, against `node -e 0`;
//   (2) a generated 500-service stack (wall time and peak RSS) and a generated 5,000-service stack
//       (its time against the 500-service one: cost must grow linearly);
//   (3) NixOS evaluation through the module (nix/module.nix, `khepri.compositions`) with the
//       stand-in converter package of the tests, for 1, 5 and 20 compositions: cold (the
//       conversion built), warm (built already) and the same generated module imported directly;
//       and how many conversion builds each evaluation ran.
//
// Peak RSS is the child's maximum resident set size as the kernel accounts it (wait4's
// ru_maxrss), read by GNU time (`/usr/bin/time -f %M`, Debian package `time`); without it, by a
// preloaded script reporting `process.resourceUsage().maxRSS` when the process exits. The CPU
// time (user + system) is read the same way and printed beside wall time: on a shared machine it
// moves far less than wall time, and says whether a missed wall-time budget is the machine's load.
// The budgets are judged on wall time, as the issue sets them.
//
// The NixOS part runs nix-instantiate against a private Nix store and state directory (a fresh
// NIX_STORE_DIR under a temporary directory), so every build it sees is its own: a conversion
// build is a "building '…-khepri-compositions.nix.drv'" line of its log. It is skipped, saying
// why, without nix-instantiate, nixpkgs' lib or oci-containers.nix (found as the tests find them,
// see test/support/nixos-eval.ts).
//
// A report, not a test: exit 0 whatever the figures, unless --strict (then 1 on a missed budget).
//
//   node scripts/bench.mjs [--runs N] [--quick] [--strict] [--no-nix] [--keep] [--write-stack DIR [--services N]]
//
//   --runs N       rounds of interleaved runs (default 10; the mealie pair runs 4N times)
//   --quick        a smoke run of the bench itself (used by test/bench.test.ts): one round,
//                  stacks of 50 and 500 services, 1 and 2 compositions; its verdicts mean little
//   --no-nix       leave out the NixOS part
//   --keep         keep the temporary directory (generated stacks, Nix entry files, private store)
//   --write-stack  only write the generated stack (500 services, or --services N) into DIR, to profile
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const quick = args.includes("--quick");
const strict = args.includes("--strict");
const runs = Math.max(1, Number(option("runs", quick ? "1" : "10")));
const bundle = path.join(root, "dist", "khepri.cjs");

const BUDGET = {
  mealieRatio: 6, // whole process, against `node -e 0`
  stackSeconds: 3, // the 500-service stack, wall time
  stackMegabytes: 150, // the 500-service stack, peak RSS
  growth: 12, // the 5,000-service stack against the 500-service one (10× the services)
  warmRatio: 1.1, // NixOS evaluation through the module, warm, against importing the generated module
};
const SIZES = quick ? [50, 500] : [500, 5000];
const COMPOSITIONS = quick ? [1, 2] : [1, 5, 20];
const SERVICES_PER_COMPOSITION = 8;

// ---------------------------------------------------------------- generated stacks

/**
 * A deterministic pseudo-random stack of `count` services of the kinds real stacks have: ports,
 * volumes, env, networks, depends_on, healthchecks. `prefix` keeps container names and host
 * ports apart when several stacks run on one machine.
 */
function generateStack(count, { seed = 42, prefix = "", portBase = 20000 } = {}) {
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = (list) => list[Math.floor(random() * list.length)];
  const images = [
    "docker.io/library/nginx:1.27",
    "docker.io/library/postgres:16",
    "docker.io/library/redis:7-alpine",
    "ghcr.io/linuxserver/sonarr:latest",
    "docker.io/grafana/grafana:11.1.0",
    "quay.io/prometheus/prometheus:v2.53.0",
    "docker.io/library/mariadb:11",
    "ghcr.io/home-assistant/home-assistant:stable",
    "docker.io/traefik:v3.1",
    "docker.io/vaultwarden/server:1.32.0",
  ];
  const networks = Array.from({ length: Math.min(12, 1 + Math.floor(count / 4)) }, (_, i) => `net${i}`);
  const volumes = Array.from({ length: Math.min(120, 1 + Math.floor(count / 4)) }, (_, i) => `data${i}`);
  const serviceName = (i) => `svc${String(i).padStart(3, "0")}`;
  const lines = ["name: bench", "services:"];
  for (let i = 0; i < count; i++) {
    const name = serviceName(i);
    lines.push(`  ${name}:`, `    image: ${pick(images)}`);
    if (random() < 0.3) lines.push(`    container_name: ${prefix}${name}-c`);
    lines.push(`    restart: ${pick(["unless-stopped", "always", "on-failure:3", "no"])}`);
    if (random() < 0.5) {
      lines.push("    ports:");
      const n = 1 + Math.floor(random() * 3);
      for (let p = 0; p < n; p++) lines.push(`      - "${portBase + i * 4 + p}:${pick([80, 443, 8080, 5432, 6379, 3000])}${random() < 0.2 ? "/udp" : ""}"`);
    }
    lines.push("    volumes:");
    lines.push(`      - ${pick(volumes)}:/var/lib/app${random() < 0.3 ? ":ro" : ""}`);
    if (random() < 0.6) lines.push(`      - ./config/${name}:/config`);
    if (random() < 0.2) lines.push("      - type: tmpfs", "        target: /tmp", "        tmpfs:", "          size: 64m");
    if (random() < 0.5) {
      lines.push("    environment:");
      lines.push(`      SERVICE_NAME: ${name}`, `      PORT: ${8000 + (i % 100)}`, `      DEBUG: "false"`, "      DATABASE_URL: postgres://app@db:5432/app");
    } else {
      lines.push("    environment:", `      - SERVICE_NAME=${name}`, "      - WORKERS=4", "      - FEATURE_FLAGS=a,b,c");
    }
    if (random() < 0.3) lines.push("    env_file:", "      - ./common.env");
    lines.push("    networks:");
    for (const net of new Set([pick(networks), pick(networks)])) {
      if (random() < 0.3) lines.push(`      ${net}:`, "        aliases:", `          - ${name}-${net}`);
      else lines.push(`      ${net}: {}`);
    }
    if (i > 0 && random() < 0.6) {
      lines.push("    depends_on:");
      for (const d of new Set([Math.floor(random() * i), Math.floor(random() * i)])) {
        lines.push(`      ${serviceName(d)}:`, `        condition: ${pick(["service_started", "service_healthy"])}`);
      }
    }
    // every service has a healthcheck, so every service_healthy condition can be met
    if (random() < 0.7) {
      lines.push(
        "    healthcheck:",
        random() < 0.5 ? `      test: ["CMD", "curl", "-fsS", "http://localhost:${8000 + (i % 100)}/health"]` : "      test: wget -qO- http://localhost/ || exit 1",
        `      interval: ${pick(["10s", "30s", "1m"])}`,
        "      timeout: 5s",
        `      retries: ${1 + Math.floor(random() * 5)}`,
        "      start_period: 20s",
      );
    } else {
      lines.push("    healthcheck:", '      test: ["CMD-SHELL", "true"]');
    }
    if (random() < 0.4) lines.push("    labels:", `      traefik.enable: "true"`, `      traefik.http.routers.${name}.rule: Host(\`${name}.example.org\`)`);
    if (random() < 0.3) lines.push('    command: ["--port", "8080", "--verbose"]');
    if (random() < 0.3) lines.push("    deploy:", "      resources:", "        limits:", `          memory: ${pick(["256M", "512M", "1G"])}`, '          cpus: "0.5"');
    if (random() < 0.2) lines.push("    logging:", "      driver: json-file", "      options:", "        max-size: 10m");
  }
  lines.push("networks:");
  for (const net of networks) lines.push(`  ${net}:`, "    driver: bridge");
  lines.push("volumes:");
  for (const v of volumes) lines.push(`  ${v}:`);
  return lines.join("\n") + "\n";
}

/** Writes a generated stack (and the env file it names) into `dir`; returns the compose file. */
function writeStack(dir, count, options) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "common.env"), "TZ=Europe/Berlin\nLOG_LEVEL=info\n");
  const file = path.join(dir, "compose.yaml");
  writeFileSync(file, generateStack(count, options));
  return file;
}

const stackOnly = option("write-stack", undefined);
if (stackOnly) {
  console.log(writeStack(path.resolve(stackOnly), Number(option("services", "500"))));
  process.exit(0);
}

// ---------------------------------------------------------------- processes

if (!existsSync(bundle)) {
  console.error(`bench: ${path.relative(root, bundle)} is missing; run \`node scripts/build.mjs\` (or \`npm run bench\`)`);
  process.exit(1);
}

const work = mkdtempSync(path.join(os.tmpdir(), "khepri-bench-"));
if (args.includes("--keep")) console.log(`keeping ${work}`);
else process.on("exit", () => rmSync(work, { recursive: true, force: true }));
// A small fixed environment, so the developer's shell cannot change what the CLI does.
const childEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const seconds = (ms) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** Runs argv[0] with the rest; returns its wall time in ms. Throws when it fails. */
function timed(argv, options = {}) {
  const started = performance.now();
  const run = spawnSync(argv[0], argv.slice(1), { env: childEnv, encoding: "utf8", maxBuffer: 1 << 30, ...options });
  const wall = performance.now() - started;
  if (run.status !== 0) throw new Error(`${argv.join(" ")} failed (exit ${run.status ?? run.signal}):\n${(run.stderr ?? "").slice(-4000)}${run.error ?? ""}`);
  return { wall, stderr: run.stderr ?? "" };
}

// How a child's peak RSS and CPU time are read: GNU time's `%M %U %S` (KiB, seconds), else the
// same three figures written by a preloaded script when the process exits.
const gnuTime = ["/usr/bin/time", "/bin/time"].find((p) => existsSync(p) && /^\d+$/.test(spawnSync(p, ["-f", "%M", "true"], { encoding: "utf8" }).stderr?.trim() ?? ""));
const usageFile = path.join(work, "usage");
const preload = path.join(work, "report-usage.cjs");
writeFileSync(
  preload,
  `process.on("exit", () => { const u = process.resourceUsage(); require("node:fs").writeFileSync(${JSON.stringify(usageFile)}, \`\${u.maxRSS} \${u.userCPUTime / 1e6} \${u.systemCPUTime / 1e6}\`); });\n`,
);
const usageMethod = gnuTime ? `${gnuTime} -f '%M %U %S' (the child's rusage)` : "process.resourceUsage(), reported by a preloaded script";

/** One node process (`node ARGS`): wall time (ms), peak RSS (MB) and CPU time, user + system (ms). */
function measured(nodeArgs, cwd) {
  const argv = gnuTime ? [gnuTime, "-f", "%M %U %S", "-o", usageFile, process.execPath, ...nodeArgs] : [process.execPath, "--require", preload, ...nodeArgs];
  rmSync(usageFile, { force: true });
  const { wall } = timed(argv, { cwd });
  const [kib, user, system] = readFileSync(usageFile, "utf8").trim().split("\n").pop().split(" ").map(Number);
  return { wall, rss: kib / 1024, cpu: 1000 * (user + system) };
}

/** `node dist/khepri.cjs convert` of a compose file, its output beside it. */
const convertArgs = (file) => [bundle, "convert", "-f", file, "-o", path.join(path.dirname(file), "out.nix")];

/** Runs each of `argvs` `rounds` times, interleaved; the medians of each one's wall, RSS and CPU. */
function interleaved(argvs, rounds) {
  const all = argvs.map(() => ({ wall: [], rss: [], cpu: [] }));
  for (const { args, cwd } of argvs) measured(args, cwd); // once first: every measured run finds the files cached
  for (let i = 0; i < rounds; i++) {
    argvs.forEach(({ args, cwd }, k) => {
      const m = measured(args, cwd);
      for (const key of ["wall", "rss", "cpu"]) all[k][key].push(m[key]);
    });
  }
  return all.map((m) => ({ wall: median(m.wall), rss: median(m.rss), cpu: median(m.cpu) }));
}

// ---------------------------------------------------------------- report rows

const rows = []; // [measure, figure, budget, verdict]
const verdict = (ok) => (ok ? "PASS" : "FAIL");
const row = (measure, figure, budget = "-", ok) => rows.push([measure, figure, budget, ok === undefined ? "" : verdict(ok)]);

console.log(
  `khepri bench: ${runs} round${runs > 1 ? "s" : ""}${quick ? " (--quick: small inputs, one round; the verdicts mean little)" : ""}, ` +
    `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? "unknown CPU"}), load ${os.loadavg()[0].toFixed(1)}`,
);
console.log(`peak RSS and CPU time: ${usageMethod}\n`);

// ---------------------------------------------------------------- (1) mealie against node -e 0

{
  const mealie = path.join(work, "mealie");
  cpSync(path.join(root, "examples", "mealie"), mealie, { recursive: true });
  const [khepri, bare] = interleaved([{ args: convertArgs(path.join(mealie, "compose.yaml")), cwd: mealie }, { args: ["-e", "0"] }], 4 * runs);
  row("mealie: whole `khepri convert` process", `${seconds(khepri.wall)} (CPU ${seconds(khepri.cpu)})`);
  row("node -e 0", `${seconds(bare.wall)} (CPU ${seconds(bare.cpu)})`);
  const ratio = khepri.wall / bare.wall;
  row("mealie / node -e 0", `${ratio.toFixed(2)}x`, `<= ${BUDGET.mealieRatio}x`, ratio <= BUDGET.mealieRatio);
  row("mealie / node -e 0, CPU time", `${(khepri.cpu / bare.cpu).toFixed(2)}x`);
}

// ---------------------------------------------------------------- (2) generated stacks

{
  const [small, large] = SIZES;
  const dirs = SIZES.map((n) => path.dirname(writeStack(path.join(work, `stack-${n}`), n)));
  const [s, l] = interleaved(dirs.map((dir) => ({ args: convertArgs(path.join(dir, "compose.yaml")), cwd: dir })), runs);
  row(`${small} services: wall time`, `${seconds(s.wall)} (CPU ${seconds(s.cpu)})`, `<= ${BUDGET.stackSeconds} s`, s.wall <= BUDGET.stackSeconds * 1000);
  row(`${small} services: peak RSS`, `${s.rss.toFixed(0)} MB`, `<= ${BUDGET.stackMegabytes} MB`, s.rss <= BUDGET.stackMegabytes);
  row(`${large} services: wall time`, `${seconds(l.wall)} (CPU ${seconds(l.cpu)})`);
  row(`${large} services: peak RSS`, `${l.rss.toFixed(0)} MB`);
  const growth = l.wall / s.wall;
  row(`${large} / ${small} services (time)`, `${growth.toFixed(1)}x`, `<= ${BUDGET.growth}x`, growth <= BUDGET.growth);
  row(`${large} / ${small} services, CPU time`, `${(l.cpu / s.cpu).toFixed(1)}x`);
}

// ---------------------------------------------------------------- (3) NixOS evaluation

/** nix-instantiate, nixpkgs' lib and oci-containers.nix, where the tests look for them; or why not. */
function findNix() {
  const onPath = (process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "nix-instantiate"));
  const nixInstantiate = process.env.KHEPRI_NIX_INSTANTIATE || onPath.find((p) => existsSync(p));
  if (!nixInstantiate) return { missing: "nix-instantiate not found" };
  const cache = path.join(os.homedir(), ".cache", "khepri-test");
  const libSource = process.env.KHEPRI_NIXPKGS_LIB || path.join(cache, "nixpkgs.lib");
  const nixpkgsLib = [path.join(libSource, "lib"), libSource].find((p) => existsSync(path.join(p, "modules.nix")));
  if (!nixpkgsLib) return { missing: `nixpkgs lib not found at ${libSource} (KHEPRI_NIXPKGS_LIB)` };
  const ociContainers = process.env.KHEPRI_OCI_CONTAINERS_NIX || path.join(cache, "oci-containers.nix");
  if (!existsSync(ociContainers)) return { missing: `oci-containers.nix not found at ${ociContainers} (KHEPRI_OCI_CONTAINERS_NIX)` };
  return { nixInstantiate, nixpkgsLib, ociContainers };
}


const nixPath = (p) => `(/. + ${JSON.stringify(p)})`;

/**
 * Evaluations of a NixOS system (nixpkgs' lib, the real oci-containers.nix, the tests' stubs for
 * the rest of NixOS) in a private Nix store: through the module with `khepri.compositions`, and
 * with the module the conversion generated imported directly. Adds its rows.
 */
function nixBench({ nixInstantiate, nixpkgsLib, ociContainers }) {
  const nixDir = path.join(work, "nix");
  const store = path.join(nixDir, "store");
  const nixEnv = { ...childEnv, NIX_PATH: "", NIX_STORE_DIR: store, NIX_STATE_DIR: path.join(nixDir, "state"), NIX_LOG_DIR: path.join(nixDir, "log") };
  // as in test/support/khepri-nix.ts: no binary cache; Debian's nix-bin has no nixbld group; the
  // stand-in package's builder is this machine's node, outside the store
  const flags = ["--eval", "--strict", "--json", "--read-write-mode"];
  for (const [name, value] of [["substituters", ""], ["build-users-group", ""], ["sandbox", "false"]]) flags.push("--option", name, value);
  const nixStore = path.join(path.dirname(nixInstantiate), "nix-store");
  mkdirSync(store, { recursive: true });

  // The stand-in package is made from a copy of dist/ added to the store once (so a rebuild of
  // dist/ meanwhile changes nothing, and no evaluation hashes dist/ again: what is measured is the
  // module, not the stand-in).
  const added = spawnSync(nixStore, ["--add", path.dirname(bundle)], { env: nixEnv, encoding: "utf8" });
  if (added.status !== 0) throw new Error(`nix-store --add dist failed:\n${added.stderr}`);
  const dist = added.stdout.trim();
  const writeEntry = (name, modules) => {
    const file = path.join(nixDir, name);
    writeFileSync(
      file,
      `let
  lib = import ${nixPath(nixpkgsLib)};
  package = import ${nixPath(path.join(root, "test/fixtures/nix-integration/stand-in-khepri.nix"))} {
    dist = builtins.storePath ${JSON.stringify(dist)};
    node = ${JSON.stringify(process.execPath)};
  };
  khepri = import ${nixPath(path.join(root, "nix/module.nix"))} {
    khepriPackages = lib.genAttrs lib.systems.flakeExposed (_: { default = package; });
  };
in
import ${nixPath(path.join(root, "test/support/nixos-stubs.nix"))} {
  nixpkgsLib = ${nixPath(nixpkgsLib)};
  ociContainersModule = ${nixPath(ociContainers)};
  backend = "podman";
  modules = [
${modules.map((m) => `    (${m})`).join("\n")}
  ];
}
`,
    );
    return file;
  };

  // Each composition a generated stack in a directory of its own, beside files it does not use.
  const stacks = path.join(nixDir, "stacks");
  const names = Array.from({ length: Math.max(...COMPOSITIONS) }, (_, i) => `c${String(i).padStart(2, "0")}`);
  names.forEach((name, i) => {
    writeStack(path.join(stacks, name), SERVICES_PER_COMPOSITION, { seed: 1000 + i, prefix: `${name}-`, portBase: 20000 + 100 * i });
    writeFileSync(path.join(stacks, name, "NOTES.md"), `# ${name}\n`);
  });
  writeFileSync(path.join(stacks, "README.md"), "# stacks\n");
  const composition = (name) =>
    `${name} = { composeFile = ${nixPath(path.join(stacks, name, "compose.yaml"))}; projectDirectory = "/srv/${name}"; services.svc000.environment.TZ = "Europe/Berlin"; };`;
  const throughModule = new Map(
    COMPOSITIONS.map((n) => [n, writeEntry(`module-${n}.nix`, ["khepri", `{ khepri.compositions = { ${names.slice(0, n).map(composition).join(" ")} }; }`])]),
  );
  const direct = new Map();

  const conversions = () => new Set(readdirSync(store).filter((f) => f.endsWith("-khepri-compositions.nix")));
  // Nix's own statistics: the evaluator's CPU time, and the bytes it allocated (the same on every
  // run: a measure of the evaluation's work that no other process on the machine can change).
  const stats = path.join(nixDir, "stats.json");
  const evaluate = (file) => {
    const { wall, stderr } = timed([nixInstantiate, ...flags, file], { env: { ...nixEnv, NIX_SHOW_STATS: "1", NIX_SHOW_STATS_PATH: stats } });
    const { cpuTime, gc } = JSON.parse(readFileSync(stats, "utf8"));
    return { wall, cpu: cpuTime, bytes: gc.totalBytes, builds: [...stderr.matchAll(/building '[^']*-khepri-compositions\.nix\.drv'/g)].length };
  };
  const forget = (output) => {
    const r = spawnSync(nixStore, ["--delete", path.join(store, output)], { env: nixEnv, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`nix-store --delete ${output} failed:\n${r.stderr}`);
  };

  // Once first: the stand-in package is built and the files are cached; its conversion is deleted.
  evaluate(throughModule.get(COMPOSITIONS[0]));
  for (const output of conversions()) forget(output);

  const times = new Map(COMPOSITIONS.map((n) => [n, { cold: [], warm: [], direct: [], warmCpu: [], directCpu: [], warmBytes: 0, directBytes: 0 }]));
  const builds = { cold: [], warm: [] };
  const outputs = new Map();
  for (let round = 0; round < runs; round++) {
    for (const n of COMPOSITIONS) {
      if (outputs.has(n)) forget(outputs.get(n));
      const before = conversions();
      const cold = evaluate(throughModule.get(n));
      const warm = evaluate(throughModule.get(n));
      if (round === 0) {
        builds.cold.push(cold.builds);
        builds.warm.push(warm.builds);
        const made = [...conversions()].filter((f) => !before.has(f));
        if (made.length !== 1) throw new Error(`${n} compositions: ${made.length} conversion outputs appeared in the store`);
        outputs.set(n, made[0]);
        // the generated module itself, out of the store
        const generated = path.join(nixDir, `generated-${n}.nix`);
        cpSync(path.join(store, made[0]), generated);
        direct.set(n, writeEntry(`direct-${n}.nix`, [nixPath(generated)]));
      }
      const imported = evaluate(direct.get(n));
      const t = times.get(n);
      t.cold.push(cold.wall);
      t.warm.push(warm.wall);
      t.direct.push(imported.wall);
      t.warmCpu.push(warm.cpu);
      t.directCpu.push(imported.cpu);
      t.warmBytes = warm.bytes;
      t.directBytes = imported.bytes;
    }
  }

  // Edits: files beside the compose files that no composition uses, then a compose file itself.
  const largest = throughModule.get(COMPOSITIONS.at(-1));
  appendFileSync(path.join(stacks, "README.md"), "edited\n");
  appendFileSync(path.join(stacks, names[0], "NOTES.md"), "edited\n");
  const afterUnusedEdit = evaluate(largest).builds;
  appendFileSync(path.join(stacks, names[0], "compose.yaml"), "# edited\n");
  const afterUsedEdit = evaluate(largest).builds;

  for (const n of COMPOSITIONS) {
    const t = times.get(n);
    const label = `NixOS, ${n} composition${n > 1 ? "s" : ""}`;
    row(`${label}: cold (conversion built)`, seconds(median(t.cold)));
    row(`${label}: warm (conversion cached)`, seconds(median(t.warm)));
    row(`${label}: generated module imported`, seconds(median(t.direct)));
    const ratio = median(t.warm) / median(t.direct);
    row(`${label}: warm / imported`, `${ratio.toFixed(2)}x`, `<= ${BUDGET.warmRatio}x`, ratio <= BUDGET.warmRatio);
    const cpu = median(t.warmCpu) / median(t.directCpu);
    row(`${label}: warm / imported, evaluator`, `${cpu.toFixed(2)}x CPU, ${(t.warmBytes / t.directBytes).toFixed(2)}x allocated`);
  }
  const each = COMPOSITIONS.join(" / ");
  row(`conversion builds, cold (${each} compositions)`, builds.cold.join(" / "), "1 each", builds.cold.every((b) => b === 1));
  row(`conversion builds, second evaluation (${each})`, builds.warm.join(" / "), "0 each", builds.warm.every((b) => b === 0));
  row("conversion builds after editing files no composition uses", String(afterUnusedEdit), "0", afterUnusedEdit === 0);
  row("conversion builds after editing a compose file (the count sees builds)", String(afterUsedEdit), "1", afterUsedEdit === 1);
}

if (args.includes("--no-nix")) {
  console.log("NixOS evaluation: left out (--no-nix)\n");
} else {
  const nix = findNix();
  if (nix.missing) console.log(`SKIP NixOS evaluation: ${nix.missing}\n`);
  else {
    try {
      nixBench(nix);
    } catch (e) {
      // the rows so far are still worth printing
      console.log(`NixOS evaluation failed: ${e instanceof Error ? e.message : e}\n`);
      row("NixOS evaluation through the module", "failed", "runs", false);
    }
  }
}

// ---------------------------------------------------------------- report

const header = ["measure", "median", "budget", ""];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));

console.log(`\nload average at the end: ${os.loadavg()[0].toFixed(1)}`);
const failed = rows.filter((r) => r[3] === "FAIL").length;
console.log(`\n${failed ? `${failed} budget${failed > 1 ? "s" : ""} missed` : "all budgets met"}${strict ? "" : " (a report: exit 0 regardless; --strict to fail)"}`);
process.exit(strict && failed ? 1 : 0);
