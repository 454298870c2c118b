/**
 * `healthcheck:` as run flags. The two runtimes read `--health-cmd`
 * differently: docker always runs it with /bin/sh -c; podman takes a JSON
 * array as an exec-form command (and would mangle one that starts with "CMD").
 */
import type { Healthcheck } from "../model/index.ts";
import { durationSeconds } from "./durations.ts";
import { shellCommand } from "./shell.ts";
import type { Runtime } from "./types.ts";

export const healthcheckDisabled = (h: Healthcheck | undefined) => !!h && (h.disable === true || h.test?.[0] === "NONE");

function healthCommand(test: readonly string[], runtime: Runtime): string | undefined {
  const kind = test[0];
  const rest = test.slice(1);
  if (kind === "CMD-SHELL") return rest.join(" ");
  if (kind !== "CMD" || !rest.length) return undefined;
  if (runtime === "docker") return shellCommand(rest);
  // podman runs a one-element JSON array through the shell; "CMD word" keeps exec form
  // (images without /bin/sh), and is only safe for a word without blanks.
  if (rest.length === 1 && !/\s/.test(rest[0]!)) return `CMD ${rest[0]}`;
  return JSON.stringify(rest);
}

/**
 * Adds the healthcheck's run flags to `flags`; returns the settings the runtime lacks, if any
 * (written into the caller's list, no result object: this runs for most containers).
 */
export function addHealthcheckFlags(flags: string[], h: Healthcheck | undefined, runtime: Runtime): string[] | undefined {
  if (!h) return undefined;
  if (healthcheckDisabled(h)) {
    flags.push("--no-healthcheck");
    return undefined;
  }
  let unsupported: string[] | undefined;
  const command = h.test ? healthCommand(h.test, runtime) : undefined;
  if (command !== undefined) flags.push(`--health-cmd=${command}`);
  if (h.interval) flags.push(`--health-interval=${h.interval}`);
  if (h.timeout) flags.push(`--health-timeout=${h.timeout}`);
  if (h.retries !== undefined) flags.push(`--health-retries=${h.retries}`);
  if (h.start_period) flags.push(`--health-start-period=${h.start_period}`);
  if (h.start_interval) {
    if (runtime === "docker") flags.push(`--health-start-interval=${h.start_interval}`);
    else (unsupported ??= []).push("start_interval");
  }
  return unsupported;
}

/**
 * How long a dependent may wait for this healthcheck to pass before giving up:
 * what docker itself allows before it marks the container unhealthy
 * (start period, then retries+1 rounds of interval + timeout), with docker's defaults.
 */
export function healthWaitSeconds(h: Healthcheck | undefined): number {
  const seconds = (d: string | undefined, fallback: number) => (d ? durationSeconds(d) : fallback);
  const interval = seconds(h?.interval, 30);
  const timeout = seconds(h?.timeout, 30);
  const retries = h?.retries ?? 3;
  const start = seconds(h?.start_period, 0);
  return Math.max(60, Math.ceil(start + (interval + timeout) * (retries + 1)));
}
