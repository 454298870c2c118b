// Short syntax -> long syntax, per file, as compose-go's transform step does it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { KhepriError } from "../src/diagnostics/index.ts";
import { canonicalizeProject } from "../src/load/canonical.ts";
import { OverrideTag, ResetTag, positionOf, type RawMap, type RawValue } from "../src/load/raw.ts";
import { parseYaml } from "../src/load/yaml.ts";

const canon = (yaml: string, file = "compose.yaml") => canonicalizeProject(parseYaml(yaml, file) as RawMap, file);

/** Canonical form of one service key written in YAML flow syntax. */
function serviceKey(key: string, value: string): RawValue | undefined {
  const doc = canon(`services:\n  web:\n    ${key}: ${value}\n`);
  return ((doc.services as RawMap).web as RawMap)[key];
}

const tcp = (target: number, more: RawMap = {}) => ({ target, ...more, protocol: more.protocol ?? "tcp" });

const cases: [string, string, string, unknown][] = [
  // ports
  ["ports", "port only", `["80"]`, [tcp(80)]],
  ["ports", "number", `[80]`, [tcp(80)]],
  ["ports", "host:container", `["8080:80"]`, [tcp(80, { published: "8080" })]],
  ["ports", "ip, protocol", `["127.0.0.1:8080:80/udp"]`, [{ target: 80, published: "8080", host_ip: "127.0.0.1", protocol: "udp" }]],
  ["ports", "bracketed ipv6", `["[::1]:80:80"]`, [tcp(80, { published: "80", host_ip: "::1" })]],
  ["ports", "bare ipv6", `["::1:81:80"]`, [tcp(80, { published: "81", host_ip: "::1" })]],
  ["ports", "equal ranges", `["8000-8002:8000-8002"]`, [8000, 8001, 8002].map((p) => tcp(p, { published: String(p) }))],
  ["ports", "shifted ranges", `["9090-9091:8080-8081"]`, [tcp(8080, { published: "9090" }), tcp(8081, { published: "9091" })]],
  ["ports", "ip, no host port", `["127.0.0.1::80"]`, [tcp(80, { host_ip: "127.0.0.1" })]],
  ["ports", "host range for one port", `["8000-8010:80"]`, [tcp(80, { published: "8000-8010" })]],
  ["ports", "container range only", `["3000-3001"]`, [tcp(3000), tcp(3001)]],
  ["ports", "long syntax kept, published as text", `[{target: 80, published: 8080}]`, [{ target: 80, published: "8080" }]],
  ["ports", "wrong type left for the model", `5`, 5],
  // volumes
  ["volumes", "named", `["data:/var/lib/data"]`, [{ type: "volume", source: "data", target: "/var/lib/data", volume: {} }]],
  ["volumes", "bind ro", `["./src:/app:ro"]`, [{ type: "bind", source: "./src", target: "/app", read_only: true, bind: { create_host_path: true } }]],
  ["volumes", "anonymous", `["/data"]`, [{ type: "volume", target: "/data", volume: {} }]],
  ["volumes", "home bind, selinux", `["~/x:/x:z"]`, [{ type: "bind", source: "~/x", target: "/x", bind: { selinux: "z", create_host_path: true } }]],
  ["volumes", "propagation", `["/a:/b:ro,rshared"]`, [{ type: "bind", source: "/a", target: "/b", read_only: true, bind: { propagation: "rshared", create_host_path: true } }]],
  ["volumes", "nocopy", `["vol:/b:nocopy"]`, [{ type: "volume", source: "vol", target: "/b", volume: { nocopy: true } }]],
  ["volumes", "windows path", `["C:\\\\data:/data"]`, [{ type: "bind", source: "C:\\data", target: "/data", bind: { create_host_path: true } }]],
  ["volumes", "target cleaned", `["vol:/data/"]`, [{ type: "volume", source: "vol", target: "/data", volume: {} }]],
  ["volumes", "target cleaned, dot segments", `["vol:/a/./b/../c/"]`, [{ type: "volume", source: "vol", target: "/a/c", volume: {} }]],
  ["volumes", "target cleaned, empty segment", `["vol:/a//b/"]`, [{ type: "volume", source: "vol", target: "/a/b", volume: {} }]],
  ["volumes", "long syntax kept", `[{type: tmpfs, target: /t}]`, [{ type: "tmpfs", target: "/t" }]],
  // key/value lists
  ["environment", "list", `["A=1", "B=", "C"]`, { A: "1", B: "", C: null }],
  ["environment", "map with numbers", `{A: 1, B: true, C: null}`, { A: "1", B: "true", C: null }],
  ["labels", "list", `["a=1", "b"]`, { a: "1", b: "" }],
  ["sysctls", "map", `{net.core.somaxconn: 1024}`, { "net.core.somaxconn": "1024" }],
  // extra_hosts
  ["extra_hosts", "colon and equals", `["a:1.2.3.4", "b=::1", "a=5.6.7.8"]`, { a: ["1.2.3.4", "5.6.7.8"], b: ["::1"] }],
  ["extra_hosts", "map", `{a: "1.2.3.4", b: ["[::1]", "10.0.0.1"]}`, { a: ["1.2.3.4"], b: ["::1", "10.0.0.1"] }],
  // healthcheck
  ["healthcheck", "string test", `{test: "curl -f localhost"}`, { test: ["CMD-SHELL", "curl -f localhost"] }],
  ["healthcheck", "list test", `{test: [CMD, "true"]}`, { test: ["CMD", "true"] }],
  // ulimits
  ["ulimits", "single number", `{nproc: 65535, nofile: {soft: 1, hard: 2}}`, { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 1, hard: 2 } }],
  // depends_on
  ["depends_on", "list", `[db, cache]`, { db: { condition: "service_started", required: true }, cache: { condition: "service_started", required: true } }],
  ["depends_on", "map defaults", `{db: {condition: service_healthy}}`, { db: { condition: "service_healthy", required: true } }],
  // env_file
  ["env_file", "string", `a.env`, [{ path: "a.env", required: true }]],
  ["env_file", "mixed list", `[a.env, {path: b.env, required: false}]`, [{ path: "a.env", required: true }, { path: "b.env", required: false }]],
  // others
  ["build", "string", `./app`, { context: "./app" }],
  ["build", "args list", `{context: ., args: [A=1, B]}`, { context: ".", args: { A: "1", B: null } }],
  ["networks", "list", `[front, back]`, { front: null, back: null }],
  ["secrets", "names", `[s1, {source: s2, target: /x}]`, [{ source: "s1" }, { source: "s2", target: "/x" }]],
  ["devices", "short", `["/dev/a", "/dev/b:/dev/c:r"]`, [{ source: "/dev/a", target: "/dev/a", permissions: "rwm" }, { source: "/dev/b", target: "/dev/c", permissions: "r" }]],
  ["dns", "string", `8.8.8.8`, ["8.8.8.8"]],
  ["tmpfs", "string", `/run`, ["/run"]],
  ["expose", "numbers", `[80, "90"]`, ["80", "90"]],
  ["extends", "string", `base`, { service: "base" }],
  ["gpus", "all", `all`, [{ count: "all" }]],
  ["command", "string kept", `"echo hi"`, "echo hi"],
];

