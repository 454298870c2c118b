/** Oneshot units that create the project's named volumes (and, if asked, remove them on stop). */
import type { Project } from "../model/index.ts";
import { volumeUnit } from "./naming.ts";
import { shellCommand, shellQuote } from "./shell.ts";
import { emptyUnit, type OneshotPlan, type Runtime } from "./types.ts";

/**
 * `podman volume create --label` is a comma-separated list (pflag StringSlice, read as CSV, in
 * podman 4 and 5): a label holding `,` or `"` is written as one CSV field (quoted, `"` doubled),
 * which every podman reads as one value. docker's --label takes the text as it is.
 */
function labelValue(runtime: Runtime, label: string): string {
  if (runtime !== "podman" || !/[,"\n\r]/.test(label)) return label;
  return `"${label.replace(/"/g, '""')}"`;
}

export function volumeUnits(runtime: Runtime, project: Project, used: ReadonlySet<string>, removeOnStop: boolean): OneshotPlan[] {
  const units: OneshotPlan[] = [];
  // Keys with one name (`name:`, or an empty one's `<project>_<key>` matching another) are one volume.
  const created = new Set<string>();
  for (const key in project.volumes) {
    const volume = project.volumes[key]!;
    const name = volume.name!;
    if (volume.external || !used.has(key) || created.has(name)) continue;
    created.add(name);
    const flags: string[] = [];
    if (volume.driver) flags.push(`--driver=${volume.driver}`);
    const driverOpts = volume.driver_opts;
    for (const k in driverOpts) flags.push(`--opt=${k}=${driverOpts[k]}`);
    const labels: Record<string, string> = { "com.docker.compose.project": project.name!, "com.docker.compose.volume": key, ...volume.labels };
    for (const k in labels) flags.push(`--label=${labelValue(runtime, `${k}=${labels[k]}`)}`);
    const unit: OneshotPlan = {
      unitName: volumeUnit(runtime, name),
      kind: "volume",
      resource: name,
      script: `${runtime} volume inspect ${shellQuote(name)} >/dev/null 2>&1 || ${shellCommand([runtime, "volume", "create", name, ...flags])}\n`,
      unit: emptyUnit(),
    };
    if (removeOnStop) unit.stopScript = `${runtime} volume rm -f ${shellQuote(name)}\n`;
    units.push(unit);
  }
  return units;
}
