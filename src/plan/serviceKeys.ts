/**
 * Every compose service key and what it becomes. The type makes the table
 * complete: a key added to the model without an entry here does not compile.
 * Keys with `flags` are plain `<runtime> run` flags; the others are handled by
 * the planner modules named in `becomes`. The README's key table is printed
 * from this one (`khepri keys`), so the documentation cannot drift.
 */
import type { Service } from "../model/index.ts";
import type { Runtime } from "./types.ts";

export type Handling =
  /** a typed `virtualisation.oci-containers.containers.<name>` option */
  | "option"
  /** a `<runtime> run` flag in extraOptions */
  | "flag"
  /** systemd unit settings */
  | "systemd"
  /** used while loading or normalizing (nothing left to map) */
  | "loader"
  /** cannot be honoured under NixOS/systemd: a warning names it */
  | "unsupported"
  /** has no effect outside `docker compose` itself: a note names it */
  | "no-effect";

type Value<K extends keyof Service> = NonNullable<Service[K]>;

export interface KeyRule<K extends keyof Service> {
  handling: Handling;
  becomes: string;
  /** For plain flags: the flags for this value (empty: nothing to pass). */
  flags?: (value: Value<K>, runtime: Runtime) => string[] | { unsupported: string };
}

type Rules = { [K in keyof Required<Service>]: KeyRule<K> };

const each = <T>(flag: string, values: readonly T[], show: (v: T) => string = String) => values.map((v) => `${flag}=${show(v)}`);
const one = (flag: string) => (v: string | number) => [`${flag}=${v}`];
const bool = (flag: string) => (v: boolean) => (v ? [flag] : []);
const entries = (flag: string) => (v: Record<string, string>) => Object.entries(v).map(([k, x]) => `${flag}=${k}=${x}`);

