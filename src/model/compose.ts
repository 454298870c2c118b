/**
 * The canonical compose project as zod schemas: the long syntax that
 * `src/load/canonical.ts` produces from a file's short syntax, merged across
 * files. Every key of the Compose JSON Schema is here (test/model.test.ts
 * checks), objects are strict except for `x-*` extensions (accepted, dropped),
 * and the TypeScript types are inferred from these schemas only.
 */
import * as z from "zod";
import {
  bool,
  byteSize,
  duration,
  ext,
  int,
  labels,
  mappingWithEquals,
  nullAsEmpty,
  number,
  options,
  str,
  stringList,
  strList,
} from "./scalars.ts";

// ---------------------------------------------------------------- shared pieces

/** `command` / `entrypoint`: a list is exec form; a string is kept as written (see splitShellWords). */
export const Command = z.union([z.array(z.string()), z.string(), z.null()]);

export const ServiceHookObject = z.strictObject({
  command: Command,
  user: z.string().optional(),
  privileged: bool.optional(),
  working_dir: z.string().optional(),
  environment: mappingWithEquals.optional(),
});
export const ServiceHook = ext(ServiceHookObject.shape);

/** A service's reference to a secret or config (`secrets: [{source, target}]`). */
export const FileMountObject = z.strictObject({
  source: z.string(),
  target: z.string().optional(),
  uid: str.optional(),
  gid: str.optional(),
  mode: z.union([z.number(), z.string()]).optional(),
});
export const FileMount = ext(FileMountObject.shape);

const UlimitObject = z.strictObject({ soft: int, hard: int });
export const Ulimit = ext(UlimitObject.shape);
export const Ulimits = z.record(z.string().regex(/^[a-z]+$/, "ulimit names are lower-case letters"), Ulimit);

/** `extra_hosts`: host name -> addresses (both "host:ip" and "host=ip" spellings end up here). */
export const ExtraHosts = z.record(z.string(), z.array(z.string()));

export const DeviceRequestObject = z.strictObject({
  capabilities: stringList.optional(),
  count: z.union([int, z.literal("all")]).optional(),
  device_ids: stringList.optional(),
  driver: z.string().optional(),
  options: labels.optional(),
});
export const DeviceRequest = ext(DeviceRequestObject.shape);

// ---------------------------------------------------------------- service parts

export const BuildObject = z.strictObject({
  context: z.string().optional(),
  dockerfile: z.string().optional(),
  dockerfile_inline: z.string().optional(),
  entitlements: stringList.optional(),
  args: mappingWithEquals.optional(),
  ssh: mappingWithEquals.optional(),
  labels: labels.optional(),
  cache_from: stringList.optional(),
  cache_to: stringList.optional(),
  no_cache: bool.optional(),
  additional_contexts: labels.optional(),
  network: z.string().optional(),
  provenance: str.optional(),
  sbom: str.optional(),
  pull: bool.optional(),
  target: z.string().optional(),
  shm_size: byteSize.optional(),
  extra_hosts: ExtraHosts.optional(),
  isolation: z.string().optional(),
  privileged: bool.optional(),
  secrets: z.array(FileMount).optional(),
  tags: stringList.optional(),
  ulimits: Ulimits.optional(),
  platforms: stringList.optional(),
});
export const Build = ext(BuildObject.shape);

const BlkioLimit = z.strictObject({ path: z.string(), rate: byteSize });
const BlkioWeight = z.strictObject({ path: z.string(), weight: int });
export const BlkioConfigObject = z.strictObject({
  device_read_bps: z.array(BlkioLimit).optional(),
  device_read_iops: z.array(BlkioLimit).optional(),
  device_write_bps: z.array(BlkioLimit).optional(),
  device_write_iops: z.array(BlkioLimit).optional(),
  weight: int.optional(),
  weight_device: z.array(BlkioWeight).optional(),
});

export const CredentialSpecObject = z.strictObject({
  config: z.string().optional(),
  file: z.string().optional(),
  registry: z.string().optional(),
});

export const DependsOnObject = z.strictObject({
  condition: z.enum(["service_started", "service_healthy", "service_completed_successfully"]).default("service_started"),
  restart: bool.optional(),
  required: bool.default(true),
});
export const DependsOn = ext(DependsOnObject.shape);

const UpdateConfig = ext({
  parallelism: int.optional(),
  delay: duration.optional(),
  failure_action: z.string().optional(),
  monitor: duration.optional(),
  max_failure_ratio: number.optional(),
  order: z.enum(["start-first", "stop-first"]).optional(),
});

const GenericResource = ext({
  discrete_resource_spec: ext({ kind: z.string().optional(), value: z.union([z.number(), z.string()]).optional() }).optional(),
});

