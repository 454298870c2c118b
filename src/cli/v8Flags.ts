/**
 * Setting V8 flags in a running process, cheaply.
 *
 * node:v8's `setFlagsFromString` is the documented way, but loading node:v8 costs 3-6 ms (it
 * brings in the stream modules its heap snapshots use): a twentieth of a 500-service conversion,
 * paid at the moment largeInput.ts's switch is meant to save time. The function it wraps is
 * V8's own binding, which `process.binding("v8")` also gives. That is deprecated (DEP0111) and
 * warns once on first use; the warning is addressed to code that should move to node:v8, which
 * is what happens wherever the binding is gone or refused (a future Node, the permission
 * model), so it is silenced for that one call. The flags set are the same either way.
 */

/** What both routes offer. */
interface FlagSetter {
  setFlagsFromString(flags: string): void;
}

/** The parts of `process` used here (a parameter, so tests can hand in one without a binding). */
export interface BindingHost {
  binding?: (name: string) => unknown;
  noDeprecation?: boolean;
}

/** V8's binding, or undefined where process.binding is gone, refuses it, or it lacks the function. */
function v8Binding(host: BindingHost): FlagSetter | undefined {
  const quiet = host.noDeprecation;
  host.noDeprecation = true;
  try {
    const binding = host.binding?.("v8") as Partial<FlagSetter> | undefined;
    return typeof binding?.setFlagsFromString === "function" ? (binding as FlagSetter) : undefined;
  } catch {
    return undefined;
  } finally {
    host.noDeprecation = quiet;
  }
}

export function setV8Flags(
  flags: string,
  host: BindingHost = process as BindingHost,
  nodeV8: () => FlagSetter = () => require("node:v8") as typeof import("node:v8"),
): void {
  (v8Binding(host) ?? nodeV8()).setFlagsFromString(flags);
}
