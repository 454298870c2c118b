/** Go-style durations (`1m30s`, `500ms`), as compose writes them, in seconds. */
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
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