export const DeployObject = z.strictObject({
  mode: z.string().optional(),
  endpoint_mode: z.string().optional(),
  replicas: int.optional(),
  labels: labels.optional(),
  rollback_config: UpdateConfig.optional(),
  update_config: UpdateConfig.optional(),
  resources: ext({
    limits: ext({ cpus: number.optional(), memory: byteSize.optional(), pids: int.optional() }).optional(),
    reservations: ext({
      cpus: number.optional(),
      memory: byteSize.optional(),
      generic_resources: z.array(GenericResource).optional(),
      devices: z.array(DeviceRequest).optional(),
    }).optional(),
  }).optional(),
  restart_policy: ext({
    condition: z.string().optional(),
    delay: duration.optional(),
    max_attempts: int.optional(),
    window: duration.optional(),
  }).optional(),
  placement: ext({
    constraints: stringList.optional(),
    preferences: z.array(ext({ spread: z.string().optional() })).optional(),
    max_replicas_per_node: int.optional(),
  }).optional(),
});
export const Deploy = z.preprocess(nullAsEmpty, ext(DeployObject.shape));

export const DevelopObject = z.strictObject({
  watch: z
    .array(
      ext({
        ignore: stringList.optional(),
        include: stringList.optional(),
        path: z.string(),
        action: z.enum(["rebuild", "sync", "restart", "sync+restart", "sync+exec"]),
        target: z.string().optional(),
        exec: ServiceHook.optional(),
        initial_sync: bool.optional(),
      }),
    )
    .optional(),
});
export const Develop = z.preprocess(nullAsEmpty, ext(DevelopObject.shape));

export const DeviceObject = z.strictObject({
  source: z.string(),
  target: z.string().optional(),
  permissions: z.string().optional(),
});
export const Device = ext(DeviceObject.shape);

export const EnvFile = z.strictObject({
  path: z.string(),
  required: bool.default(true),
  format: z.string().optional(),
});

export const ExtendsObject = z.strictObject({ service: z.string(), file: z.string().optional() });

export const HealthcheckObject = z.strictObject({
  /** `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; a string test is canonicalized to CMD-SHELL. */
  test: z.array(z.string()).optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: int.optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  disable: bool.optional(),
});
export const Healthcheck = ext(HealthcheckObject.shape);

export const LoggingObject = z.strictObject({
  // oci-containers writes --log-driver unquoted: a driver is a plain name.
  driver: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/, "is not a log driver name").optional(),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
});
export const Logging = ext(LoggingObject.shape);

export const ServiceModelObject = z.strictObject({
  endpoint_var: z.string().optional(),
  model_var: z.string().optional(),
});

export const ServiceNetworkObject = z.strictObject({
  aliases: stringList.optional(),
  interface_name: z.string().optional(),
  ipv4_address: z.string().optional(),
  ipv6_address: z.string().optional(),
  link_local_ips: stringList.optional(),
  mac_address: z.string().optional(),
  driver_opts: options.optional(),
  priority: number.optional(),
  gw_priority: number.optional(),
});
export const ServiceNetwork = ext(ServiceNetworkObject.shape);

export const PortObject = z.strictObject({
  name: z.string().optional(),
  mode: z.string().optional(),
  host_ip: z.string().optional(),
  target: int.pipe(z.number().min(0).max(65535)),
  /** Host side: a port or a range such as "8000-8010". */
  published: str.optional(),
  protocol: z.string().default("tcp"),
  app_protocol: z.string().optional(),
});
export const Port = ext(PortObject.shape);

export const ServiceVolumeObject = z.strictObject({
  type: z.enum(["bind", "volume", "tmpfs", "npipe", "cluster", "image"]),
  source: z.string().optional(),
  // docker and podman refuse relative container paths ("mount path must be absolute").
  target: z.string().refine((t) => t.startsWith("/"), "the path in the container must be absolute"),
  read_only: bool.optional(),
  consistency: z.string().optional(),
  bind: ext({
    propagation: z.string().optional(),
    create_host_path: bool.optional(),
    recursive: z.enum(["enabled", "disabled", "writable", "readonly"]).optional(),
    selinux: z.enum(["z", "Z"]).optional(),
  }).optional(),
  volume: ext({
    labels: labels.optional(),
    nocopy: bool.optional(),
    subpath: z.string().optional(),
  }).optional(),
  tmpfs: ext({
    size: byteSize.optional(),
    mode: z.union([z.number(), z.string()]).optional(),
  }).optional(),
  image: ext({ subpath: z.string().optional() }).optional(),
});
export const ServiceVolume = ext(ServiceVolumeObject.shape);

export const ProviderObject = z.strictObject({
  type: z.string(),
  options: z
    .record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]),
    )
    .optional(),
});

