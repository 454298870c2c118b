/** Unit names, compatible with compose2nix so users can switch without renaming anything. */
import type { Runtime } from "./types.ts";

export const containerUnit = (runtime: Runtime, container: string) => `${runtime}-${container}`;
export const networkUnit = (runtime: Runtime, network: string) => `${runtime}-network-${network}`;
export const volumeUnit = (runtime: Runtime, volume: string) => `${runtime}-volume-${volume}`;
/** Named after the container, not the service: container names are unique on a host, service names only per project. */
export const buildUnit = (runtime: Runtime, container: string) => `${runtime}-build-${container}`;
export const rootTarget = (runtime: Runtime, project: string) => `${runtime}-compose-${project}-root`;
export const service = (unit: string) => `${unit}.service`;
export const target = (unit: string) => `${unit}.target`;
