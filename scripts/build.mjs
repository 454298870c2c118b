// Bundles the CLI for Node into dist/ (run by `npm ci` through `prepare`):
//
//   dist/khepri.cjs          the entry (package.json's bin): a small CommonJS loader
//   dist/khepri.js           the converter, one esbuild bundle
//   dist/yaml.js, zod.js     the yaml and zod packages, each bundled alone: only unusual YAML
//                            (anchors, tags, several documents, errors) needs the first, only an
//                            invalid file (its error message) or `khepri schema` the second
//   dist/*.js.cache          a V8 code cache per chunk, made here by converting a sample stack
//   dist/node-flags          NODE_FLAGS (below), for wrappers that start node themselves (nix/package.nix)
//
// Why a loader: Node 20 has no module compile cache (Node 22's), only node:vm's cachedData. The
// loader compiles each chunk with node:vm, handing V8 its cache, so a run starts from compiled
// bytecode instead of parsing and compiling the JavaScript; and it is CommonJS, which Node starts
// faster than an ES module. Chunks are plain ASCII (checked here) and read as latin1, the cheapest
// decoding. Keeping yaml and zod out of the main chunk keeps what every run reads, deserialises
// and keeps in memory to what a plain conversion uses.
//
// Without a cache, or when V8 refuses it (another Node version or V8 flags), a chunk is compiled
// from source as usual: same output, only slower to start.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const dist = "dist";
const version = JSON.parse(readFileSync("package.json", "utf8")).version;

/**
 * The chunks besides the main one: what the main chunk imports -> the chunk's file and entry.
 * zodFull.ts re-exports the parts of zod khepri uses (zod's locales stay out); the yaml package
 * is taken whole, since yamlFull.ts shares the loader's own modules (positions, errors).
 */
const SEPARATE = [
  { imported: /^yaml$/, file: "yaml.js", entry: { stdin: { contents: 'module.exports = require("yaml");', resolveDir: "." } } },
  { imported: /(^|\/)zodFull\.ts$/, file: "zod.js", entry: { entryPoints: ["src/model/zodFull.ts"] } },
];

const common = { bundle: true, platform: "node", format: "cjs", target: "node20", minify: true, charset: "ascii", legalComments: "linked", write: false, logLevel: "warning" };