const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._:@\/+-]*$/;
const PULL_POLICY = /^(always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+)$/;
const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

// ---------------------------------------------------------------- service

export const ServiceObject = z.strictObject({
  annotations: labels.optional(),
  attach: bool.optional(),
  blkio_config: ext(BlkioConfigObject.shape).optional(),
  build: Build.optional(),
  cap_add: stringList.optional(),
  cap_drop: stringList.optional(),
  cgroup: z.enum(["host", "private"]).optional(),
  cgroup_parent: z.string().optional(),
  command: Command.optional(),
  configs: z.array(FileMount).optional(),
  container_name: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, "a container name is letters, digits, '_', '.' and '-'")
    .optional(),
  cpu_count: int.pipe(z.number().min(0)).optional(),
  cpu_percent: int.pipe(z.number().min(0).max(100)).optional(),
  cpu_period: int.optional(),
  cpu_quota: int.optional(),
  cpu_rt_period: int.optional(),
  cpu_rt_runtime: int.optional(),
  cpu_shares: int.optional(),
  cpus: number.optional(),
  cpuset: z.string().optional(),
  credential_spec: ext(CredentialSpecObject.shape).optional(),
  depends_on: z.record(z.string(), DependsOn).optional(),
  deploy: Deploy.optional(),
  develop: Develop.optional(),
  device_cgroup_rules: stringList.optional(),
  devices: z.array(Device).optional(),
  dns: stringList.optional(),
  dns_opt: stringList.optional(),
  dns_search: stringList.optional(),
  domainname: z.string().optional(),
  entrypoint: Command.optional(),
  env_file: z.array(EnvFile).optional(),
  environment: mappingWithEquals.optional(),
  expose: strList.optional(),
  extends: ExtendsObject.optional(),
  external_links: stringList.optional(),
  extra_hosts: ExtraHosts.optional(),
  gpus: z.array(DeviceRequest).optional(),
  group_add: strList.optional(),
  healthcheck: Healthcheck.optional(),
  hostname: z.string().optional(),
  // oci-containers puts the image into the run line unquoted: only a reference's characters may pass.
  image: z.string().regex(IMAGE_REFERENCE, "is not an image reference ([registry/]name[:tag][@digest])").optional(),
  init: bool.optional(),
  ipc: z.string().optional(),
  isolation: z.string().optional(),
  label_file: stringList.optional(),
  labels: labels.optional(),
  links: stringList.optional(),
  logging: Logging.optional(),
  mac_address: z.string().optional(),
  mem_limit: byteSize.optional(),
  mem_reservation: byteSize.optional(),
  mem_swappiness: int.optional(),
  memswap_limit: byteSize.optional(),
  models: z.record(z.string(), ext(ServiceModelObject.shape).nullable()).optional(),
  network_mode: z.string().optional(),
  networks: z.record(z.string(), ServiceNetwork.nullable()).optional(),
  oom_kill_disable: bool.optional(),
  oom_score_adj: int.pipe(z.number().min(-1000).max(1000)).optional(),
  pid: z.string().nullable().optional(),
  pids_limit: int.optional(),
  platform: z.string().optional(),
  ports: z.array(Port).optional(),
  post_start: z.array(ServiceHook).optional(),
  pre_stop: z.array(ServiceHook).optional(),
  privileged: bool.optional(),
  profiles: stringList.optional(),
  provider: ext(ProviderObject.shape).optional(),
  pull_policy: z.string().regex(PULL_POLICY, "expected always, never, build, missing, refresh, daily, weekly or every_<duration>").optional(),
  pull_refresh_after: z.string().optional(),
  read_only: bool.optional(),
  restart: z.string().regex(RESTART, "expected no, always, on-failure[:N] or unless-stopped").optional(),
  runtime: z.string().optional(),
  scale: int.optional(),
  secrets: z.array(FileMount).optional(),
  security_opt: stringList.optional(),
  shm_size: byteSize.optional(),
  stdin_open: bool.optional(),
  stop_grace_period: duration.optional(),
  stop_signal: z.string().optional(),
  storage_opt: options.optional(),
  sysctls: labels.optional(),
  tmpfs: stringList.optional(),
  tty: bool.optional(),
  ulimits: Ulimits.optional(),
  use_api_socket: bool.optional(),
  user: str.optional(),
  userns_mode: z.string().optional(),
  uts: z.string().optional(),
  volumes: z.array(ServiceVolume).optional(),
  volumes_from: stringList.optional(),
  working_dir: z.string().optional(),
});
export const Service = ext(ServiceObject.shape);

// ---------------------------------------------------------------- top-level resources

