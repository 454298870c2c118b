// Bundles the CLI into one Node file (dist/khepri.mjs) and a V8 code cache beside it
// (dist/khepri.mjs.cache). Run by `npm ci` through `prepare`.
//
// dist/khepri.mjs is a small ES module loader with the bundle after it, in a comment: it reads the
// bundle from its own file and compiles it with node:vm, handing V8 the code cache, so a run starts
// from compiled bytecode instead of parsing and compiling ~350 kB of JavaScript (what Node 22's
// module compile cache does; Node 20 has only vm's cachedData). In a comment, not a string literal:
// V8 skips a comment faster than it builds a string (~3 ms less at start). The cache is made here by converting a sample stack once
// with this Node (V8 keeps the bytecode of every function that ran). Without it, or when V8
// refuses it (another Node version or V8 flags), the bundle is compiled from source as usual: same
// output, only slower to start.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const outfile = "dist/khepri.mjs";
const result = await build({
  entryPoints: ["src/cli/bin.ts"],
  outfile,
  bundle: true,
  platform: "node",
  // A CommonJS body: node:vm compiles classic scripts, and `require` (of Node built-ins, and of
  // the parts loaded on demand: zod for error messages, the yaml package for unusual YAML) is
  // the loader's.
  format: "cjs",
  target: "node20",
  minify: true,
  legalComments: "linked",
  write: false,
  logLevel: "warning",
});

mkdirSync(path.dirname(outfile), { recursive: true });
let body;
for (const file of result.outputFiles) {
  if (file.path === path.resolve(outfile)) body = file.text;
  else writeFileSync(file.path, file.contents); // khepri.mjs.LEGAL.txt
}
const source = `(function (require, module, exports) {${body}\n})`;
// The cache starts with this stamp, so a cache from another build is never used: V8 itself checks
// only the source's length.
const stamp = createHash("sha256").update(source).digest("hex").slice(0, 32);

// The bundle goes in a block comment: `*/` (none today) is written with a character it lacks.
const MARK = "KHEPRI-BUNDLE";
let escape = "";
if (source.includes("*/")) {
  escape = ["\u0001", "\u0002", "\u0003", "\u0004"].find((c) => !source.includes(c));
  if (!escape) throw new Error("build: no character to escape */ in the bundle with");
}
const loader = `#!/usr/bin/env node
// khepri ${JSON.parse(readFileSync("package.json", "utf8")).version}: a loader (see scripts/build.mjs); the bundled CLI is the comment at the end.
const { createRequire } = process.getBuiltinModule?.("node:module") ?? (await import("node:module"));
const require = createRequire(import.meta.url);
const { readFileSync, writeFileSync } = require("node:fs");
const { Script } = require("node:vm");
const self = require("node:url").fileURLToPath(import.meta.url);
const text = readFileSync(self, "utf8");
const start = text.lastIndexOf("\\n/*" + ${JSON.stringify(MARK)} + "\\n") + ${MARK.length + 4};
let source = text.slice(start, text.length - 4);
${escape ? `source = source.replaceAll(${JSON.stringify("*" + escape + "/")}, "*/");` : "// (no */ to restore)"}
const STAMP = ${JSON.stringify(stamp)};
const cacheFile = self + ".cache";
const writing = process.env.KHEPRI_WRITE_CODE_CACHE === "1";
let cachedData;
if (!writing) {
  try {
    const data = readFileSync(cacheFile);
    if (data.toString("latin1", 0, STAMP.length) === STAMP) cachedData = data.subarray(STAMP.length);
  } catch {}
}
const script = new Script(source, { filename: self, cachedData });
if (writing) process.once("exit", () => writeFileSync(cacheFile, Buffer.concat([Buffer.from(STAMP, "latin1"), script.createCachedData()])));
const module = { exports: {} };
script.runInThisContext()(require, module, module.exports);
`;
writeFileSync(outfile, `${loader}\n/*${MARK}\n${escape ? source.replaceAll("*/", "*" + escape + "/") : source}\n*/\n`);
chmodSync(outfile, 0o755);

// ---------------------------------------------------------------- the code cache