export const SERVICE_KEYS: Rules = {
  annotations: { handling: "flag", becomes: "`--annotation`", flags: entries("--annotation") },
  attach: { handling: "no-effect", becomes: "logs always go to the journal" },
  blkio_config: {
    handling: "flag",
    becomes: "`--blkio-weight`, `--blkio-weight-device`, `--device-read-bps`, ...",
    flags: (b) => [
      ...(b.weight !== undefined ? [`--blkio-weight=${b.weight}`] : []),
      ...each("--blkio-weight-device", b.weight_device ?? [], (d) => `${d.path}:${d.weight}`),
      ...each("--device-read-bps", b.device_read_bps ?? [], (d) => `${d.path}:${d.rate}`),
      ...each("--device-read-iops", b.device_read_iops ?? [], (d) => `${d.path}:${d.rate}`),
      ...each("--device-write-bps", b.device_write_bps ?? [], (d) => `${d.path}:${d.rate}`),
      ...each("--device-write-iops", b.device_write_iops ?? [], (d) => `${d.path}:${d.rate}`),
    ],
  },
  build: { handling: "systemd", becomes: "a `<runtime>-build-<service>` unit the container requires; `image` names the result" },
  cap_add: { handling: "option", becomes: "`capabilities.<CAP> = true`" },
  cap_drop: { handling: "option", becomes: "`capabilities.<CAP> = false`" },
  cgroup: { handling: "flag", becomes: "`--cgroupns`", flags: one("--cgroupns") },
  cgroup_parent: { handling: "flag", becomes: "`--cgroup-parent`", flags: one("--cgroup-parent") },
  command: { handling: "option", becomes: "`cmd` (a string is split into words as compose does)" },
  configs: { handling: "option", becomes: "`volumes`: the file bind-mounted read-only (`content:` via a store file)" },
  container_name: { handling: "option", becomes: "the container's name (default, also when empty: `<project>-<service>`)" },
  cpu_count: { handling: "unsupported", becomes: "Windows only" },
  cpu_percent: { handling: "unsupported", becomes: "Windows only" },
  cpu_period: { handling: "flag", becomes: "`--cpu-period`", flags: one("--cpu-period") },
  cpu_quota: { handling: "flag", becomes: "`--cpu-quota`", flags: one("--cpu-quota") },
  cpu_rt_period: { handling: "flag", becomes: "`--cpu-rt-period`", flags: one("--cpu-rt-period") },
  cpu_rt_runtime: { handling: "flag", becomes: "`--cpu-rt-runtime`", flags: one("--cpu-rt-runtime") },
  cpu_shares: { handling: "flag", becomes: "`--cpu-shares`", flags: one("--cpu-shares") },
  cpus: { handling: "flag", becomes: "`--cpus`", flags: one("--cpus") },
  cpuset: { handling: "flag", becomes: "`--cpuset-cpus`", flags: one("--cpuset-cpus") },
  credential_spec: { handling: "unsupported", becomes: "Windows only" },
  depends_on: {
    handling: "systemd",
    becomes: "`dependsOn`; `service_healthy` / `service_completed_successfully` gate the dependency's unit; `required: false` is `wants`; `restart: true` is `bindsTo` + `upheldBy`",
  },
  deploy: { handling: "flag", becomes: "resources as `--cpus`, `--memory`, `--memory-reservation`, `--pids-limit`; reserved devices as for `gpus` (driver `cdi`: `--device=<CDI name>`; other drivers warned, no flag); `restart_policy` as systemd restart settings; swarm-only parts warned" },
  develop: { handling: "no-effect", becomes: "`docker compose watch` only" },
  device_cgroup_rules: { handling: "flag", becomes: "`--device-cgroup-rule`", flags: (v) => each("--device-cgroup-rule", v) },
  devices: { handling: "option", becomes: "`devices`; a CDI name (`nvidia.com/gpu=all`) passes as it is (AMD's `/dev/kfd`, `/dev/dri` are plain devices)" },
  dns: { handling: "flag", becomes: "`--dns`", flags: (v) => each("--dns", v) },
  dns_opt: { handling: "flag", becomes: "`--dns-option`", flags: (v) => each("--dns-option", v) },
  dns_search: { handling: "flag", becomes: "`--dns-search`", flags: (v) => each("--dns-search", v) },
  domainname: { handling: "flag", becomes: "`--domainname`", flags: one("--domainname") },
  entrypoint: { handling: "option", becomes: "`entrypoint` (podman: the JSON form for several words; docker: the first word, the rest before `cmd`)" },
  env_file: { handling: "option", becomes: "`environmentFiles`, read when the container starts (`--inline-env-files` copies them in instead)" },
  environment: { handling: "option", becomes: "`environment`; `KEY` alone takes the value from the converter's environment" },
  expose: { handling: "flag", becomes: "`--expose`", flags: (v) => each("--expose", v) },
  extends: { handling: "loader", becomes: "merged into the service while loading" },
  external_links: { handling: "unsupported", becomes: "legacy links to containers outside the project; use a shared external network" },
  extra_hosts: { handling: "flag", becomes: "`--add-host`", flags: (v) => Object.entries(v).flatMap(([host, ips]) => ips.map((ip) => `--add-host=${host}:${ip}`)) },
  gpus: { handling: "flag", becomes: "`--gpus` (docker) / `--device=nvidia.com/gpu=<id or all>` (podman, CDI); the module asserts `hardware.nvidia-container-toolkit.enable`" },
  group_add: { handling: "flag", becomes: "`--group-add`", flags: (v) => each("--group-add", v) },
  healthcheck: { handling: "flag", becomes: "`--health-*` flags (command form per runtime); gates `service_healthy` dependents" },
  hostname: { handling: "option", becomes: "`hostname`" },
  image: { handling: "option", becomes: "`image`" },
  init: { handling: "flag", becomes: "`--init`", flags: bool("--init") },
  ipc: { handling: "flag", becomes: "`--ipc` (`service:X` is X's container)" },
  isolation: { handling: "unsupported", becomes: "Windows only" },
  label_file: { handling: "option", becomes: "read while converting into `labels`" },
  labels: { handling: "option", becomes: "`labels`, plus the `com.docker.compose.project`/`service` labels docker compose sets" },
  links: { handling: "systemd", becomes: "a dependency; the linked service is reachable by its service name on shared networks (aliases other than the name are warned)" },
  logging: { handling: "option", becomes: "`log-driver` (default journald) and `--log-opt`" },
  mac_address: { handling: "flag", becomes: "`--mac-address`", flags: one("--mac-address") },
  mem_limit: { handling: "flag", becomes: "`--memory`", flags: one("--memory") },
  mem_reservation: { handling: "flag", becomes: "`--memory-reservation`", flags: one("--memory-reservation") },
  mem_swappiness: { handling: "flag", becomes: "`--memory-swappiness`", flags: one("--memory-swappiness") },
  memswap_limit: { handling: "flag", becomes: "`--memory-swap`", flags: one("--memory-swap") },
  models: { handling: "unsupported", becomes: "Docker Model Runner is not available under oci-containers" },
  network_mode: { handling: "option", becomes: "`networks = [ mode ]`; `service:X` becomes `container:<X's container>` and a dependency" },
  networks: { handling: "option", becomes: "`networks` with aliases and static addresses in each runtime's syntax; a unit per project network" },
  oom_kill_disable: { handling: "flag", becomes: "`--oom-kill-disable`", flags: bool("--oom-kill-disable") },
  oom_score_adj: { handling: "flag", becomes: "`--oom-score-adj`", flags: one("--oom-score-adj") },
  pid: { handling: "flag", becomes: "`--pid` (`service:X` is X's container)" },
  pids_limit: { handling: "flag", becomes: "`--pids-limit`", flags: one("--pids-limit") },
  platform: { handling: "flag", becomes: "`--platform`", flags: one("--platform") },
  ports: { handling: "option", becomes: "`ports`" },
  post_start: { handling: "systemd", becomes: "`postStart`: `<runtime> exec` of each hook" },
  pre_stop: { handling: "systemd", becomes: "`preStop`: `<runtime> exec` of each hook before the container stops" },
  privileged: { handling: "option", becomes: "`privileged`" },
  profiles: { handling: "loader", becomes: "services of inactive profiles are left out, with a note" },
  provider: { handling: "unsupported", becomes: "provider services need the compose CLI" },
  pull_policy: { handling: "option", becomes: "`pull` (`build` builds the image; `daily`/`weekly`/`every_*` become `newer`, noted)" },
  pull_refresh_after: { handling: "unsupported", becomes: "no scheduled re-pull; use `pull = newer`" },
  read_only: { handling: "flag", becomes: "`--read-only`", flags: bool("--read-only") },
  restart: { handling: "systemd", becomes: "`Restart=` (`on-failure:N` adds a start limit), with a backoff unless a delay is set" },
  runtime: { handling: "flag", becomes: "`--runtime`", flags: one("--runtime") },
  scale: { handling: "unsupported", becomes: "one container per service" },
  secrets: { handling: "option", becomes: "`volumes`: the host file bind-mounted read-only at `/run/secrets/<name>`" },
  security_opt: { handling: "flag", becomes: "`--security-opt` (a relative seccomp profile resolved against the project directory)", flags: (v) => each("--security-opt", v) },
  shm_size: { handling: "flag", becomes: "`--shm-size`", flags: one("--shm-size") },
  stdin_open: { handling: "flag", becomes: "`--interactive`", flags: bool("--interactive") },
  stop_grace_period: { handling: "systemd", becomes: "`--stop-timeout` and a matching `TimeoutStopSec`" },
  stop_signal: { handling: "flag", becomes: "`--stop-signal`", flags: one("--stop-signal") },
  storage_opt: { handling: "flag", becomes: "`--storage-opt`", flags: entries("--storage-opt") },
  sysctls: { handling: "flag", becomes: "`--sysctl`", flags: entries("--sysctl") },
  tmpfs: { handling: "flag", becomes: "`--tmpfs`" },
  tty: { handling: "flag", becomes: "`--tty`", flags: bool("--tty") },
  ulimits: { handling: "flag", becomes: "`--ulimit`", flags: (v) => Object.entries(v).map(([k, l]) => `--ulimit=${k}=${l.soft}:${l.hard}`) },
  use_api_socket: { handling: "unsupported", becomes: "mount the runtime socket as a volume instead" },
  user: { handling: "option", becomes: "`user`" },
  userns_mode: { handling: "flag", becomes: "`--userns`", flags: one("--userns") },
  uts: { handling: "flag", becomes: "`--uts`", flags: one("--uts") },
  volumes: { handling: "option", becomes: "`volumes` (`--mount` for subpath and `create_host_path: false`); a unit per named volume; a bind of `/var/run/docker.sock` on podman sets `virtualisation.podman.dockerSocket.enable` (`lib.mkDefault`, with or without the setup block)" },
  volumes_from: { handling: "flag", becomes: "`--volumes-from` and a dependency" },
  working_dir: { handling: "option", becomes: "`workdir`" },
};

