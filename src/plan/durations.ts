// Go-style durations (`1m30s`, `500ms`), as compose writes them, in seconds.
import { DURATION_UNIT_SECONDS as UNIT_SECONDS } from "../model/index.ts";

/** Each `<amount><unit>` of a duration. */
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;

export function durationSeconds(duration: string): number {
  if (duration === "0") return 0;
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(PART)) total += Number(amount) * UNIT_SECONDS[unit!]!;
  return duration.startsWith("-") ? -total : total;
}

/** systemd time span text for a duration: whole milliseconds, so "1.5s" stays exact. */
export function systemdTimespan(duration: string): string {
  const ms = Math.round(durationSeconds(duration) * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
