/**
 * What the module will declare, before it is written as Nix: one entry per
 * container (the `virtualisation.oci-containers.containers` options and the
 * systemd overrides of its unit) and one per oneshot unit (networks, volumes,
 * builds), plus the root target. The printer only lays this out.
 */
import type { Diagnostic } from "../diagnostics/index.ts";

export type Runtime = "podman" | "docker";

/** A file whose content is not secret and may live in /nix/store (compose `configs: content`). */
export interface StoreText {
  name: string;
  text: string;
}

/** One `volumes` entry: a plain `-v` string, or a store file mounted read-only at `target`. */
export type VolumeEntry = string | { storeText: StoreText; target: string };

/**
 * Overrides for a `systemd.services.<unit>` written alongside what oci-containers declares.
 * Its unit lists (after … upheldBy) never hold a unit twice: add to them with `addUnit`.
 */
export interface UnitPlan {
  description?: string;
  after: string[];
  requires: string[];
  wants: string[];
  bindsTo: string[];
  partOf: string[];
  wantedBy: string[];
  upheldBy: string[];
  /** Written with `lib.mkOverride 90` so they beat module defaults and lose to a user's `lib.mkForce`. */
  serviceConfig: Record<string, string | number | boolean>;
  unitConfig: Record<string, string | number | boolean>;
  /**
   * `unitConfig.RequiresMountsFor`, written as a list at normal priority: NixOS joins it with
   * oci-containers' own (a rootless container's `/run/user/<uid>/containers`).
   */
  requiresMountsFor: string[];
  preStart: string[];
  postStart: string[];
  preStop: string[];
  postStop: string[];
}

export interface ContainerPlan {
  service: string;
  /** Attribute name under `virtualisation.oci-containers.containers`, and `--name`. */
  name: string;
  /** `<runtime>-<name>`, as oci-containers names it. */
  unitName: string;
  image: string;
  environment: Record<string, string>;
  environmentFiles: string[];
  ports: string[];
  volumes: VolumeEntry[];
  labels: Record<string, string>;
  cmd: string[];
  entrypoint?: string;
  user?: string;
  workdir?: string;
  hostname?: string;
  networks: string[];
  capabilities: Record<string, boolean>;
  devices: string[];
  privileged: boolean;
  pull?: "always" | "missing" | "never" | "newer";
  dependsOn: string[];
  logDriver: string;
  autoStart: boolean;
  autoRemoveOnStop: boolean;
  podmanSdnotify?: "conmon" | "healthy" | "container";
  podmanUser?: string;
  /** Flags with no typed option, in compose order. */
  extraOptions: string[];
  unit: UnitPlan;
  /** What the host must provide beyond the runtime (the module asserts or sets it). */
  host: HostNeeds;
}

/** Host settings a container relies on. */
export interface HostNeeds {
  /** NVIDIA GPUs (`--gpus`, `nvidia.com/gpu=...`): `hardware.nvidia-container-toolkit.enable`. */
  nvidiaToolkit: boolean;
  /** A bind of the docker socket on podman: `virtualisation.podman.dockerSocket.enable`. */
  dockerSocket: boolean;
}

export interface OneshotPlan {
  unitName: string;
  kind: "network" | "volume" | "build";
  /** The resource's name as the runtime knows it. */
  resource: string;
  script: string;
  /** Runs when the unit stops (network removal, optional volume removal). */
  stopScript?: string;
  unit: UnitPlan;
}

export interface RootTargetPlan {
  name: string;
  description: string;
  wantedBy: string[];
}

export interface Plan {
  runtime: Runtime;
  project: string;
  /**
   * Rootless podman: the user whose podman runs the containers and the network, volume and build
   * units (`User=`), which then need the user's runtime directory and user manager.
   */
  podmanUser?: string;
  containers: ContainerPlan[];
  oneshots: OneshotPlan[];
  rootTarget?: RootTargetPlan;
  diagnostics: Diagnostic[];
}

export const emptyUnit = (): UnitPlan => ({
  after: [],
  requires: [],
  wants: [],
  bindsTo: [],
  partOf: [],
  wantedBy: [],
  upheldBy: [],
  serviceConfig: {},
  unitConfig: {},
  requiresMountsFor: [],
  preStart: [],
  postStart: [],
  preStop: [],
  postStop: [],
});

/**
 * Adds `unit` to one of a UnitPlan's lists unless it is there already, so the lists keep their
 * promise of no repeats where they are built (they are short: a scan is cheaper than a set).
 */
export function addUnit(list: string[], unit: string): void {
  if (!list.includes(unit)) list.push(unit);
}