const cacheFile = `${outfile}.cache`;
rmSync(cacheFile, { force: true });
const work = mkdtempSync(path.join(os.tmpdir(), "khepri-build-"));
try {
  const [compose, override] = writeSampleStack(work);
  const run = spawnSync(process.execPath, [path.resolve(outfile), "convert", "-f", compose, "-f", override, "-o", path.join(work, "out.nix")], {
    cwd: work,
    env: { PATH: process.env.PATH ?? "", HOME: work, KHEPRI_WRITE_CODE_CACHE: "1" },
    encoding: "utf8",
  });
  if (run.status !== 0) {
    // Not fatal: the bundle works without its cache.
    console.warn(`build: no code cache (converting the sample stack failed: exit ${run.status})\n${run.stderr}`);
    rmSync(cacheFile, { force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * A stack using most of what compose files hold, so most of the converter runs once (and is
 * cached): a plain file (the fast YAML reader) and an override with anchors and tags (the yaml
 * package), merged.
 */
function writeSampleStack(dir) {
  writeFileSync(path.join(dir, "app.env"), "TZ=UTC\nLOG_LEVEL=info\n");
  writeFileSync(path.join(dir, ".env"), "TAG=1.2\nDOMAIN=example.org\n");
  writeFileSync(path.join(dir, "secret.txt"), "s3cret\n");
  writeFileSync(path.join(dir, "Dockerfile"), "FROM alpine\n");
  const file = path.join(dir, "compose.yaml");
  const override = path.join(dir, "compose.override.yaml");
  writeFileSync(
    override,
    `x-common: &common
  restart: unless-stopped
  labels:
    backup: "false"
services:
  web:
    <<: *common
    environment:
      WORKERS: 8
  db:
    <<: *common
    ports: !reset []
    mem_limit: !override 2g
`,
  );
  writeFileSync(
    file,
    `name: sample
services:
  web:
    restart: always
    image: "docker.io/library/nginx:\${TAG:-1.27}"
    container_name: web
    hostname: web
    ports:
      - "8080:80"
      - 127.0.0.1:8443:443/tcp
      - target: 53
        published: "5353"
        protocol: udp
    volumes:
      - ./html:/usr/share/nginx/html:ro
      - cache:/var/cache/nginx
      - type: tmpfs
        target: /tmp
        tmpfs:
          size: 64m
    environment:
      SERVER_NAME: web.\${DOMAIN}
      WORKERS: 4
      DEBUG: "false"
    env_file:
      - ./app.env
    labels:
      traefik.enable: "true"
      traefik.http.routers.web.rule: Host(\`web.example.org\`)
    depends_on:
      api:
        condition: service_healthy
      cache:
        condition: service_started
    networks:
      front:
        aliases: [www]
      back: {}
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost/"]
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 10s
    logging:
      driver: json-file
      options:
        max-size: 10m
    deploy:
      resources:
        limits:
          memory: 512M
          cpus: "0.5"
    cap_add: [NET_BIND_SERVICE]
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
    extra_hosts:
      - "host.docker.internal:host-gateway"
    stop_grace_period: 20s
  api:
    build:
      context: .
      dockerfile: Dockerfile
      args:
        VERSION: "1"
    image: localhost/api:latest
    command: ["serve", "--port", "8000"]
    entrypoint: /entrypoint.sh
    user: "1000:1000"
    working_dir: /app
    environment:
      - DATABASE_URL=postgres://api@db/api
      - CACHE_URL=redis://cache:6379
    secrets:
      - source: api_key
        target: /run/secrets/api_key
    configs:
      - app_config
    depends_on:
      - db
    networks: [back]
    restart: on-failure:5
    healthcheck:
      test: wget -qO- http://localhost:8000/health || exit 1
      interval: 10s
    read_only: true
    tmpfs: /run
    security_opt:
      - no-new-privileges:true
    sysctls:
      net.core.somaxconn: 1024
    devices:
      - /dev/fuse:/dev/fuse
    shm_size: 128m
    init: true
  db:
    image: docker.io/library/postgres:16
    restart: always
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/api_key
    volumes:
      - db-data:/var/lib/postgresql/data
    networks:
      back:
        ipv4_address: 172.30.0.10
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 5s
      retries: 10
    mem_limit: 1g
    ports:
      - "5432:5432"
  cache:
    image: docker.io/library/redis:7-alpine
    command: redis-server --save ""
    network_mode: "service:db"
  worker:
    image: localhost/api:latest
    profiles: [extra]
    command: >
      worker
      --queue default
    depends_on:
      db:
        condition: service_healthy
        restart: true
    volumes_from:
      - db
    restart: "no"
networks:
  front: {}
  back:
    driver: bridge
    ipam:
      config:
        - subnet: 172.30.0.0/24
volumes:
  cache:
  db-data:
    labels:
      backup: "true"
secrets:
  api_key:
    file: ./secret.txt
configs:
  app_config:
    content: |
      listen = 8000
`,
  );
  return [file, override];
}
