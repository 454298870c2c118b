/**
 * Devices and GPUs: `devices`, `gpus` and `deploy.resources.reservations.devices`,
 * mapped the way docker compose hands them to the engine (pkg/compose/create.go):
 * a CDI name in `devices` is a CDI request, not a path; a GPU request's driver
 * decides what it becomes, and one the engine cannot serve is reported, not passed.
 */
import type { Device, DeviceRequest } from "../model/index.ts";
import type { Runtime } from "./types.ts";

export interface DeviceIssue {
  level: "warning" | "note";
  message: string;
  path: (string | number)[];
}

/** What a service's devices and GPU requests become. */
export interface DevicePlan {
  /** `devices` entries: `source:target:permissions`, or a CDI name alone. */
  devices: string[];
  /** run flags (`--gpus`, `--device=<CDI name>`) */
  flags: string[];
  /** whether something needs NVIDIA's container toolkit on the host (its CDI spec) */
  nvidia: boolean;
  issues: DeviceIssue[];
}

/**
 * A fully qualified CDI device name, `vendor/class=name` (the CDI spec's
 * parser.IsQualifiedName): vendor like a domain name, class letters, digits,
 * `-` and `_`, name letters, digits, `-`, `_`, `.` and `:`.
 */
const CDI_NAME = /^[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\/[A-Za-z](?:[A-Za-z0-9_-]*[A-Za-z0-9])?=[A-Za-z0-9](?:[A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

export const isCdiName = (name: string): boolean => CDI_NAME.test(name);

const NVIDIA_VENDOR = "nvidia.com/";

/** AMD's ROCm compute device; `/dev/dri` (render nodes) goes with it. */
const AMD_KFD = "/dev/kfd";

export function planDevices(devices: readonly Device[] | undefined, groups: readonly string[] | undefined, at: readonly (string | number)[]): DevicePlan {
  const plan: DevicePlan = { devices: [], flags: [], nvidia: false, issues: [] };
  if (!devices) return plan;
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    const target = d.target ?? d.source;
    // compose: `source == target` and a CDI name -> a CDI device request (docker >= 25 and podman
    // take the name as `--device`); the short syntax's default `rwm` means nothing to CDI.
    if (target === d.source && isCdiName(d.source)) {
      plan.devices.push(d.source);
      if (d.source.startsWith(NVIDIA_VENDOR)) plan.nvidia = true;
      else plan.issues.push({ level: "note", message: `${d.source} is a CDI device: the host needs a CDI spec for it in /etc/cdi or /var/run/cdi`, path: [...at, "devices", i] });
      continue;
    }
    plan.devices.push([d.source, target, d.permissions].filter(Boolean).join(":"));
    if (d.source === AMD_KFD && !(groups ?? []).some((g) => g === "video" || g === "render")) {
      plan.issues.push({
        level: "note",
        message: `${AMD_KFD} (AMD ROCm) is passed through as a device; a container user other than root also needs the video and render groups (group_add: [video, render]), as AMD's ROCm instructions say`,
        path: [...at, "devices", i],
      });
    }
  }
  return plan;
}

/**
 * GPU requests (`gpus`, or `deploy.resources.reservations.devices` under `key`). compose passes
 * them to the engine as DeviceRequests; the engine serves driver `cdi` (ids are CDI names),
 * `nvidia`, or no driver with the `gpu` capability (`gpus` always adds it), and refuses to create
 * the container for any other. docker gets `--gpus`, podman the NVIDIA CDI names (`--gpus` is
 * podman's shorthand for the same since 5.0).
 */
export function planGpus(runtime: Runtime, requests: readonly DeviceRequest[], key: "gpus" | "reservations", plan: DevicePlan, at: readonly (string | number)[]): void {
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]!;
    const path = key === "gpus" ? [...at, "gpus", i] : [...at, "deploy", "resources", "reservations", "devices", i];
    const ids = r.device_ids ?? [];
    const capabilities = r.capabilities ?? [];
    if (r.driver === "cdi") {
      if (!ids.length) plan.issues.push({ level: "warning", message: "driver: cdi without device_ids requests no device; ignored", path });
      for (const id of ids) {
        if (!isCdiName(id)) {
          plan.issues.push({ level: "warning", message: `"${id}" is not a CDI device name (vendor/class=name); ignored`, path: [...path, "device_ids"] });
          continue;
        }
        plan.flags.push(`--device=${id}`);
        if (id.startsWith(NVIDIA_VENDOR)) plan.nvidia = true;
      }
      continue;
    }
    const nvidia = r.driver === "nvidia" || ((r.driver === undefined || r.driver === "") && (key === "gpus" || capabilities.includes("gpu")));
    if (!nvidia) {
      const what = r.driver ? `driver "${r.driver}"` : `capabilities [${capabilities.join(", ")}] without a driver`;
      plan.issues.push({ level: "warning", message: `${what}: no device driver serves this request (docker knows nvidia and cdi; the engine would refuse to create the container); no device requested`, path });
      continue;
    }
    plan.nvidia = true;
    const count = r.count ?? (ids.length ? undefined : "all");
    if (runtime === "docker") {
      // docker's --gpus is CSV; quoted fields keep their commas.
      const parts = [ids.length ? `"device=${ids.join(",")}"` : String(count)];
      const extra = capabilities.filter((c) => c !== "gpu");
      if (extra.length) parts.push(`"capabilities=${extra.join(",")}"`);
      plan.flags.push(`--gpus=${parts.join(",")}`);
    } else {
      const devices = ids.length ? ids : count === "all" ? ["all"] : Array.from({ length: Number(count) }, (_, n) => String(n));
      for (const id of devices) plan.flags.push(`--device=nvidia.com/gpu=${id}`);
      const extra = capabilities.filter((c) => c !== "gpu");
      if (extra.length) plan.issues.push({ level: "note", message: `capabilities ${extra.join(", ")}: NVIDIA's CDI devices give the container every driver capability`, path: [...path, "capabilities"] });
    }
    if (r.options && Object.keys(r.options).length) plan.issues.push({ level: "warning", message: "driver options have no run flag; ignored", path: [...path, "options"] });
  }
}
