/**
 * Finding secrets on their way into the module. Interpolated values are
 * looked for wherever they ended up (extends and merges move them), in every
 * place that is written into /nix/store: environment, labels, commands, build
 * arguments, store files.
 */

/** Key parts that say a variable holds a credential. */
const SECRET_WORDS = new Set(["PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "TOKEN", "KEY", "APIKEY", "CREDENTIAL", "CREDENTIALS", "PRIVATE", "AUTH"]);

export const looksSecret = (name: string) => name.toUpperCase().split(/[^A-Z0-9]+/).some((part) => SECRET_WORDS.has(part));

/** Shorter values would be found by accident in unrelated text. */
const MIN_LENGTH = 3;

/**
 * Returns a function naming the variable whose secret value a text carries:
 * a secret-looking variable's value anywhere, or any interpolated value under a
 * secret-looking key (`DB_PASSWORD: ${PW}`).
 */
export function secretFinder(used: ReadonlyMap<string, string>): (text: string, key?: string) => string | undefined {
  // Each variable's name is judged once, not for every text; with no candidates (most
  // projects), no key is judged at all.
  const candidates = [...used].filter(([, value]) => value.length >= MIN_LENGTH).map(([name, value]) => ({ name, value, secret: looksSecret(name) }));
  return (text, key) => {
    if (candidates.length === 0) return undefined;
    const keyIsSecret = key !== undefined && looksSecret(key);
    for (const { name, value, secret } of candidates) {
      if ((keyIsSecret || secret) && text.includes(value)) return name;
    }
    return undefined;
  };
}
