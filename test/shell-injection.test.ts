// Compose values end up in shell scripts: the run line oci-containers builds, and the scripts khepri
// writes itself (network/volume creation, builds, health and completion waits, hooks). Network and
// volume names are validated, but labels, driver options, build args, healthcheck commands, hooks,
// image names, environment values and more are not, so they must arrive quoted.
//
// This test writes a compose project whose values carry `$(...)`, backticks, `;`, `|`, `&&`, quotes,
// a backslash and a newline (each value its own numbered CANARY files), converts it, evaluates the
// module with nixpkgs' real oci-containers module, and runs every script of every unit — ExecStartPre,
// preStart, script, postStart, preStop, postStop — with `bash -e` against stub podman/docker/seq/
// sleep/mkdir commands that only record their argv. Then no CANARY file may exist, every script
// must succeed, and each hostile value must show up verbatim as (part of) one argument.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { evalNixosModules, findNixosEvalEnv, shellWords, type Backend } from "./support/nixos-eval.ts";
import { readCalls, runScript, writeStubs, type RecordedCall } from "./support/script-stubs.ts";
import { convertIn, scratchDir } from "./support/semantics.ts";
import { skipUnless } from "./support/shared.ts";

const { env, missing } = findNixosEvalEnv();
const scratch = scratchDir("shell-injection");

/** A hostile value: every shell construct that would run `touch CANARY<n>?` if it reached a shell unquoted. */
const evil = (n: number, opts: { newline?: boolean } = {}) =>
  `x$(touch CANARY${n}a)\`touch CANARY${n}b\`; touch CANARY${n}c ' " \\ ${opts.newline === false ? "" : "\n"}| touch CANARY${n}d && touch CANARY${n}e`;
/** Without a newline, for file names and other one-line places. */
const evil1 = (n: number) => evil(n, { newline: false });
/** Without quotes either: where a value is not quoted at all, this one runs (a stray quote would only break the line). */
const evil0 = (n: number) => `x$(touch CANARY${n}a)\`touch CANARY${n}b\`; touch CANARY${n}c | touch CANARY${n}d && touch CANARY${n}e`;

/** `${...}` that Nix would evaluate if the module printed it unescaped, and the indented-string escapes. */
const nixHostile = `\${builtins.throw "NIX-INJECTION"} ''\${x} ''' \\n`;
/** How a compose file writes a value literally: `$$` for `$` (no interpolation). */
const composeLiteral = (s: string) => s.replace(/\$/g, "$$$$");

/** Which recorded call must carry which argument, verbatim. */
interface Arrival {
  what: string;
  /** the stub that must have received it (podman/docker: the runtime) */
  command: "runtime" | "mkdir";
  /** the first argument of that call after the runtime ("run", "network", "volume", "build", "exec") */
  sub?: string;
  /** an argument equal to this */
  arg?: string;
  /** or: an argument starting with this */
  argPrefix?: string;
  /** or: an argument that, split like sh would, gives these words (a command docker runs with sh -c) */
  shellSplitsTo?: string[];
  /** or: the call's stdin contains this */
  stdin?: string;
  /** consecutive arguments */
  args?: string[];
}

