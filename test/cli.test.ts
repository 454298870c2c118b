// The command line as a user meets it: usage errors, help, the spec round trip,
// profiles, project naming and file discovery.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCli } from "./support/convert.ts";

const mealie = path.resolve("examples/mealie");

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "khepri-cli-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const usageCases: [string, string[], RegExp][] = [
  ["unknown command", ["frobnicate"], /unknown command "frobnicate"/],
  ["unknown option", ["convert", "--frob"], /unknown option --frob/],
  ["missing value", ["convert", "-f"], /--file needs a value/],
  ["bad runtime", ["convert", "--runtime", "lxc"], /--runtime must be podman or docker/],
  ["bad format", ["convert", "--format", "yaml"], /--format must be nix or json/],
  ["spec with -f", ["convert", "--spec", "x.json", "-f", "compose.yaml"], /--spec cannot be combined/],
  ["bad stop timeout", ["convert", "--default-stop-timeout", "banana"], /--default-stop-timeout takes a duration/],
  ["empty option prefix", ["convert", "--enable-option", "--option-prefix", ""], /--option-prefix takes an attribute path/],
  ["standard input", ["convert", "-f", "-"], /standard input\) is not supported/],
  // an argument's control characters are escaped, not printed raw into the terminal
  ["control characters in a value", ["convert", "--runtime", "x\x1b[31mRED\nsecond line"], /\(got "x\\x1b\[31mRED\\nsecond line"\)\n/],
];
for (const [name, argv, message] of usageCases) {
  test(`usage error exits 2: ${name}`, () => {
    const r = runCli(argv, { cwd: mealie });
    assert.is(r.code, 2);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /khepri --help/);
    assert.is(r.stdout, "");
  });
}

test("--help and --version exit 0", () => {
  const help = runCli(["--help"], { cwd: mealie });
  assert.is(help.code, 0);
  assert.match(help.stdout, /khepri convert \[-f FILE\]/);
  const version = runCli(["--version"], { cwd: mealie });
  assert.match(version.stdout, /^khepri \d+\.\d+\.\d+\n$/);
});

test("schema prints the spec's JSON Schema in camelCase", () => {
  const r = runCli(["schema"], { cwd: mealie });
  assert.is(r.code, 0);
  const schema = JSON.parse(r.stdout);
  const composition = schema.properties.compositions.additionalProperties;
  assert.ok(composition.properties.composeFiles, "composeFiles");
  const service = JSON.stringify(composition.properties.services);
  for (const key of ["containerName", "dependsOn", "capAdd", "extraHosts", "environmentFiles", "cmd"]) assert.ok(service.includes(`"${key}"`), key);
  assert.not.ok(service.includes('"container_name"'));
});

test("compose -> JSON spec -> --spec gives the same module as compose directly", () => {
  const dir = scratch({});
  const json = runCli(["convert", "--format", "json"], { cwd: mealie });
  assert.is(json.code, 0, json.stderr);
  writeFileSync(path.join(dir, "spec.json"), json.stdout);
  const direct = runCli(["convert", "-o", "-", "-q"], { cwd: mealie });
  const viaSpec = runCli(["convert", "--spec", path.join(dir, "spec.json"), "-o", "-", "-q"], { cwd: dir });
  assert.is(viaSpec.code, 0, viaSpec.stderr);
  const body = (s: string) => s.slice(s.indexOf("\n") + 1);
  assert.is(body(viaSpec.stdout), body(direct.stdout));
});

