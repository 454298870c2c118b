// `npm run bench`: how fast the bundle (dist/khepri.cjs) converts, against the speed budgets.
//
//   (a) the parse + generate time the CLI prints ("Generated NixOS config in X ms"), for the mealie
//       example, compose2nix's compose.yml (../shared, skipped with a message when absent) and a
//       generated 500-service stack: median and min over --runs fresh processes;
//   (b) whole-process wall time of `khepri convert` (mealie) against `node -e 0` on the same machine,
//       medians over --runs runs of each, alternating so both see the same machine load.
// The CLI is run as installed: the loader executed, its `#!` line starting node with khepri's V8 flags.
//
// Prints a table with each budget and PASS/FAIL. It is a report, not a test: the exit code is 0
// whatever the figures, unless --strict is given (then 1 when a budget is missed).
//
//   node scripts/bench.mjs [--runs N] [--strict] [--bundle dist/khepri.cjs] [--write-stack DIR]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
const runs = Number(option("runs", "20"));
const strict = args.includes("--strict");
const bundle = path.resolve(root, option("bundle", "dist/khepri.cjs"));

const BUDGETS = {
  mealie: 2.3, // ms, parse + generate; compose2nix printed 2.28 ms for it
  services500: 100, // ms, parse + generate
  wallRatio: 1.5, // whole process, against `node -e 0`
};

if (!existsSync(bundle)) {
  console.error(`bench: ${path.relative(root, bundle)} is missing; run \`node scripts/build.mjs\` (or \`npm run bench\`)`);
  process.exit(1);
}