function project(runtime: Backend): Project {
  const envFileName = `env${evil1(20)}.env`;
  const secretName = `secret${evil1(21)}.txt`;
  const compose = {
    name: "evil",
    services: {
      app: {
        image: "localhost/evil-app:1",
        labels: { l1: evil(2), nix: composeLiteral(nixHostile) },
        environment: { E1: evil(3) },
        command: ["sh", "-c", evil(4)],
        entrypoint: ["/entry", evil(5)],
        healthcheck: { test: ["CMD", "sh", "-c", evil(6)], interval: "5s" },
        post_start: [{ command: ["sh", "-c", evil(7)], environment: { HK: evil(8) }, user: "root" }],
        pre_stop: [{ command: ["echo", evil(9), composeLiteral(nixHostile)] }],
        volumes: [`./dir${evil1(10)}:/data`],
        networks: { n1: { aliases: [`al${evil1(11)}`] } },
        hostname: `h${evil1(12)}`,
        user: `u${evil1(13)}`,
        working_dir: `/w${evil(14)}`,
        env_file: [envFileName],
        secrets: ["s1"],
        extra_hosts: [`host.example:10.0.0.1`],
        dns_search: [evil(15)],
        sysctls: { "net.core.somaxconn": evil(16) },
        security_opt: [evil(17)],
        logging: { options: { tag: evil(18) } },
        stop_signal: evil1(19),
        build: {
          context: ".",
          args: { A1: evil(22) },
          labels: { bl: evil(23) },
          dockerfile_inline: `FROM busybox\nRUN echo '${evil(24)}'\n`,
        },
      },
      db: {
        image: "postgres:16",
        healthcheck: { test: ["CMD-SHELL", evil(25)] },
        volumes: ["v1:/var/lib/postgresql/data"],
      },
      job: { image: "busybox:1", command: ["echo", evil(26)] },
      web: {
        image: "nginx:1",
        annotations: { an: evil(27) },
        depends_on: { db: { condition: "service_healthy" }, job: { condition: "service_completed_successfully" } },
        cap_add: [`CAP${evil1(28)}`],
        devices: [`/dev/x${evil1(29)}`],
        tmpfs: [`/t${evil1(30)}`],
      },
    },
    networks: { n1: { driver_opts: { "com.docker.network.bridge.name": evil(31) }, labels: { nl: evil(32) } } },
    volumes: { v1: { driver_opts: { o: evil(33) }, labels: { vl: evil(34) } } },
    secrets: { s1: { file: `./${secretName}` } },
  };
  // a project directory of its own (the bind source and env file are resolved against it)
  const dir = projectDir(`values-${runtime}`, compose);
  writeFileSync(path.join(dir, envFileName), "FROM_FILE=1\n");
  writeFileSync(path.join(dir, secretName), "s3cret\n");

  const rt = runtime;
  const arrivals: Arrival[] = [
    { what: "label", command: "runtime", sub: "run", args: ["-l", `l1=${evil(2)}`] },
    { what: "label with Nix syntax", command: "runtime", sub: "run", args: ["-l", `nix=${nixHostile}`] },
    { what: "environment value", command: "runtime", sub: "run", args: ["-e", `E1=${evil(3)}`] },
    { what: "command", command: "runtime", sub: "run", arg: evil(4) },
    rt === "podman"
      ? { what: "entrypoint (JSON form)", command: "runtime", sub: "run", arg: `--entrypoint=${JSON.stringify(["/entry", evil(5)])}` }
      : { what: "entrypoint's second word", command: "runtime", sub: "run", arg: evil(5) },
    rt === "podman"
      ? { what: "healthcheck CMD", command: "runtime", sub: "run", arg: `--health-cmd=${JSON.stringify(["sh", "-c", evil(6)])}` }
      : { what: "healthcheck CMD", command: "runtime", sub: "run", shellSplitsTo: ["--health-cmd=sh", "-c", evil(6)] },
    { what: "post_start command", command: "runtime", sub: "exec", args: ["sh", "-c", evil(7)] },
    { what: "post_start environment", command: "runtime", sub: "exec", arg: `--env=HK=${evil(8)}` },
    { what: "pre_stop command", command: "runtime", sub: "exec", args: ["echo", evil(9), nixHostile] },
    { what: "bind source", command: "runtime", sub: "run", args: ["-v", `${dir}/dir${evil1(10)}:/data`] },
    { what: "network alias", command: "runtime", sub: "run", arg: rt === "podman" ? `--network=evil_n1:alias=app,alias=al${evil1(11)}` : `--network=name=evil_n1,alias=app,alias=al${evil1(11)}` },
    { what: "hostname", command: "runtime", sub: "run", arg: `--hostname=h${evil1(12)}` },
    { what: "user", command: "runtime", sub: "run", args: ["-u", `u${evil1(13)}`] },
    { what: "working_dir", command: "runtime", sub: "run", args: ["-w", `/w${evil(14)}`] },
    { what: "env_file path", command: "runtime", sub: "run", args: ["--env-file", path.join(dir, envFileName)] },
    { what: "secret file", command: "runtime", sub: "run", args: ["-v", `${path.join(dir, secretName)}:/run/secrets/s1:ro`] },
    { what: "dns_search", command: "runtime", sub: "run", arg: `--dns-search=${evil(15)}` },
    { what: "sysctl", command: "runtime", sub: "run", arg: `--sysctl=net.core.somaxconn=${evil(16)}` },
    { what: "security_opt", command: "runtime", sub: "run", arg: `--security-opt=${evil(17)}` },
    { what: "log option", command: "runtime", sub: "run", arg: `--log-opt=tag=${evil(18)}` },
    { what: "stop_signal", command: "runtime", sub: "run", arg: `--stop-signal=${evil1(19)}` },
    { what: "build arg", command: "runtime", sub: "build", arg: `--build-arg=A1=${evil(22)}` },
    { what: "build label", command: "runtime", sub: "build", arg: `--label=bl=${evil(23)}` },
    { what: "dockerfile_inline", command: "runtime", sub: "build", stdin: `RUN echo '${evil(24)}'` },
    { what: "healthcheck CMD-SHELL", command: "runtime", sub: "run", arg: `--health-cmd=${evil(25)}` },
    { what: "a completed job's command", command: "runtime", sub: "run", args: ["echo", evil(26)] },
    { what: "annotation", command: "runtime", sub: "run", arg: `--annotation=an=${evil(27)}` },
    { what: "capability", command: "runtime", sub: "run", arg: `--cap-add=CAP${evil1(28)}` },
    { what: "device", command: "runtime", sub: "run", argPrefix: `--device=/dev/x${evil1(29)}:` },
    { what: "tmpfs", command: "runtime", sub: "run", arg: `--tmpfs=/t${evil1(30)}` },
    // (podman has no such option: the bridge name is its --interface-name)
    { what: "network driver option", command: "runtime", sub: "network", arg: rt === "podman" ? `--interface-name=${evil(31)}` : `--opt=com.docker.network.bridge.name=${evil(31)}` },
    { what: "network label", command: "runtime", sub: "network", arg: `--label=nl=${evil(32)}` },
    { what: "volume driver option", command: "runtime", sub: "volume", arg: `--opt=o=${evil(33)}` },
    // podman volume create reads --label as CSV: the value is one quoted field there (src/plan/volumes.ts)
    { what: "volume label", command: "runtime", sub: "volume", arg: rt === "podman" ? `--label="${`vl=${evil(34)}`.replace(/"/g, '""')}"` : `--label=vl=${evil(34)}` },
  ];
  if (rt === "podman") {
    // podman refuses a missing bind source, so the unit creates it first
    arrivals.push({ what: "bind source creation", command: "mkdir", args: ["-p", `${dir}/dir${evil1(10)}`] });
  }
  return { dir, arrivals, units: ["evil-app", "evil-db", "evil-job", "evil-web", "network-evil_n1", "volume-evil_v1", "build-evil-app"] };
}