test("the seed README's caddy + paperless composition converts from a spec", () => {
  const spec = {
    compositions: {
      caddy: {
        networks: { proxy_net: { external: true } },
        volumes: ["caddy_data"],
        services: {
          caddy: {
            image: "caddy:alpine",
            networks: ["proxy_net"],
            volumes: ["caddy_data:/data:rw", "/etc/caddy/Caddyfile:/etc/caddy/Caddyfile:ro"],
            ports: ["80:80/tcp", "443:443/tcp", "443:443/udp"],
            restart: "unless-stopped",
          },
        },
      },
      paperless: {
        networks: { paperless: {}, proxy_net: { external: true } },
        volumes: ["data", "pgdata"],
        services: {
          db: { image: "docker.io/library/postgres:15", volumes: ["pgdata:/var/lib/postgresql/data:rw"], networks: ["paperless"] },
          webserver: {
            image: "ghcr.io/paperless-ngx/paperless-ngx:latest",
            containerName: "paperless_web",
            environment: { PAPERLESS_DBHOST: "db" },
            cmd: ["gunicorn", "--workers", "2"],
            capAdd: ["NET_ADMIN"],
            extraHosts: ["host.docker.internal:host-gateway"],
            dependsOn: ["db"],
            networks: ["paperless", "proxy_net"],
            ports: ["8000:8000/tcp"],
          },
        },
      },
    },
  };
  const dir = scratch({ "spec.json": JSON.stringify(spec, null, 2) });
  const r = runCli(["convert", "--spec", "spec.json", "--runtime", "docker", "-o", "-", "-q"], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  const nix = r.stdout;
  assert.match(nix, /containers\.caddy-caddy = \{/);
  assert.match(nix, /containers\.paperless_web = \{/);
  assert.match(nix, /"name=proxy_net,alias=caddy"/);
  assert.not.match(nix, /docker-network-proxy_net/, "external network gets no unit");
  assert.match(nix, /systemd\.services\.docker-network-paperless_paperless = /);
  assert.match(nix, /dependsOn = \[ "paperless-db" \];/);
  assert.match(nix, /NET_ADMIN = true;/);
  assert.match(nix, /"--add-host=host\.docker\.internal:host-gateway"/);
  assert.match(nix, /cmd = \[\n\s+"gunicorn"/);
  assert.match(nix, /systemd\.targets\.docker-compose-caddy-root/);
  assert.match(nix, /systemd\.targets\.docker-compose-paperless-root/);
});

test("a spec error names the spec file, line, column and key path", () => {
  const dir = scratch({ "spec.json": '{\n  "compositions": {\n    "app": {\n      "services": {\n        "web": { "image": "nginx", "ports": ["80:abc"] }\n      }\n    }\n  }\n}\n' });
  const r = runCli(["convert", "--spec", "spec.json", "-o", "-"], { cwd: dir });
  assert.is(r.code, 1);
  assert.match(r.stderr, /spec\.json:5:\d+: compositions\.app\.services\.web\.ports\[0\]: "80:abc" is not a port/);
});

test("a composition name that is not a valid project name is located in the spec", () => {
  const dir = scratch({ "spec.json": '{"compositions": {"myStack": {"services": {"web": {"image": "nginx"}}}}}\n' });
  const r = runCli(["convert", "--spec", "spec.json", "-o", "-"], { cwd: dir });
  assert.is(r.code, 1);
  assert.match(r.stderr, /^error: spec\.json:1:\d+: compositions\.myStack: project name "myStack" \(from the composition's name\)/);
});

test("a spec's unknown dependency is reported in the spec's own names", () => {
  const dir = scratch({ "spec.json": '{"compositions": {"app": {"services": {"web": {"image": "nginx", "dependsOn": ["db"], "containerName": "web1"}}}}}\n' });
  const r = runCli(["convert", "--spec", "spec.json", "-o", "-"], { cwd: dir });
  assert.is(r.code, 1);
  assert.match(r.stderr, /spec\.json:1:\d+: compositions\.app\.services\.web\.dependsOn\.db: service "web" depends on "db", which is not defined/);
});

// Secrets on their way into /nix/store are named wherever interpolation put them.
const storeLeaks: [string, Record<string, string>, RegExp][] = [
  [
    "a secret inherited through extends",
    {
      "compose.yaml": "services:\n  base:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n  db:\n    extends: base\n",
      ".env": "DB_PASSWORD=hunter2\n",
    },
    /warning: compose\.yaml:5:\d+: services\.base\.environment\.POSTGRES_PASSWORD: the value of DB_PASSWORD is written into the module \(services base, db\)/,
  ],
  [
    "a secret inside a URL under a harmless key",
    { "compose.yaml": "services:\n  app:\n    image: app\n    environment:\n      DATABASE_URL: postgres://u:${DB_PASSWORD}@db/app\n", ".env": "DB_PASSWORD=hunter2\n" },
    /services\.app\.environment\.DATABASE_URL: the value of DB_PASSWORD is written/,
  ],
  [
    "a build argument",
    { "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}\n", ".env": "NPM_TOKEN=npm_abcdef\n" },
    /services\.app\.build\.args\.NPM_TOKEN: the value of NPM_TOKEN is written/,
  ],
  [
    "a label",
    { "compose.yaml": "services:\n  app:\n    image: app\n    labels:\n      auth: \"Bearer ${API_TOKEN}\"\n", ".env": "API_TOKEN=tok_123456\n" },
    /services\.app\.labels\.auth: the value of API_TOKEN is written/,
  ],
];
for (const [name, files, warning] of storeLeaks) {
  test(`a secret written into the module is warned about: ${name}`, () => {
    const r = runCli(["convert", "-o", "-"], { cwd: scratch(files) });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, warning);
    assert.match(r.stderr, /readable by every local user/);
  });
}

test("a variable that looks harmless, under a harmless key, is not warned about", () => {
  const r = runCli(["convert", "-o", "-"], { cwd: scratch({ "compose.yaml": "services:\n  app:\n    image: app:${TAG}\n    environment:\n      MODE: ${TAG}\n", ".env": "TAG=1.2.3\n" }) });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /warning/);
});

test("inactive profiles leave services out with a note; --profile and COMPOSE_PROFILES bring them in", () => {
  const dir = scratch({
    "compose.yaml": "services:\n  web:\n    image: nginx\n  debug:\n    image: busybox\n    profiles: [debug]\n",
  });
  const plain = runCli(["convert", "-o", "-"], { cwd: dir });
  assert.is(plain.code, 0, plain.stderr);
  assert.not.match(plain.stdout, /busybox/);
  assert.match(plain.stderr, /note: compose\.yaml:6:\d+: services\.debug\.profiles: service "debug" left out/);
  assert.match(runCli(["convert", "-o", "-", "--profile", "debug"], { cwd: dir }).stdout, /busybox/);
  assert.match(runCli(["convert", "-o", "-"], { cwd: dir, env: { COMPOSE_PROFILES: "debug" } }).stdout, /busybox/);
  // naming a service activates its profiles, as `docker compose up debug` does
  const named = runCli(["convert", "-o", "-", "--service", "debug"], { cwd: dir });
  assert.match(named.stdout, /busybox/);
  assert.not.match(named.stdout, /image = "nginx"/);
});

test("project name: -p, then COMPOSE_PROJECT_NAME, then name:, then the directory", () => {
  const dir = scratch({ "My App/compose.yaml": "services:\n  web:\n    image: nginx\n" });
  const cwd = path.join(dir, "My App");
  assert.match(runCli(["convert", "-o", "-"], { cwd }).stdout, /containers\.myapp-web/);
  assert.match(runCli(["convert", "-o", "-"], { cwd, env: { COMPOSE_PROJECT_NAME: "envname" } }).stdout, /containers\.envname-web/);
  assert.match(runCli(["convert", "-o", "-", "-p", "flag"], { cwd, env: { COMPOSE_PROJECT_NAME: "envname" } }).stdout, /containers\.flag-web/);
  const bad = runCli(["convert", "-o", "-", "-p", "Bad Name"], { cwd });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /project name "Bad Name"/);
});

test("discovery finds compose.yaml in a parent directory, with its override file and .env", () => {
  const dir = scratch({
    "compose.yaml": "services:\n  web:\n    image: nginx:${TAG}\n",
    "compose.override.yaml": "services:\n  web:\n    environment:\n      MODE: override\n",
    ".env": "TAG=1.27\n",
    "sub/dir/.keep": "",
  });
  const r = runCli(["convert", "-o", "-", "-q"], { cwd: path.join(dir, "sub", "dir") });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /image = "nginx:1\.27";/);
  assert.match(r.stdout, /MODE = "override";/);
});

test("the process environment wins over .env, and --env-file replaces .env", () => {
  const dir = scratch({ "compose.yaml": "services:\n  web:\n    image: nginx:${TAG}\n", ".env": "TAG=from-dotenv\n", "other.env": "TAG=from-other\n" });
  assert.match(runCli(["convert", "-o", "-", "-q"], { cwd: dir, env: { TAG: "from-process" } }).stdout, /nginx:from-process/);
  assert.match(runCli(["convert", "-o", "-", "-q", "--env-file", "other.env"], { cwd: dir }).stdout, /nginx:from-other/);
});

test("--ignore-process-env interpolates from env files only", () => {
  const dir = scratch({ "compose.yaml": "services:\n  web:\n    image: nginx:${TAG:-default}\n" });
  const env = { TAG: "from-process", HOME: "/homeless-shelter" };
  assert.match(runCli(["convert", "-o", "-", "-q"], { cwd: dir, env }).stdout, /nginx:from-process/);
  assert.match(runCli(["convert", "-o", "-", "-q", "--ignore-process-env"], { cwd: dir, env }).stdout, /nginx:default/);
});

test("the setup block gives way to the user's own runtime settings and prunes nothing", () => {
  for (const runtime of ["podman", "docker"]) {
    const r = runCli(["convert", "-o", "-", "-q", "--runtime", runtime], { cwd: mealie });
    assert.match(r.stdout, /enable = lib\.mkDefault true;/);
    assert.not.match(r.stdout, /autoPrune/);
    assert.match(r.stdout, new RegExp(`virtualisation\\.oci-containers\\.backend = "${runtime}";`));
  }
});

test("integers too large for a JS number keep their digits (both YAML readers)", () => {
  const plain = "services:\n  web:\n    image: nginx\n    environment:\n      CHANNEL_ID: 823456789012345678\n";
  const withAnchor = "x-env: &env\n  CHANNEL_ID: 823456789012345678\nservices:\n  web:\n    image: nginx\n    environment: *env\n";
  for (const text of [plain, withAnchor]) {
    const r = runCli(["convert", "-o", "-", "-q"], { cwd: scratch({ "compose.yaml": text }) });
    assert.match(r.stdout, /CHANNEL_ID = "823456789012345678";/);
  }
});

test("ports with network_mode: host are left out with a warning, as docker does", () => {
  const r = runCli(["convert", "-o", "-"], { cwd: scratch({ "compose.yaml": "services:\n  web:\n    image: nginx\n    network_mode: host\n    ports: [\"80:80\"]\n" }) });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: compose\.yaml:5:\d+: services\.web\.ports: ports have no effect with network_mode: host/);
  assert.not.match(r.stdout, /ports = /);
  assert.match(r.stdout, /networks = \[ "host" \];/);
});

test("a failed conversion leaves an existing output file untouched", () => {
  const dir = scratch({ "compose.yaml": "services:\n  web:\n    image: nginx\n    ports: [\"80:abc\"]\n", "out.nix": "sentinel\n" });
  const r = runCli(["convert", "-o", "out.nix"], { cwd: dir });
  assert.is(r.code, 1);
  assert.is(readFileSync(path.join(dir, "out.nix"), "utf8"), "sentinel\n");
});

test("--check: 0 when up to date, 1 with a summary when not; writes nothing", () => {
  const dir = scratch({ "compose.yaml": "services:\n  web:\n    image: nginx\n" });
  assert.is(runCli(["convert", "-o", "out.nix", "-q"], { cwd: dir }).code, 0);
  assert.is(runCli(["convert", "-o", "out.nix", "--check"], { cwd: dir }).code, 0);
  writeFileSync(path.join(dir, "compose.yaml"), "services:\n  web:\n    image: nginx:2\n");
  const stale = runCli(["convert", "-o", "out.nix", "--check"], { cwd: dir });
  assert.is(stale.code, 1);
  assert.match(stale.stderr, /out\.nix is out of date/);
  assert.match(stale.stderr, /^\+ +image = "nginx:2";$/m);
  assert.not.ok(readFileSync(path.join(dir, "out.nix"), "utf8").includes("nginx:2"));
  assert.not.ok(existsSync(path.join(dir, "docker-compose.nix")));
});

test("the CLI prints how long parse + generate took", () => {
  const r = runCli(["convert", "-o", "-"], { cwd: mealie });
  assert.match(r.stderr, /Generated NixOS config in \d+\.\d+ms/);
});

test.run();