const work = mkdtempSync(path.join(os.tmpdir(), "khepri-bench-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const output = path.join(work, "out.nix");
// The CLI sees a small fixed environment, so the developer's shell cannot change what it does; the
// node running this script comes first on its PATH, so the CLI's `#!` line finds the same node as
// `node -e 0` below.
const env = { PATH: [path.dirname(process.execPath), process.env.PATH ?? ""].join(path.delimiter), HOME: work };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const min = (xs) => Math.min(...xs);
const ms = (x) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

/**
 * One `khepri convert` process, started as a user's shell starts it: the loader run by its `#!`
 * line (`env -S node <flags>`, see scripts/build.mjs); returns its printed parse + generate time
 * and its wall time.
 */
function convert(file) {
  const started = performance.now();
  const run = spawnSync(bundle, ["convert", "-f", file, "-o", output], { cwd: path.dirname(file), env, encoding: "utf8" });
  const wall = performance.now() - started;
  const printed = /Generated NixOS config in ([\d.]+) ?ms/.exec(run.stderr ?? "");
  if (run.status !== 0 || !printed) {
    throw new Error(`khepri convert -f ${file} failed (exit ${run.status}):\n${run.stderr}${run.error ?? ""}`);
  }
  return { printed: Number(printed[1]), wall };
}

function bareNode() {
  const started = performance.now();
  const run = spawnSync(process.execPath, ["-e", "0"], { env });
  if (run.status !== 0) throw new Error("node -e 0 failed");
  return performance.now() - started;
}

// ---------------------------------------------------------------- the generated stack

/** A deterministic pseudo-random stack of `count` services of the kinds real stacks have. */
function generateStack(count, dir) {
  let seed = 42;
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
  const networks = Array.from({ length: 12 }, (_, i) => `net${i}`);
  const volumes = Array.from({ length: 120 }, (_, i) => `data${i}`);
  writeFileSync(path.join(dir, "common.env"), "TZ=Europe/Berlin\nLOG_LEVEL=info\n");
  const lines = ["name: bench", "services:"];
  for (let i = 0; i < count; i++) {
    const name = `svc${String(i).padStart(3, "0")}`;
    lines.push(`  ${name}:`, `    image: ${pick(images)}`);
    if (random() < 0.3) lines.push(`    container_name: ${name}-c`);
    lines.push(`    restart: ${pick(["unless-stopped", "always", "on-failure:3", "no"])}`);
    if (random() < 0.5) {
      lines.push("    ports:");
      const n = 1 + Math.floor(random() * 3);
      for (let p = 0; p < n; p++) lines.push(`      - "${20000 + i * 4 + p}:${pick([80, 443, 8080, 5432, 6379, 3000])}${random() < 0.2 ? "/udp" : ""}"`);
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
    const joined = new Set([pick(networks), pick(networks)]);
    for (const net of joined) {
      if (random() < 0.3) lines.push(`      ${net}:`, "        aliases:", `          - ${name}-${net}`);
      else lines.push(`      ${net}: {}`);
    }
    if (i > 0 && random() < 0.6) {
      lines.push("    depends_on:");
      const deps = new Set([Math.floor(random() * i), Math.floor(random() * i)]);
      for (const d of deps) lines.push(`      svc${String(d).padStart(3, "0")}:`, `        condition: ${pick(["service_started", "service_healthy"])}`);
    }
    if (random() < 0.7) {
      lines.push("    healthcheck:");
      lines.push(
        random() < 0.5 ? `      test: ["CMD", "curl", "-fsS", "http://localhost:${8000 + (i % 100)}/health"]` : `      test: wget -qO- http://localhost/ || exit 1`,
        `      interval: ${pick(["10s", "30s", "1m"])}`,
        "      timeout: 5s",
        `      retries: ${1 + Math.floor(random() * 5)}`,
        "      start_period: 20s",
      );
    } else {
      // every service the healthy condition points at has a healthcheck
      lines.push("    healthcheck:", "      test: [\"CMD-SHELL\", \"true\"]");
    }
    if (random() < 0.4) lines.push("    labels:", `      traefik.enable: "true"`, `      traefik.http.routers.${name}.rule: Host(\`${name}.example.org\`)`);
    if (random() < 0.3) lines.push("    command: [\"--port\", \"8080\", \"--verbose\"]");
    if (random() < 0.3) lines.push("    deploy:", "      resources:", "        limits:", `          memory: ${pick(["256M", "512M", "1G"])}`, "          cpus: \"0.5\"");
    if (random() < 0.2) lines.push("    logging:", "      driver: json-file", "      options:", "        max-size: 10m");
  }
  lines.push("networks:");
  for (const net of networks) lines.push(`  ${net}:`, "    driver: bridge");
  lines.push("volumes:");
  for (const v of volumes) lines.push(`  ${v}:`);
  const file = path.join(dir, "compose.yaml");
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

// `--write-stack DIR`: only write the generated stack there (to profile it), and stop.
const stackOnly = option("write-stack", undefined);
if (stackOnly) {
  mkdirSync(stackOnly, { recursive: true });
  console.log(generateStack(500, path.resolve(stackOnly)));
  process.exit(0);
}

// ---------------------------------------------------------------- measure

const inputs = [{ key: "mealie", label: "mealie example", file: path.join(root, "examples/mealie/compose.yaml") }];
const compose2nix = path.resolve(root, "../shared/corpus/compose2nix/compose.yml");
if (existsSync(compose2nix)) inputs.push({ key: "compose2nix", label: "compose2nix compose.yml", file: compose2nix });
else console.log(`note: ${compose2nix} is absent (../shared); skipping compose2nix's compose.yml`);
const stackDir = path.join(work, "stack");
mkdirSync(stackDir);
inputs.push({ key: "services500", label: "generated 500 services", file: generateStack(500, stackDir) });

console.log(`khepri bench: ${runs} runs each, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? "unknown CPU"}), ${os.platform()} ${os.arch()}\n`);

const results = {};
for (const input of inputs) {
  convert(input.file); // once first: the file cache is warm for every measured run
  const printed = [];
  for (let i = 0; i < runs; i++) printed.push(convert(input.file).printed);
  results[input.key] = { printed };
}

// Wall time, alternating: khepri on the mealie example, then bare node.
const khepriWall = [];
const nodeWall = [];
bareNode();
for (let i = 0; i < runs; i++) {
  khepriWall.push(convert(inputs[0].file).wall);
  nodeWall.push(bareNode());
}

// ---------------------------------------------------------------- report

const rows = [];
const verdict = (ok) => (ok ? "PASS" : "FAIL");
for (const input of inputs) {
  const { printed } = results[input.key];
  const budget = BUDGETS[input.key];
  rows.push([
    `${input.label}: parse + generate`,
    `${ms(median(printed))} (min ${ms(min(printed))})`,
    budget === undefined ? "-" : `< ${ms(budget)}`,
    budget === undefined ? "" : verdict(median(printed) < budget),
  ]);
}
const ratio = median(khepriWall) / median(nodeWall);
rows.push(["mealie: whole process (wall)", `${ms(median(khepriWall))} (min ${ms(min(khepriWall))})`, "-", ""]);
rows.push(["node -e 0 (wall)", `${ms(median(nodeWall))} (min ${ms(min(nodeWall))})`, "-", ""]);
rows.push(["mealie wall / node -e 0", `${ratio.toFixed(2)}x`, `< ${BUDGETS.wallRatio}x`, verdict(ratio < BUDGETS.wallRatio)]);

const header = ["measure", "median", "budget", ""];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));

const failed = rows.filter((r) => r[3] === "FAIL").length;
console.log(`\n${failed ? `${failed} budget${failed > 1 ? "s" : ""} missed` : "all budgets met"}${strict ? "" : " (a report: exit 0 regardless; --strict to fail)"}`);
process.exit(strict && failed ? 1 : 0);
