// Small helpers shared by the table-driven conformance tests.
import type { VariableLookup } from "../../src/load/interpolate.ts";

/** A variable lookup over a case's `env` table: unset is distinct from "". */
export function lookupFrom(env: Record<string, string>): VariableLookup {
  return (name) => (Object.hasOwn(env, name) ? env[name] : undefined);
}

/** What `fn` throws, or undefined when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
