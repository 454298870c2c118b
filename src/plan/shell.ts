/**
 * POSIX shell quoting for every value that ends up in a unit script: names,
 * labels, driver options and commands come from compose files and must never
 * be executed by the shell (`$(...)`, backticks, `;`).
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (word !== "" && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export const shellCommand = (words: readonly string[]) => words.map(shellQuote).join(" ");
