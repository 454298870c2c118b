// Which stacks the engine stage boots: every example, a choice of ../shared/corpus, and the
// hand-written fixtures in ./fixtures (gating, quoting, networks, secrets, host hygiene).
import fg from "fast-glob";
import { corpusDir, defaultArgs } from "../support/corpus.ts";
import { corpusStack, exampleStacks, fixtureStack, type Stack, type StackExpectation } from "./stacks.ts";

/** Corpus stacks left out, each with why (the rest of awesome-compose and these compose2nix inputs run). */
export const CORPUS_LEFT_OUT: Record<string, string> = {
  "awesome-compose/wasmedge-kafka-mysql/compose.yml": "its `runtime: io.containerd.wasmedge.v1` is not installed here (the engine says so: default OCI runtime not found)",
  "awesome-compose/wasmedge-mysql-nginx/compose.yml": "its `runtime: io.containerd.wasmedge.v1` is not installed here (the engine says so: default OCI runtime not found)",
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
  "TestCommandAndEntrypoint.compose.yml",
  "TestEnvFiles.compose.yml",
  "TestEscapeChars.compose.yml",
  "TestMultipleNetworks.compose.yml",
  "TestNetworkAndVolumeNames.compose.yml",
  "TestRelativeServiceVolumes.compose.yml",
  "TestTmpfs.compose.yml",
  "TestUlimits.compose.yml",
  "TestInit.compose.yml",
  "TestNoRestart.compose.yml",
];

export function ENGINE_STACKS(): Stack[] {
  const stacks: Stack[] = [...exampleStacks()];
  for (const rel of fg.sync("awesome-compose/*/compose.{yaml,yml}", { cwd: corpusDir }).sort()) {
    const s = corpusStack(rel, defaultArgs(rel));
    const leftOut = CORPUS_LEFT_OUT[rel];
    if (s && leftOut) {
      stacks.push({ ...s, skip: { podman: leftOut, docker: leftOut } });
      continue;
    }
    if (s) stacks.push({ ...s, expect: CORPUS_EXPECT[rel] });
  }
  for (const name of COMPOSE2NIX) {
    const rel = `compose2nix/${name}`;
    const s = corpusStack(rel, defaultArgs(rel));
    if (s) stacks.push(s);
  }
  stacks.push(...FIXTURES);
  return stacks;
}

const TWO_NETWORKS = "docker 20.10 (API 1.41) cannot attach two networks at container create (needs docker >= 25)";

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