interface Project {
  dir: string;
  arrivals: Arrival[];
  /** units (without the `<runtime>-` prefix) that must exist */
  units: string[];
}

/** A project directory of its own (bind sources and env files are resolved against it). */
function projectDir(name: string, compose: unknown): string {
  const dir = path.join(scratch.dir, `project-${name}`);
  mkdirSync(dir, { recursive: true });
  // JSON is YAML; `$(` and backticks are not compose interpolation, so they stay as written.
  writeFileSync(path.join(dir, "compose.yaml"), JSON.stringify(compose, null, 2));
  return dir;
}

/**
 * Values that oci-containers itself puts into the run line without quoting (`image`, `log-driver`):
 * the converter must refuse hostile ones or make them harmless.
 */
const UNQUOTED_BY_OCI_CONTAINERS = [
  {
    field: "image",
    errorPath: "services.app.image",
    service: { image: `busybox:1${evil0(1)}` },
    arrival: (): Arrival => ({ what: "image", command: "runtime", sub: "run", arg: `busybox:1${evil0(1)}` }),
  },
  {
    field: "logging.driver",
    errorPath: "services.app.logging",
    service: { image: "busybox:1", logging: { driver: `journald${evil0(35)}` } },
    arrival: (): Arrival => ({ what: "log driver", command: "runtime", sub: "run", arg: `--log-driver=journald${evil0(35)}` }),
  },
] as const;

/** Every CANARY file under `dir` (by name; the hostile directory names themselves contain the word). */
function canaries(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (/^CANARY\d+[a-e]$/.test(entry.name)) found.push(path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
  }
  return found;
}

function arrived(a: Arrival, calls: RecordedCall[], runtime: Backend): boolean {
  const command = a.command === "runtime" ? runtime : a.command;
  return calls.some((call) => {
    if (call.command !== command) return false;
    if (a.sub !== undefined && call.args[0] !== a.sub) return false;
    if (a.arg !== undefined) return call.args.includes(a.arg);
    if (a.argPrefix !== undefined) return call.args.some((arg) => arg.startsWith(a.argPrefix!));
    if (a.args !== undefined) return call.args.some((_, i) => a.args!.every((w, j) => call.args[i + j] === w));
    if (a.shellSplitsTo !== undefined) {
      return call.args.some((arg) => {
        try {
          return JSON.stringify(shellWords(arg)) === JSON.stringify(a.shellSplitsTo);
        } catch {
          return false;
        }
      });
    }
    if (a.stdin !== undefined) return (call.stdin ?? "").includes(a.stdin);
    return false;
  });
}