const IpamObject = z.strictObject({
  driver: z.string().optional(),
  config: z
    .array(
      ext({
        subnet: z.string().optional(),
        ip_range: z.string().optional(),
        gateway: z.string().optional(),
        aux_addresses: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
  options: z.record(z.string(), z.string()).optional(),
});

export const NetworkObject = z.strictObject({
  name: z.string().optional(),
  driver: z.string().optional(),
  driver_opts: options.optional(),
  ipam: ext(IpamObject.shape).optional(),
  /** Canonical: a boolean; the legacy `external: {name: x}` becomes `external: true, name: x`. */
  external: bool.optional(),
  internal: bool.optional(),
  enable_ipv4: bool.optional(),
  enable_ipv6: bool.optional(),
  attachable: bool.optional(),
  labels: labels.optional(),
});
export const Network = z.preprocess(nullAsEmpty, ext(NetworkObject.shape));

export const VolumeObject = z.strictObject({
  name: z.string().optional(),
  driver: z.string().optional(),
  driver_opts: options.optional(),
  external: bool.optional(),
  labels: labels.optional(),
});
export const Volume = z.preprocess(nullAsEmpty, ext(VolumeObject.shape));

export const SecretObject = z.strictObject({
  name: z.string().optional(),
  environment: z.string().optional(),
  file: z.string().optional(),
  external: bool.optional(),
  labels: labels.optional(),
  driver: z.string().optional(),
  driver_opts: options.optional(),
  template_driver: z.string().optional(),
});
export const Secret = ext(SecretObject.shape);

export const ConfigObject = z.strictObject({
  name: z.string().optional(),
  content: z.string().optional(),
  environment: z.string().optional(),
  file: z.string().optional(),
  external: bool.optional(),
  labels: labels.optional(),
  template_driver: z.string().optional(),
});
export const Config = ext(ConfigObject.shape);

export const ModelObject = z.strictObject({
  name: z.string().optional(),
  model: z.string(),
  context_size: int.optional(),
  runtime_flags: stringList.optional(),
});
export const Model = ext(ModelObject.shape);

// ---------------------------------------------------------------- project

const NAME = /^[a-zA-Z0-9._-]+$/;
const named = <T extends z.ZodType>(value: T, what: string) =>
  z.record(z.string().regex(NAME, `${what} names are letters, digits, '.', '_' and '-'`), value);

export const ProjectObject = z.strictObject({
  name: z.string().optional(),
  services: named(Service, "service").default({}),
  networks: named(Network, "network").default({}),
  volumes: named(Volume, "volume").default({}),
  secrets: named(Secret, "secret").default({}),
  configs: named(Config, "config").default({}),
  models: named(Model, "model").default({}),
});

/** `include` and `version` are consumed by the loader; `x-*` keys are dropped. */
export const Project = z.preprocess((v) => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.entries(v).filter(([k]) => !k.startsWith("x-") && k !== "include" && k !== "version"),
  );
}, ProjectObject);

export type Project = z.infer<typeof Project>;
export type Service = z.infer<typeof Service>;
export type Network = z.infer<typeof Network>;
export type Volume = z.infer<typeof Volume>;
export type Secret = z.infer<typeof Secret>;
export type Config = z.infer<typeof Config>;
export type Model = z.infer<typeof Model>;
export type Build = z.infer<typeof Build>;
export type Deploy = z.infer<typeof Deploy>;
export type Develop = z.infer<typeof Develop>;
export type Port = z.infer<typeof Port>;
export type ServiceVolume = z.infer<typeof ServiceVolume>;
export type ServiceNetwork = z.infer<typeof ServiceNetwork>;
export type FileMount = z.infer<typeof FileMount>;
export type Healthcheck = z.infer<typeof Healthcheck>;
export type Logging = z.infer<typeof Logging>;
export type DependsOn = z.infer<typeof DependsOn>;
export type Device = z.infer<typeof Device>;
export type DeviceRequest = z.infer<typeof DeviceRequest>;
export type EnvFile = z.infer<typeof EnvFile>;
export type Ulimit = z.infer<typeof Ulimit>;
export type ServiceHook = z.infer<typeof ServiceHook>;
export type Command = z.infer<typeof Command>;

/** The object shapes behind each definition, by the name the Compose JSON Schema uses (test/model.test.ts). */
export const definitionShapes = {
  service: ServiceObject.shape,
  network: NetworkObject.shape,
  volume: VolumeObject.shape,
  secret: SecretObject.shape,
  config: ConfigObject.shape,
  model: ModelObject.shape,
  healthcheck: HealthcheckObject.shape,
  deployment: DeployObject.shape,
  development: DevelopObject.shape,
  service_hook: ServiceHookObject.shape,
  env_file: EnvFile.shape,
} as const;

export const projectJsonSchema = () => z.toJSONSchema(Project);
