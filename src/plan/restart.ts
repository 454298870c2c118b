/**
 * `restart:` and `deploy.restart_policy` as systemd restart settings (the
 * container runs with --rm under systemd, so systemd does the restarting).
 */
import type { Service } from "../model/index.ts";
import { systemdTimespan } from "./durations.ts";
import type { UnitPlan } from "./types.ts";

const CONDITION: Record<string, string> = { none: "no", "on-failure": "on-failure", any: "always" };

/** Sets the unit's restart settings (into its serviceConfig and unitConfig, after what they hold). */
export function applyRestartPolicy(unit: Pick<UnitPlan, "serviceConfig" | "unitConfig">, service: Service): void {
  const { serviceConfig, unitConfig } = unit;
  const policy = service.deploy?.restart_policy;
  let maxAttempts: number | undefined;
  if (policy) {
    // deploy.restart_policy wins over restart, as in docker compose.
    serviceConfig.Restart = CONDITION[policy.condition ?? "any"] ?? "always";
    if (policy.delay) serviceConfig.RestartSec = systemdTimespan(policy.delay);
    maxAttempts = policy.max_attempts;
    if (maxAttempts !== undefined && policy.window) unitConfig.StartLimitIntervalSec = systemdTimespan(policy.window);
  } else {
    const parts = (service.restart ?? "no").split(":");
    const mode = parts[0];
    const count = parts[1];
    serviceConfig.Restart = mode === "always" || mode === "unless-stopped" ? "always" : mode === "on-failure" ? "on-failure" : "no";
    if (count !== undefined) maxAttempts = Number(count);
  }
  if (maxAttempts !== undefined && maxAttempts > 0) {
    // N restarts after the first start: systemd counts starts, so N + 1 within the window.
    unitConfig.StartLimitBurst = maxAttempts + 1;
    unitConfig.StartLimitIntervalSec ??= "infinity";
  }
  if (serviceConfig.Restart !== "no" && serviceConfig.RestartSec === undefined) {
    // The engine's own backoff (100ms doubling to 1m) instead of systemd's 100ms flat,
    // which would hit the start limit within seconds on a crash loop. Only where
    // the user set no delay of their own.
    serviceConfig.RestartSec = "100ms";
    serviceConfig.RestartSteps = 9;
    serviceConfig.RestartMaxDelaySec = "1m";
  }
}
