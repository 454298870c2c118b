// Go-style durations (`1m30s`, `500ms`), as compose writes them, in seconds.
import { DURATION_UNIT_SECONDS as UNIT_SECONDS } from "../model/index.ts";

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * The unit at `i` (the two-letter ones first, so `ms` is not read as `m`), or undefined.
 * (a scan rather than a regular expression: a process reads a few durations, and compiling
 * the expression at its first use cost more than all of them)
 */
function unitAt(duration: string, i: number): string | undefined {
  const two = duration.slice(i, i + 2);
  if (two.length === 2 && two[1] === "s" && UNIT_SECONDS[two] !== undefined) return two;
  const one = duration[i];
  return one === "s" || one === "m" || one === "h" ? one : undefined;
}

export function durationSeconds(duration: string): number {
  if (duration === "0") return 0;
  let total = 0;
  // Each `<amount><unit>` part, as /(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g finds them.
  for (let start = 0; start < duration.length; ) {
    let i = start;
    while (i < duration.length && isDigit(duration.charCodeAt(i))) i++;
    const whole = i > start;
    if (i < duration.length && duration[i] === ".") {
      const point = i++;
      while (i < duration.length && isDigit(duration.charCodeAt(i))) i++;
      // a lone "." is no amount
      if (!whole && i === point + 1) i = start;
    }
    const unit = i > start ? unitAt(duration, i) : undefined;
    if (unit === undefined) {
      start++;
      continue;
    }
    total += Number(duration.slice(start, i)) * UNIT_SECONDS[unit]!;
    start = i + unit.length;
  }
  return duration.startsWith("-") ? -total : total;
}

/** systemd time span text for a duration: whole milliseconds, so "1.5s" stays exact. */
export function systemdTimespan(duration: string): string {
  const ms = Math.round(durationSeconds(duration) * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