for (const [key, name, value, expected] of cases) {
  test(`${key}: ${name}`, () => assert.equal(serviceKey(key, value), expected));
}

const errors: [string, string, string, string][] = [
  ["ports", "80:abc", `\n      - "80"\n      - "80:abc"`, 'compose.yaml:5:9: services.web.ports[1]: "80:abc" is not a port'],
  ["ports", "bad ip", `["1.2.3:80:80"]`, 'compose.yaml:3:13: services.web.ports[0]: "1.2.3:80:80" is not a port: invalid IP address "1.2.3"'],
  ["ports", "ranges differ", `["1-3:1-2"]`, 'compose.yaml:3:13: services.web.ports[0]: "1-3:1-2" is not a port: container ports 1-2 and host ports 1-3 are ranges of different sizes'],
  ["ports", "protocol", `["80/xyz"]`, 'compose.yaml:3:13: services.web.ports[0]: "80/xyz" is not a port: unknown protocol "xyz"'],
  ["volumes", "empty section", `["ab::c"]`, 'compose.yaml:3:15: services.web.volumes[0]: "ab::c" is not a volume: empty section between colons'],
  ["extra_hosts", "no ip", `["justahost"]`, 'compose.yaml:3:19: services.web.extra_hosts[0]: "justahost" is not a host mapping, expected host=ip'],
];
for (const [key, name, value, message] of errors) {
  test(`error: ${key} ${name}`, () => {
    try {
      serviceKey(key, value);
      assert.unreachable("no error");
    } catch (e) {
      assert.instance(e, KhepriError);
      assert.equal((e as Error).message, message);
    }
  });
}

