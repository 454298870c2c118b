// Which stacks the engine stage boots: every example, a choice of ../shared/corpus, and the
// hand-written fixtures in ./fixtures (gating, quoting, networks, secrets, host hygiene).
import fg from "fast-glob";
import { existsSync } from "node:fs";
import path from "node:path";
import { corpusDir, defaultArgs } from "../support/corpus.ts";
import { nixString } from "../support/nixos-eval.ts";
import { seedFile, seedModules } from "../support/seed.ts";
import { corpusStack, exampleStacks, fixtureStack, type Stack, type StackExpectation } from "./stacks.ts";

/**
 * The corpus stacks booted: small ones covering build contexts, healthchecks and gating, secrets,
 * env files, several networks, a static IP, tmpfs, ulimits, init, capabilities and sysctls, escapes.
 * All of awesome-compose takes over 20 minutes on this machine; the stage keeps under 10.
 */
const AWESOME_COMPOSE = [
  "apache-php",
  "flask",
  "flask-redis",
  "gitea-postgres",
  "minecraft",
  "nextcloud-postgres",
  "nextcloud-redis-mariadb",
  "nginx-golang-postgres",
  "nginx-wsgi-flask",
  "pihole-cloudflared-DoH",
  "plex",
  "postgresql-pgadmin",
  "prometheus-grafana",
  "wireguard",
  "wordpress-mysql",
];

/** Left out on purpose, with why (printed). */
export const CORPUS_LEFT_OUT: Record<string, string> = {
  "awesome-compose/wasmedge-kafka-mysql": "its `runtime: io.containerd.wasmedge.v1` is not installed here",
  "awesome-compose/wasmedge-mysql-nginx": "its `runtime: io.containerd.wasmedge.v1` is not installed here",
  "awesome-compose/portainer": "binds /var/run/docker.sock, which exists only while a dockerd runs on the host",
  "awesome-compose/traefik-golang": "binds /var/run/docker.sock, which exists only while a dockerd runs on the host",
};

/** Corpus stacks a runtime here cannot boot, with why (printed as SKIP). */
const CORPUS_SKIP: Record<string, Stack["skip"]> = {
  "awesome-compose/nextcloud-redis-mariadb/compose.yaml": { docker: "its nc service is on two networks, which docker 20.10 (API 1.41) cannot attach at container create (needs docker >= 25)" },
};

/** What some corpus stacks show beyond "everything starts". */
const CORPUS_EXPECT: Record<string, StackExpectation> = {
  // host port 53 on podman: aardvark-dns holds it on the gateway; khepri warns, the engine refuses
  "awesome-compose/pihole-cloudflared-DoH/compose.yaml": {
    failing: { "podman-pihole": /address already in use/ },
    warns: { podman: /port 53/ },
  },
};

const COMPOSE2NIX = [
  "TestNoRestart.compose.yml",
  "TestAutoStart.compose.yml",
  "TestEscapeChars.compose.yml",
  "TestTmpfs.compose.yml",
  "TestRelativeServiceVolumes.compose.yml",
  "TestInit.compose.yml",
];

export function ENGINE_STACKS(): Stack[] {
  // the fixtures first: gating holds a unit for its whole TimeoutStartSec, so it starts early
  const stacks: Stack[] = [...FIXTURES, ...exampleStacks()];
  if (existsSync(seedFile)) stacks.push(SEED);
  for (const name of AWESOME_COMPOSE) {
    const rel = fg.sync(`awesome-compose/${name}/compose.{yaml,yml}`, { cwd: corpusDir })[0];
    const s = rel && corpusStack(rel, defaultArgs(rel));
    if (s) stacks.push({ ...s, expect: CORPUS_EXPECT[rel], skip: CORPUS_SKIP[rel] });
  }
  for (const name of COMPOSE2NIX) {
    const rel = `compose2nix/${name}`;
    const s = corpusStack(rel, defaultArgs(rel));
    if (s) stacks.push(s);
  }
  return stacks;
}

const TWO_NETWORKS = "docker 20.10 (API 1.41) cannot attach two networks at container create (needs docker >= 25): the engine says `Container cannot be connected to network endpoints`";

/** The hand-written stacks, with what each must show. */
const FIXTURES: Stack[] = [
  fixtureStack("gating", {
    failing: {
      "podman-khepri-gating-sick": /READY=1|health|unhealthy/,
      "docker-khepri-gating-sick": /health is unhealthy after waiting/,
    },
    neverStarted: ["podman-khepri-gating-after-sick", "docker-khepri-gating-after-sick"],
    completes: ["migrate"],
    execs: [["after-migrate", ["cat", "/data/done"], "migrated\n"]],
  }),
  fixtureStack("quoting", {
    execs: [["quoted", ["cat", "/tmp/seen"], "cost: $5 and ${HOME} and $(id)|it's \"quoted\"|"]],
  }),
  { ...fixtureStack("networks"), skip: { docker: TWO_NETWORKS } },
  fixtureStack("static-ip"),
  {
    ...fixtureStack("start-interval", { warns: { podman: /start_interval is not supported by podman/ } }),
    skip: { docker: "--health-start-interval needs docker >= 25 (API 1.44); Debian's dockerd is 20.10 (API 1.41)" },
  },
  fixtureStack("secrets", {
    execs: [
      ["app", ["cat", "/run/secrets/token"], "s3cret\n"],
      ["app", ["cat", "/etc/token-copy"], "s3cret\n"],
      ["app", ["cat", "/etc/app/settings.conf"], 'level = "debug"\n'],
    ],
  }),
  fixtureStack("hygiene", {
    failing: {
      "podman-khepri-hygiene-sock": /missing\.sock/,
      "docker-khepri-hygiene-sock": /missing\.sock/,
    },
    absentPaths: ["/run/khepri-engine-test"],
    known: [
      [
        /env (DOUBLE|SINGLE) is /,
        "env_file goes to the engine as --env-file, which keeps quotes that compose's dotenv rules strip",
      ],
    ],
    presentPaths: ["created-by-bind"],
    removeVolumes: true,
  }),
  {
    ...fixtureStack("port53", { failing: { "podman-khepri-port53-dns": /address already in use/ }, warns: { podman: /port 53/ } }),
  },
];

/**
 * The first khepri README's caddy + paperless compositions, as its configuration declares them,
 * plus the one declaration of the network they share. Its configuration sets the docker backend;
 * on podman one line overrides that.
 */
const SEED: Stack = {
  label: `seeds/${path.basename(seedFile)}: caddy + paperless (khepri.compositions) + khepri.networks.proxy_net`,
  dir: path.dirname(seedFile),
  file: path.basename(seedFile),
  nixos: {
    modules: (runtime, tmp) => [
      `(/. + ${nixString(seedModules(tmp)!.paperless)})`,
      "{ khepri.networks.proxy_net = { }; }",
      ...(runtime === "podman" ? ['{ lib, ... }: { virtualisation.oci-containers.backend = lib.mkForce "podman"; }'] : []),
    ],
    // caddy binds it read-only; a missing source fails on podman (docker would make a directory)
    hostFiles: ["/etc/caddy/Caddyfile"],
  },
  expect: {
    sharedNetworks: ["proxy_net"],
    // paperless_web is on paperless and proxy_net: docker 20.10 refuses it (see TWO_NETWORKS)
    failing: { "docker-paperless_web": /Container cannot be connected to network endpoints/ },
  },
};
