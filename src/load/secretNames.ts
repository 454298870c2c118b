/**
 * Which variables hold credentials, judged by their names: the values of these
 * never appear in a message, and a value made from one is warned about when it
 * is written into the module (plan/secrets.ts).
 */
import type { Redactions } from "../diagnostics/index.ts";
import type { Interpolation } from "./interpolateTree.ts";

/** Name parts that say a variable holds a credential. */
const SECRET_WORDS = new Set([
  "PASSWORD", "PASSWD", "PASS", "PWD", "PW", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "TOKENS", "KEY", "KEYS", "APIKEY",
  "PRIVKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "PRIVATE", "AUTH", "SALT",
]);

/** `DB_PASSWORD`, `api-token`, `dbPassword`: split at non-alphanumerics and camelCase humps. */
export const looksSecret = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .some((part) => SECRET_WORDS.has(part));

/** The values of the secret-looking variables interpolation used, to keep out of messages. */
export function secretRedactions(interpolation: Interpolation): Redactions {
  const redactions = new Map<string, string>();
  for (const [name, value] of interpolation.values) if (looksSecret(name)) redactions.set(value, name);
  return redactions;
}
