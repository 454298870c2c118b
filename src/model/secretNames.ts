/**
 * Which variables hold credentials, judged by their names: the values of these never appear in a
 * message (load/secretNames.ts), and a value made from one is warned about when it is written into
 * the module (plan/secrets.ts).
 */

/** Words that say a variable holds a credential wherever they are in its name (`DBPASSWORD`, `GITHUBTOKEN`). */
const SECRET_WORDS = ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "PRIVKEY", "CREDENTIAL"];

/** Shorter ones say so only as a whole part of the name (`DB_PASS`, not `BYPASS`; `API_KEY`, not `MONKEY`). */
const SECRET_PARTS = new Set(["PASS", "PWD", "PW", "KEY", "KEYS", "CREDS", "PRIVATE", "AUTH", "SALT"]);

/** `DB_PASSWORD`, `api-token`, `dbPassword`, `GITHUBTOKEN`: judged by the words in the name. */
export function looksSecret(name: string): boolean {
  const upper = name.toUpperCase();
  for (const word of SECRET_WORDS) if (upper.includes(word)) return true;
  const parts = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().split(/[^A-Z0-9]+/);
  return parts.some((part) => SECRET_PARTS.has(part));
}