test("legacy external name", () => {
  const doc = canon("networks:\n  n:\n    external:\n      name: real\nvolumes:\n  v:\n    external: true\n");
  assert.equal(doc.networks, { n: { external: true, name: "real" } });
  assert.equal(doc.volumes, { v: { external: true } });
});

test("conflicting name and external.name", () => {
  assert.throws(() => canon("networks:\n  n:\n    name: a\n    external:\n      name: b\n"), /name and external.name conflict/);
});

test("new containers carry the position of their short syntax", () => {
  const doc = canon("services:\n  web:\n    ports:\n      - 80\n      - 8000-8001:8000-8001\n");
  const ports = ((doc.services as RawMap).web as RawMap).ports as RawMap[];
  assert.equal(positionOf(ports, 2), { file: "compose.yaml", line: 5, col: 9 });
  assert.equal(positionOf(ports[2]!), { file: "compose.yaml", line: 5, col: 9 });
  assert.equal(positionOf(ports[2]!, "published"), { file: "compose.yaml", line: 5, col: 9 });
});

test("!reset and !override pass through; the value inside !override is canonicalized", () => {
  const doc = canon("services:\n  web:\n    ports: !override\n      - 80\n    environment: !reset\n    volumes:\n      - !reset a:/a\n");
  const web = (doc.services as RawMap).web as RawMap;
  assert.instance(web.ports, OverrideTag);
  assert.equal((web.ports as OverrideTag).value, [tcp(80)]);
  assert.instance(web.environment, ResetTag);
  assert.instance((web.volumes as RawValue[])[0], ResetTag);
});

test("services sharing an anchor each get their own canonical values (canonical rewrites in place)", () => {
  // `*shared` is read into a fresh copy at each use: were one object reachable twice, the second
  // rewrite would see the first one's output.
  const doc = canon(`x-shared: &shared
  ports: ["8080:80"]
  environment: [A=1]
  volumes: ["data:/data"]
services:
  web: *shared
  api:
    <<: *shared
    image: busybox
`);
  const services = doc.services as RawMap;
  for (const name of ["web", "api"]) {
    const service = services[name] as RawMap;
    assert.equal(service.ports, [tcp(80, { published: "8080" })], `${name} ports`);
    assert.equal(service.environment, { A: "1" }, `${name} environment`);
    assert.equal(service.volumes, [{ type: "volume", source: "data", target: "/data", volume: {} }], `${name} volumes`);
  }
  assert.is.not(services.web, services.api);
  assert.is.not((services.web as RawMap).ports, (services.api as RawMap).ports);
});

test("x- keys and unknown keys are left for the model", () => {
  const doc = canon("x-common: &c {a: 1}\nservices:\n  web:\n    imagee: x\n");
  assert.equal(doc["x-common"], { a: 1 });
  assert.equal(((doc.services as RawMap).web as RawMap).imagee, "x");
});

test.run();
