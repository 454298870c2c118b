/**
 * Networks: how a container joins them (`--network` values, whose syntax for
 * aliases and static addresses differs between podman and docker) and the
 * oneshot units that create the project's own networks.
 */
import type { Network, Project, Service, ServiceNetwork } from "../model/index.ts";
import { networkUnit } from "./naming.ts";
import { shellCommand, shellQuote } from "./shell.ts";
import { emptyUnit, type OneshotPlan, type Runtime } from "./types.ts";

export interface NetworkIssue {
  path: (string | number)[];
  message: string;
}

/** The service's networks in the order compose connects them: higher priority first, then by name. */
function orderedNetworks(networks: Record<string, ServiceNetwork | null>): string[] {
  const priority = (name: string) => networks[name]?.priority ?? 0;
  return Object.keys(networks).sort((a, b) => priority(b) - priority(a) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The path of a network setting, made only for a message (most networks have none). */
const settingPath = (serviceName: string, key: string, setting: string): (string | number)[] => ["services", serviceName, "networks", key, setting];

/** The value of one `--network=` flag: the network, the service's DNS aliases, its fixed addresses. */
function networkSpec(runtime: Runtime, name: string, serviceName: string, key: string, config: ServiceNetwork | null, issues: NetworkIssue[]): string {
  // the service's name, then its own aliases, each once
  const opts: string[] = [`alias=${serviceName}`];
  const aliases = config?.aliases;
  if (aliases) {
    for (let i = 0; i < aliases.length; i++) {
      const alias = aliases[i]!;
      if (alias !== serviceName && aliases.indexOf(alias) === i) opts.push(`alias=${alias}`);
    }
  }
  if (config?.ipv4_address) opts.push(`ip=${config.ipv4_address}`);
  if (config?.ipv6_address) opts.push(`ip6=${config.ipv6_address}`);
  if (config?.mac_address) opts.push(runtime === "docker" ? `mac-address=${config.mac_address}` : `mac=${config.mac_address}`);
  if (config?.interface_name) {
    if (runtime === "podman") opts.push(`interface_name=${config.interface_name}`);
    else issues.push({ path: settingPath(serviceName, key, "interface_name"), message: "interface_name is not supported by docker run; ignored" });
  }
  const linkLocalIps = config?.link_local_ips;
  if (linkLocalIps) for (let i = 0; i < linkLocalIps.length; i++) {
    if (runtime === "docker") opts.push(`link-local-ip=${linkLocalIps[i]}`);
    else issues.push({ path: settingPath(serviceName, key, "link_local_ips"), message: "link_local_ips is not supported by podman run; ignored" });
  }
  const driverOpts = config?.driver_opts;
  for (const k in driverOpts) {
    if (runtime === "docker") opts.push(`driver-opt=${k}=${driverOpts[k]}`);
    else issues.push({ path: settingPath(serviceName, key, "driver_opts"), message: "per-network driver_opts are not supported by podman run; ignored" });
  }
  if (config?.gw_priority !== undefined) {
    if (runtime === "docker") opts.push(`gw-priority=${config.gw_priority}`);
    else issues.push({ path: settingPath(serviceName, key, "gw_priority"), message: "gw_priority is not supported by podman run; ignored" });
  }
  // podman: `net:opt,opt`; docker (25+): `name=net,opt,opt`.
  return runtime === "podman" ? `${name}:${opts.join(",")}` : `name=${name},${opts.join(",")}`;
}

export interface ServiceNetworking {
  networks: string[];
  /** Units of the project's networks this container needs. */
  units: string[];
  issues: NetworkIssue[];
}

export function serviceNetworking(runtime: Runtime, serviceName: string, service: Service, project: Project): ServiceNetworking {
  const issues: NetworkIssue[] = [];
  const mode = service.network_mode;
  if (mode) {
    if (mode.startsWith("service:")) {
      const other = project.services[mode.slice(8)]!;
      return { networks: [`container:${other.container_name}`], units: [], issues };
    }
    if (mode.startsWith("container:")) return { networks: [mode], units: [], issues };
    return { networks: [mode], units: [], issues };
  }
  const networks: string[] = [];
  const units: string[] = [];
  const joined = service.networks ?? {};
  const keys = orderedNetworks(joined);
  const names = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const network = project.networks[key]!;
    // two keys naming one network: joined once (the first in compose's order)
    if (names.has(network.name!)) continue;
    names.add(network.name!);
    networks.push(networkSpec(runtime, network.name!, serviceName, key, joined[key]!, issues));
    if (!network.external) units.push(networkUnit(runtime, network.name!));
  }
  return { networks, units, issues };
}

/** The prefix of docker's own network driver options (`com.docker.network.bridge.name`, ...). */
const DOCKER_OPTION = "com.docker.network.";

/** `<runtime> network create` flags for a top-level network; unsupported settings are reported. */
function createFlags(runtime: Runtime, key: string, network: Network, project: string, issues: NetworkIssue[]): string[] {
  const at = ["networks", key];
  const flags: string[] = [];
  if (network.driver) flags.push(`--driver=${network.driver}`);
  let ipv6 = network.enable_ipv6 === true;
  const driverOpts = network.driver_opts ?? {};
  for (const k in driverOpts) {
    const v = driverOpts[k]!;
    if (runtime === "docker" || !k.startsWith(DOCKER_OPTION)) {
      flags.push(`--opt=${k}=${v}`);
      continue;
    }
    // podman (netavark) refuses docker's options ("unsupported bridge network option"): translate
    // the ones it has an equivalent for, drop the rest.
    if (k === "com.docker.network.enable_ipv6") ipv6 ||= v === "true" || v === "1";
    else if (k === "com.docker.network.driver.mtu") flags.push(`--opt=mtu=${v}`);
    // (--interface-name: podman 4.4+; for macvlan/ipvlan it would name the parent device instead)
    else if (k === "com.docker.network.bridge.name" && (network.driver ?? "bridge") === "bridge") flags.push(`--interface-name=${v}`);
    else issues.push({ path: [...at, "driver_opts", k], message: `${k} is a docker network option podman has no equivalent for; dropped` });
  }
  if (network.internal) flags.push("--internal");
  if (ipv6) flags.push("--ipv6");
  if (network.enable_ipv4 === false) {
    if (runtime === "docker") flags.push("--ipv4=false");
    else issues.push({ path: [...at, "enable_ipv4"], message: "enable_ipv4: false is not supported by podman network create; ignored" });
  }
  if (network.attachable) {
    if (runtime === "docker") flags.push("--attachable");
    else issues.push({ path: [...at, "attachable"], message: "attachable only matters to swarm; ignored" });
  }
  const ipam = network.ipam;
  if (ipam?.driver) flags.push(`--ipam-driver=${ipam.driver}`);
  for (const [k, v] of Object.entries(ipam?.options ?? {})) {
    if (runtime === "docker") flags.push(`--ipam-opt=${k}=${v}`);
    else issues.push({ path: [...at, "ipam", "options"], message: "ipam options are not supported by podman network create; ignored" });
  }
  (ipam?.config ?? []).forEach((pool, i) => {
    if (pool.subnet) flags.push(`--subnet=${pool.subnet}`);
    if (pool.ip_range) flags.push(`--ip-range=${pool.ip_range}`);
    if (pool.gateway) flags.push(`--gateway=${pool.gateway}`);
    for (const [host, ip] of Object.entries(pool.aux_addresses ?? {})) {
      if (runtime === "docker") flags.push(`--aux-address=${host}=${ip}`);
      else issues.push({ path: [...at, "ipam", "config", i, "aux_addresses"], message: "aux_addresses are not supported by podman network create; ignored" });
    }
  });
  const labels = { "com.docker.compose.network": key, "com.docker.compose.project": project, ...network.labels };
  for (const [k, v] of Object.entries(labels)) flags.push(`--label=${k}=${v}`);
  return flags;
}

/**
 * A fixed address (`ipv4_address`) on a network whose other members get theirs from the same pool:
 * the engine hands those out in order (podman after the last one it gave on the network, across
 * restarts), so one day a container without a fixed address holds it and the other cannot start
 * ("already allocated"). An `ip_range` that leaves the fixed addresses out prevents it.
 */
function checkStaticAddresses(key: string, network: Network, project: Project, issues: NetworkIssue[]): void {
  if ((network.ipam?.config ?? []).some((pool) => pool.ip_range)) return;
  let fixed: { service: string; address: string } | undefined;
  let dynamic = false;
  for (const [service, s] of Object.entries(project.services)) {
    if (!s.networks || !Object.hasOwn(s.networks, key)) continue;
    const address = s.networks[key]?.ipv4_address;
    if (address) fixed ??= { service, address };
    else dynamic = true;
  }
  if (!fixed || !dynamic) return;
  issues.push({
    path: ["services", fixed.service, "networks", key, "ipv4_address"],
    message: `${fixed.address} is a fixed address on a network whose other containers get theirs from the same pool, in order: one of them may hold it first, and then this container cannot start; set networks.${key}.ipam.config[].ip_range to a range without the fixed addresses`,
  });
}

export function networkUnits(runtime: Runtime, project: Project, used: ReadonlySet<string>, issues: NetworkIssue[]): OneshotPlan[] {
  const units: OneshotPlan[] = [];
  // Keys with one name are one network (as for volumes).
  const created = new Set<string>();
  for (const [key, network] of Object.entries(project.networks)) {
    const name = network.name!;
    if (network.external || !used.has(key) || created.has(name)) continue;
    created.add(name);
    checkStaticAddresses(key, network, project, issues);
    const create = shellCommand([runtime, "network", "create", name, ...createFlags(runtime, key, network, project.name!, issues)]);
    units.push({
      unitName: networkUnit(runtime, name),
      kind: "network",
      resource: name,
      script: `${runtime} network inspect ${shellQuote(name)} >/dev/null 2>&1 || ${create}\n`,
      stopScript: `${runtime} network rm -f ${shellQuote(name)}\n`,
      unit: emptyUnit(),
    });
  }
  return units;
}

