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
  const candidates = [...used].filter(([, value]) => value.length >= MIN_LENGTH);
  return (text, key) => {
    const keyIsSecret = key !== undefined && looksSecret(key);
    for (const [name, value] of candidates) {
      if ((keyIsSecret || looksSecret(name)) && text.includes(value)) return name;
    }
    return undefined;
  };
}
