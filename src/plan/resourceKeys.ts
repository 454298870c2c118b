/**
 * Every key of top-level networks, volumes, secrets and configs and what it
 * becomes, typed against the model so no key can be forgotten. Keys marked
 * "unsupported" get a warning when set; the README table is printed from here.
 */
import type { Config, Network, Secret, Volume } from "../model/index.ts";
import type { Handling } from "./serviceKeys.ts";

interface ResourceRule {
  handling: Handling;
  becomes: string;
}

type RulesFor<T> = { [K in keyof Required<T>]: ResourceRule };

export const NETWORK_KEYS: RulesFor<Network> = {
  name: { handling: "option", becomes: "the network's name (default, also when empty: `<project>_<key>`)" },
  driver: { handling: "systemd", becomes: "`network create --driver`" },
  driver_opts: { handling: "systemd", becomes: "`network create --opt`; on podman, docker's `com.docker.network.*` options become `--ipv6` (`enable_ipv6`), `--opt=mtu=` (`driver.mtu`), `--interface-name=` (`bridge.name`); the others are dropped with a warning" },
  ipam: { handling: "systemd", becomes: "`--ipam-driver`, `--subnet`, `--ip-range`, `--gateway` (docker also `--aux-address`, `--ipam-opt`)" },
  external: { handling: "option", becomes: "no unit: the network must exist" },
  internal: { handling: "systemd", becomes: "`network create --internal`" },
  enable_ipv4: { handling: "systemd", becomes: "docker: `--ipv4=false`; podman: warned" },
  enable_ipv6: { handling: "systemd", becomes: "`network create --ipv6`" },
  attachable: { handling: "systemd", becomes: "docker: `--attachable`; podman: warned (swarm only)" },
  labels: { handling: "systemd", becomes: "`network create --label`" },
};

export const VOLUME_KEYS: RulesFor<Volume> = {
  name: { handling: "option", becomes: "the volume's name (default, also when empty: `<project>_<key>`)" },
  driver: { handling: "systemd", becomes: "`volume create --driver`" },
  driver_opts: { handling: "systemd", becomes: "`volume create --opt`" },
  external: { handling: "option", becomes: "no unit: the volume must exist" },
  labels: { handling: "systemd", becomes: "`volume create --label`" },
};

export const SECRET_KEYS: RulesFor<Secret> = {
  name: { handling: "loader", becomes: "only matters to swarm; the file is mounted at the service's target" },
  file: { handling: "option", becomes: "bind-mounted read-only from the host: the content never enters /nix/store" },
  environment: { handling: "option", becomes: "the variable's value, mounted from a store file (warned: readable by all local users)" },
  external: { handling: "unsupported", becomes: "swarm secrets; use `file:` with sops-nix/agenix" },
  labels: { handling: "no-effect", becomes: "swarm metadata" },
  driver: { handling: "unsupported", becomes: "swarm secret drivers" },
  driver_opts: { handling: "unsupported", becomes: "swarm secret drivers" },
  template_driver: { handling: "unsupported", becomes: "swarm templating" },
};

export const CONFIG_KEYS: RulesFor<Config> = {
  name: { handling: "loader", becomes: "only matters to swarm" },
  file: { handling: "option", becomes: "bind-mounted read-only from the host" },
  content: { handling: "option", becomes: "a store file mounted read-only (configs are not secret)" },
  environment: { handling: "option", becomes: "the variable's value in a store file, mounted read-only" },
  external: { handling: "unsupported", becomes: "swarm configs" },
  labels: { handling: "no-effect", becomes: "swarm metadata" },
  template_driver: { handling: "unsupported", becomes: "swarm templating" },
};

export const RESOURCE_KEYS = { networks: NETWORK_KEYS, volumes: VOLUME_KEYS, secrets: SECRET_KEYS, configs: CONFIG_KEYS } as const;