/** Builds one chunk; returns its source wrapped as `(function (require, module, exports) {...})`. */
async function chunk(name, options) {
  const outfile = path.join(dist, name);
  const result = await build({ ...common, ...options, outfile });
  let body;
  for (const file of result.outputFiles) {
    if (file.path === path.resolve(outfile)) body = file.text;
    else writeFileSync(file.path, file.contents); // <chunk>.LEGAL.txt: licences of what it bundles
  }
  const source = `(function (require, module, exports) {${body}\n})`;
  const nonAscii = /[^\x00-\x7f]/.exec(source);
  if (nonAscii) throw new Error(`build: ${name} has a non-ASCII character at ${nonAscii.index} (the loader reads chunks as latin1)`);
  return [name, source];
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const separate = {
  name: "separate-chunks",
  setup(b) {
    // `import ... from "yaml"` in the main chunk becomes `require("./yaml.js")`, which the loader serves.
    for (const { imported, file } of SEPARATE) b.onResolve({ filter: imported }, () => ({ path: `./${file}`, external: true }));
    b.onResolve({ filter: /^zod$/ }, () => ({ errors: [{ text: "zod is imported through src/model/zodFull.ts only (the zod.js chunk)" }] }));
  },
};
const chunks = Object.fromEntries(
  await Promise.all([
    chunk("khepri.js", { entryPoints: ["src/cli/bin.ts"], plugins: [separate] }),
    ...SEPARATE.map(({ file, entry }) => chunk(file, entry)),
  ]),
);
for (const [name, source] of Object.entries(chunks)) writeFileSync(path.join(dist, name), source);

// Caches start with this stamp, so a cache from another build is never used: V8 itself checks only
// the source's length.
const stamp = createHash("sha256").update(Object.values(chunks).join("\0")).digest("hex").slice(0, 32);

/**
 * The V8 flags khepri runs with: a conversion is one short run, where V8's JIT tiers cost more
 * than they give. Sparkplug (the baseline compiler) compiles each function that has run a little,
 * and TurboFan the hot ones, on the way; measured on the mealie example, parse + generate takes
 * ~20% less without them, and a 50-service stack ~25% less. A large conversion (src/cli/largeInput.ts)
 * turns Sparkplug back on, where it pays. They are in the loader's `#!` line and in dist/node-flags;
 * when node was started without them (\`node dist/khepri.cjs\`), the loader sets them before loading
 * anything: V8 accepts a code cache only under the flags it was made with (so the caches are made
 * with them below).
 */
const NODE_FLAGS = ["--no-sparkplug", "--no-opt"];
writeFileSync(path.join(dist, "node-flags"), NODE_FLAGS.join(" ") + "\n");

// \`--\` ends node's options before the loader's path: node 20 otherwise takes \`--env-file FILE\`
// from anywhere on its command line, khepri's own \`--env-file\` included (it would read the file
// itself, and run the NODE_OPTIONS in it). Whatever starts the loader must put \`--\` before it.
const loader = `#!/usr/bin/env -S node ${NODE_FLAGS.join(" ")} --
// khepri ${version}: the loader of the chunks beside it (see scripts/build.mjs in khepri's source).
"use strict";
const FLAGS = ${JSON.stringify(NODE_FLAGS)};
// (node:v8 costs ~2 ms to load: only when node was started some other way than by the #! line)
if (!FLAGS.every((flag) => process.execArgv.includes(flag))) require("node:v8").setFlagsFromString(FLAGS.join(" "));
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const { Script } = require("node:vm");
const STAMP = ${JSON.stringify(stamp)};
const writing = process.env.KHEPRI_WRITE_CODE_CACHE === "1";
const loaded = new Map();

/** Runs dist/<name> (a chunk) once, from its code cache when it has a usable one. */
function load(name) {
  let exports = loaded.get(name);
  if (exports) return exports;
  const file = __dirname + "/" + name;
  const cacheFile = file + ".cache";
  let cachedData;
  if (!writing) {
    try {
      const data = readFileSync(cacheFile);
      if (data.toString("latin1", 0, STAMP.length) === STAMP) cachedData = data.subarray(STAMP.length);
    } catch {}
  }
  const script = new Script(readFileSync(file, "latin1"), { filename: file, cachedData });
  // (V8 refuses a cache made by another node or under other flags: the chunk is then compiled from source)
  if (cachedData && script.cachedDataRejected && process.env.KHEPRI_DEBUG) process.stderr.write(\`khepri: the code cache \${cacheFile} was refused\\n\`);
  // The first run that loads a chunk writes its cache (the build runs the sample stack first).
  // (KHEPRI_WRITE_CODE_CACHE is for this build script only; where dist/ is read-only, as in the Nix
  // store, nothing is written and the run is not disturbed)
  if (writing && !existsSync(cacheFile)) {
    process.once("exit", () => {
      try {
        writeFileSync(cacheFile, Buffer.concat([Buffer.from(STAMP, "latin1"), script.createCachedData()]));
      } catch {}
    });
  }
  const module = { exports: {} };
  loaded.set(name, module.exports);
  script.runInThisContext()((id) => (id.startsWith("./") ? load(id.slice(2)) : require(id)), module, module.exports);
  loaded.set(name, module.exports);
  return module.exports;
}

load("khepri.js");
`;
const entry = path.join(dist, "khepri.cjs");
writeFileSync(entry, loader);
chmodSync(entry, 0o755);

// ---------------------------------------------------------------- the code caches

const work = mkdtempSync(path.join(os.tmpdir(), "khepri-build-"));
try {
  const [compose, override, invalid] = writeSampleStack(work);
  const convert = (args) =>
    spawnSync(process.execPath, [...NODE_FLAGS, path.resolve(entry), "convert", ...args, "-o", path.join(work, "out.nix")], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "", HOME: work, KHEPRI_WRITE_CODE_CACHE: "1" },
      encoding: "utf8",
    });
  // First the sample (khepri.js and yaml.js), then an invalid file (zod.js, for its message).
  const run = convert(["-f", compose, "-f", override]);
  if (run.status !== 0) {
    // Not fatal: the chunks work without their caches.
    console.warn(`build: no code cache (converting the sample stack failed: exit ${run.status})\n${run.stderr}`);
    for (const name of Object.keys(chunks)) rmSync(path.join(dist, `${name}.cache`), { force: true });
  } else {
    convert(["-f", invalid]);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * A stack using most of what compose files hold, so most of the converter runs once (and is
 * cached): a plain file (the fast YAML reader) and an override with anchors and tags (the yaml
 * package), merged; and an invalid file, whose message needs zod.
 */
function writeSampleStack(dir) {
  writeFileSync(path.join(dir, "app.env"), "TZ=UTC\nLOG_LEVEL=info\n");
  writeFileSync(path.join(dir, ".env"), "TAG=1.2\nDOMAIN=example.org\n");
  writeFileSync(path.join(dir, "secret.txt"), "s3cret\n");
  writeFileSync(path.join(dir, "Dockerfile"), "FROM alpine\n");
  const file = path.join(dir, "compose.yaml");
  const override = path.join(dir, "compose.override.yaml");
  const invalid = path.join(dir, "invalid.yaml");
  writeFileSync(invalid, "services:\n  web:\n    image: nginx\n    restart: sometimes\n");
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
  return [file, override, invalid];
}
