/**
 * depends_on conditions as systemd ordering. A dependency's unit is made to
 * mean what the condition asks before dependents are started after it:
 * - service_healthy: podman reports the unit ready only once healthy
 *   (`podman.sdnotify = "healthy"`); for docker the unit's postStart waits,
 *   bounded, for the health status.
 * - service_completed_successfully: the unit's postStart waits for the
 *   container to exit and fails unless it exited 0.
 * `required: false` orders with `wants` instead of `requires`; `restart: true`
 * binds the dependent to the dependency and has it upheld again afterwards.
 */
import type { Healthcheck, Project } from "../model/index.ts";
import { healthWaitSeconds } from "./healthcheck.ts";
import { containerUnit, service as serviceUnit } from "./naming.ts";
import { shellQuote } from "./shell.ts";
import { addUnit, type ContainerPlan, type Runtime } from "./types.ts";

export type Gate = "healthy" | "completed";

/** Which services some dependent waits on, and for what. */
export function dependencyGates(project: Project): Map<string, Set<Gate>> {
  const gates = new Map<string, Set<Gate>>();
  for (const name in project.services) {
    const dependsOn = project.services[name]!.depends_on;
    for (const dep in dependsOn) {
      const condition = dependsOn[dep]!.condition;
      const gate = condition === "service_healthy" ? "healthy" : condition === "service_completed_successfully" ? "completed" : undefined;
      if (!gate) continue;
      const set = gates.get(dep);
      if (set) set.add(gate);
      else gates.set(dep, new Set([gate]));
    }
  }
  return gates;
}

/** postStart lines for docker: wait until the container reports healthy, or fail (saying how long it really waited). */
export function dockerHealthWait(container: string, healthcheck: Healthcheck | undefined): string {
  const name = shellQuote(container);
  const shown = container.replace(/[^A-Za-z0-9_.-]/g, "?");
  const seconds = healthWaitSeconds(healthcheck);
  const format = shellQuote("{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}");
  return [
    `# depends_on: service_healthy — wait up to ${seconds}s for ${container} to become healthy`,
    `status=starting`,
    `SECONDS=0`,
    `for _ in $(seq ${seconds}); do`,
    `  status=$(docker inspect --format ${format} ${name} 2>/dev/null || echo starting)`,
    `  case "$status" in healthy | unhealthy | none) break ;; esac`,
    `  sleep 1`,
    `done`,
    `if [ "$status" != healthy ]; then echo "${shown}: health is $status after waiting \${SECONDS}s (limit ${seconds}s)" >&2; exit 1; fi`,
  ].join("\n");
}

/**
 * docker runs in the foreground under systemd, so postStart can begin before
 * the container exists: wait (bounded) until it does.
 */
export function waitForContainer(runtime: Runtime, container: string): string {
  return `for _ in $(seq 60); do ${runtime} container inspect ${shellQuote(container)} >/dev/null 2>&1 && break; sleep 1; done`;
}

/** postStart lines: wait for the container to exit, and fail unless it exited 0. */
export function completionWait(runtime: Runtime, container: string): string {
  const name = shellQuote(container);
  const shown = container.replace(/[^A-Za-z0-9_.-]/g, "?");
  return [
    `# depends_on: service_completed_successfully — the unit is done when the container exits 0`,
    waitForContainer(runtime, container),
    `code=$(${runtime} wait ${name})`,
    `if [ "$code" != 0 ]; then echo "${shown} exited with status $code" >&2; exit 1; fi`,
  ].join("\n");
}

/**
 * Adds a container's depends_on to its plan: `dependsOn` and its unit's after, wants, bindsTo and
 * upheldBy (written into the plan's lists directly: this runs for every container).
 */
export function addDependencyRelations(plan: ContainerPlan, runtime: Runtime, project: Project, useUpheldBy: boolean): void {
  const dependsOn = project.services[plan.service]!.depends_on;
  const unit = plan.unit;
  for (const dep in dependsOn) {
    const spec = dependsOn[dep]!;
    const container = project.services[dep]!.container_name!;
    if (spec.required) plan.dependsOn.push(container);
    if (spec.required && !spec.restart && !useUpheldBy) continue;
    const depUnit = serviceUnit(containerUnit(runtime, container));
    if (!spec.required) {
      addUnit(unit.after, depUnit);
      addUnit(unit.wants, depUnit);
    }
    if (spec.restart) {
      addUnit(unit.bindsTo, depUnit);
      addUnit(unit.upheldBy, depUnit);
    } else if (useUpheldBy) addUnit(unit.upheldBy, depUnit);
  }
}
