// Everything the engine stage runs differently from what NixOS would, in one place. The test prints
// this list; every flag not named here runs exactly as generated.
import type { Runtime } from "./engines.ts";

export interface Substitution {
  what: string;
  why: string;
}

export const SUBSTITUTIONS: Record<Runtime, Substitution[]> = {
  podman: [
    { what: "`--runtime runc --ulimit nofile=20000:20000 --ulimit nproc=1000:1000` inserted after `podman run` (before every generated flag, so a stack's own --ulimit still wins)", why: "this machine's podman 4.3 needs runc and explicit ulimits to start containers here" },
    { what: "`--log-driver=journald` becomes `--log-driver=k8s-file`", why: "no journald here" },
    { what: "`--sdnotify=healthy` becomes `--sdnotify=ignore`; the runner sends READY=1 to the unit's NOTIFY_SOCKET once `podman inspect` says healthy, and fails the unit after its TimeoutStartSec", why: "podman 4.3 lacks sdnotify=healthy (podman >= 4.7; NixOS ships 5.x)" },
    { what: "`podman healthcheck run NAME` run by the runner at start and then every --health-interval", why: "podman's healthcheck timers are systemd transient units; there is no systemd here" },
  ],
  docker: [{ what: "`--log-driver=journald` becomes `--log-driver=json-file`", why: "no journald here" }],
};

/** Substitutions shared by both runtimes. */
export const COMMON_SUBSTITUTIONS: Substitution[] = [
  { what: "nixpkgs' ExecStartPre `pre-start` helper runs from its text as the evaluation recorded it (the stub writer keeps the text, not the store file)", why: "nothing is built: the store paths are made up" },
  { what: "`/nix/store/...-NAME/bin/PROG` in any unit script becomes the host's PROG; a unit's `path` is the host PATH", why: "no Nix store here" },
  { what: "images: one local image from Debian's busybox-static, tagged under every image name a stack uses; its entrypoint runs the container's command when the image has that program and otherwise idles (standing in for the upstream daemon); curl, wget, pg_isready, redis-cli, mysqladmin, mongosh and the like exit 0", why: "no registry is reachable" },
  { what: "`build:` contexts (in a temp copy of the stack) get a Dockerfile `FROM` that image", why: "no registry, no upstream sources" },
  { what: "secret and config files a corpus stack names but the corpus lacks are written as placeholder files in the temp copy", why: "the corpus keeps compose files, not their secrets" },
  { what: "Type=simple units: the runner waits until the container exists (or the main process exits) before starting dependents", why: "so a flag the engine rejects is pinned on its own unit" },
  { what: "TimeoutStartSec=0/infinity is capped at 120 s, TimeoutStopSec at 30 s", why: "keep the stage bounded" },
];

const PODMAN_PREFIX = ["--runtime", "runc", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=1000:1000"];

/**
 * A container unit's run line as words (`exec podman run ... IMAGE CMD...`), with the substitutions
 * above applied to the flags (never to the image or command). `imageIndex` is where the image is.
 */
export function substituteRunLine(runtime: Runtime, words: string[], imageIndex: number): { words: string[]; healthyStandIn: boolean } {
  const runAt = words.indexOf("run");
  if (runAt < 0 || runAt >= imageIndex) throw new Error(`not a run line: ${words.join(" ")}`);
  let healthyStandIn = false;
  const flags = words.slice(runAt + 1, imageIndex).map((w) => {
    if (w === "--log-driver=journald") return runtime === "podman" ? "--log-driver=k8s-file" : "--log-driver=json-file";
    if (runtime === "podman" && w === "--sdnotify=healthy") {
      healthyStandIn = true;
      return "--sdnotify=ignore";
    }
    return w;
  });
  const prefix = runtime === "podman" ? PODMAN_PREFIX : [];
  return { words: [...words.slice(0, runAt + 1), ...prefix, ...flags, ...words.slice(imageIndex)], healthyStandIn };
}

/** `/nix/store/<hash>-<name>/bin/<prog>` -> `<prog>` (the host's). */
export const hostPrograms = (text: string): string => text.replace(/\/nix\/store\/[0-9a-z]{32}-[^/\s'"]+\/bin\//g, "");