/** Converts, evaluates and runs every script of the project's units; returns the problems found. */
function exercise(runtime: Backend, name: string, p: Project, minScripts: number): string[] {
  const conv = convertIn(p.dir, runtime, [], scratch.dir);
  if (conv.code !== 0 || !conv.module) return [`conversion failed (${conv.code}): ${conv.stderr}`];
  // Evaluating at all proves the printer escaped `${...}` (Nix would run builtins.throw).
  const facts = evalNixosModules(env!, [conv.moduleFile], { backend: runtime });
  const root = `${runtime}-compose-evil-root.target`;
  const units = Object.entries(facts.services).filter(([, s]) => s.partOf.includes(root));
  const names = units.map(([n]) => n).sort();
  const problems: string[] = [];
  for (const unit of p.units) if (!names.includes(`${runtime}-${unit}`)) problems.push(`unit ${runtime}-${unit} is not among ${names.join(", ")}`);

  const work = path.join(scratch.dir, `run-${name}`);
  mkdirSync(work, { recursive: true });
  const stubBin = writeStubs(path.join(scratch.dir, `stubs-${name}`));
  const log = path.join(scratch.dir, `calls-${name}.log`);
  let scripts = 0;
  for (const [unitName, unit] of units) {
    const pre = ((unit.serviceConfig.ExecStartPre as string[] | undefined) ?? []).map((pre) => {
      const file = facts.files[pre.replace(/\/bin\/[^/]+$/, "")];
      if (!file) problems.push(`${unitName}: the ExecStartPre script ${pre} is unknown`);
      return ["ExecStartPre", file?.text ?? ""] as const;
    });
    const parts = [...pre, ["preStart", unit.preStart], ["script", unit.script], ["postStart", unit.postStart], ["preStop", unit.preStop], ["postStop", unit.postStop]] as const;
    for (const [part, text] of parts) {
      if (!text.trim()) continue;
      scripts++;
      const run = runScript(text, { cwd: work, stubBin, log, file: path.join(scratch.dir, `${name}.${unitName}.${part}.sh`) });
      if (run.status !== 0) problems.push(`${unitName}.${part} exited ${run.status}: ${run.stderr}\n--- script ---\n${text}`);
    }
  }
  if (scripts < minScripts) problems.push(`only ${scripts} scripts were run`);

  const found = [...canaries(work), ...canaries(p.dir)];
  if (found.length) problems.unshift(`a hostile value was executed by a shell: ${found.map((f) => path.basename(f)).join(", ")}`);
  const calls = readCalls(log);
  const missed = p.arrivals.filter((a) => !arrived(a, calls, runtime));
  if (missed.length) {
    problems.push(`values that did not arrive verbatim: ${missed.map((a) => a.what).join("; ")}\ncalls:\n${calls.map((c) => JSON.stringify([c.command, ...c.args])).join("\n")}`);
  }
  return problems;
}

for (const runtime of ["podman", "docker"] as Backend[]) {
  test(`[${runtime}] hostile compose values reach the runtime as literal arguments and run nothing`, () => {
    if (skipUnless(env !== undefined, `shell injection [${runtime}]`, missing ?? "")) return;
    const problems = exercise(runtime, `values-${runtime}`, project(runtime), 20);
    assert.ok(problems.length === 0, problems.join("\n"));
  });

  for (const hostile of UNQUOTED_BY_OCI_CONTAINERS) {
    test(`[${runtime}] a hostile ${hostile.field} (which oci-containers does not quote) is refused or arrives literally`, () => {
      if (skipUnless(env !== undefined, `shell injection [${runtime}] ${hostile.field}`, missing ?? "")) return;
      const name = `${hostile.field.replace(/\W/g, "-")}-${runtime}`;
      const dir = projectDir(name, { name: "evil", services: { app: hostile.service } });
      const conv = convertIn(dir, runtime, [], scratch.dir);
      if (conv.code !== 0) {
        // refused: an error naming the key, nothing written
        assert.is(conv.code, 1, conv.stderr);
        assert.match(conv.stderr, new RegExp(`^error: compose\\.yaml:\\d+:\\d+: ${hostile.errorPath.replace(/\./g, "\\.")}`, "m"));
        assert.is(conv.module, undefined);
        return;
      }
      const problems = exercise(runtime, name, { dir, arrivals: [hostile.arrival()], units: ["evil-app"] }, 3);
      assert.ok(problems.length === 0, problems.join("\n"));
    });
  }
}

test.after(() => scratch.cleanup());

test.run();
