// The one local image every stack runs on (no registry is reachable): a rootfs of Debian's
// busybox-static applets, plus stand-ins for what healthchecks call, imported into the engine and
// tagged under every image name a stack uses, so `--pull missing` finds it locally.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Runtime } from "./engines.ts";
import { run } from "./process.ts";

export const STANDIN_IMAGE = "localhost/khepri-standin:engine-test";
export const BUSYBOX = process.env.KHEPRI_BUSYBOX ?? "/bin/busybox";

/** The entrypoint: runs the container's command when this image has that program, else idles like a daemon would. */
const ENTRYPOINT = `#!/bin/sh
if [ "$#" -gt 0 ] && command -v "$1" >/dev/null 2>&1; then exec "$@"; fi
echo "khepri stand-in: idling in place of: $*"
trap 'exit 0' TERM INT
while :; do sleep 1 & wait $!; done
`;

/** Programs healthchecks call that a busybox image lacks (or, for wget, would run against no server). */
export const HEALTH_STANDINS: Record<string, string> = {
  curl: "exit 0",
  wget: "exit 0",
  pg_isready: 'echo "/var/run/postgresql:5432 - accepting connections"',
  "redis-cli": "echo PONG",
  mysqladmin: 'echo "mysqld is alive"',
  mysql: "exit 0",
  mongosh: "echo 1",
  mongo: "echo 1",
  healthcheck: "exit 0",
};

/** Users upstream images have and compose files name in `user:` (the stand-in must know them). */
const USERS: [string, number][] = [
  ["root", 0],
  ["www-data", 33],
  ["nginx", 101],
  ["postgres", 999],
  ["mysql", 998],
  ["redis", 997],
  ["git", 996],
  ["node", 1000],
  ["grafana", 472],
  ["nobody", 65534],
];

function rootfs(dir: string): void {
  for (const d of ["bin", "etc", "tmp", "root", "usr/bin", "usr/local/bin", "var/run"]) mkdirSync(path.join(dir, d), { recursive: true });
}

/** Builds the rootfs tar stream input: busybox + applet links + stand-ins. */
export async function buildRootfs(dir: string): Promise<string | undefined> {
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (install Debian's busybox-static)`;
  rootfs(dir);
  const cp = await run("cp", [BUSYBOX, path.join(dir, "bin", "busybox")]);
  if (cp.code !== 0) return cp.stderr;
  const list = await run(BUSYBOX, ["--list"]);
  if (list.code !== 0) return `${BUSYBOX} --list failed: ${list.stderr}`;
  for (const applet of list.stdout.split("\n").filter(Boolean)) {
    if (applet === "busybox" || HEALTH_STANDINS[applet] !== undefined) continue;
    symlinkSync("busybox", path.join(dir, "bin", applet));
  }
  for (const [name, body] of Object.entries(HEALTH_STANDINS)) {
    writeFileSync(path.join(dir, "usr", "local", "bin", name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  writeFileSync(path.join(dir, "usr", "local", "bin", "khepri-standin"), ENTRYPOINT, { mode: 0o755 });
  const passwd = USERS.map(([name, id]) => `${name}:x:${id}:${id}:${name}:/${name === "root" ? "root" : "tmp"}:/bin/sh`);
  writeFileSync(path.join(dir, "etc", "passwd"), `${passwd.join("\n")}\n`);
  writeFileSync(path.join(dir, "etc", "group"), `${USERS.map(([name, id]) => `${name}:x:${id}:`).join("\n")}\nnogroup:x:65534:\n`);
  return undefined;
}

/** Imports the rootfs as STANDIN_IMAGE; returns an error text or undefined. */
export async function importImage(runtime: Runtime, dir: string): Promise<string | undefined> {
  const tar = path.join(path.dirname(dir), "rootfs.tar");
  const packed = await run("tar", ["-C", dir, "-cf", tar, "."]);
  if (packed.code !== 0) return packed.stderr;
  const changes = ["--change", 'ENTRYPOINT ["/usr/local/bin/khepri-standin"]', "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin"];
  const ran = await run(runtime, ["import", ...changes, tar, STANDIN_IMAGE], { timeoutMs: 120_000 });
  if (ran.code !== 0) return `${runtime} import: ${ran.stderr.trim()}`;
  return undefined;
}

/**
 * The names to tag for an image reference: itself, and for a short name (no registry) also its
 * docker.io form, which is what NixOS's default registries.conf (search docker.io) resolves it to.
 */
export function tagsFor(name: string): string[] {
  const first = name.split("/")[0]!;
  const hasRegistry = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry) return [name];
  const withTag = /:[^/]+$/.test(name) ? name : `${name}:latest`;
  return [name, name.includes("/") ? `docker.io/${withTag}` : `docker.io/library/${withTag}`];
}

let tagging: Promise<unknown> = Promise.resolve();

/**
 * Tags the stand-in under `name` (one tag at a time: concurrent `podman tag`s of one image were seen
 * to lose names), then checks the engine finds it; returns an error text or undefined.
 */
export function tagImage(runtime: Runtime, name: string): Promise<string | undefined> {
  const job = tagging.then(async () => {
    for (const tag of tagsFor(name)) {
      for (let attempt = 1; ; attempt++) {
        const ran = await run(runtime, ["tag", STANDIN_IMAGE, tag], { timeoutMs: 30_000 });
        if (ran.code !== 0) return `${runtime} tag ${tag}: ${ran.stderr.trim()}`;
        const found = await run(runtime, ["image", "inspect", "--format", "{{.Id}}", tag], { timeoutMs: 30_000 });
        if (found.code === 0) break;
        if (attempt === 3) return `${runtime} tag ${tag} succeeded but \`${runtime} image inspect ${tag}\` does not find it: ${found.stderr.trim()}`;
      }
    }
    return undefined;
  });
  tagging = job;
  return job;
}
