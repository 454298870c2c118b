/** Keeping the values of credentials (model/secretNames.ts) out of messages. */
import type { Redactions } from "../diagnostics/index.ts";
import { looksSecret } from "../model/index.ts";
import type { Interpolation } from "./interpolateTree.ts";

/** The values of the secret-looking variables interpolation used, to keep out of messages. */
export function secretRedactions(interpolation: Interpolation): Redactions {
  const redactions = new Map<string, string>();
  for (const [value, name] of interpolation.secretsPassedOn) redactions.set(value, name);
  for (const [name, value] of interpolation.values) if (looksSecret(name) || interpolation.underSecretKeys.has(name)) redactions.set(value, name);
  return redactions;
}
