/**
 * Word splitting for string `command` / `entrypoint` values.
 *
 * docker compose splits a string command into argv with go-shellwords (no
 * variable or backtick expansion): blanks separate words, single quotes are
 * literal, double quotes group, a backslash outside single quotes takes the
 * next character literally (`\t` and `\n` become tab and newline). An unquoted
 * `;`, `&`, `|`, `<` or `>` ends the command there, and the rest is dropped —
 * the same as docker compose does; `shellOperatorAt` lets a caller warn about it.
 */

const BLANK = new Set([" ", "\t", "\r", "\n"]);
const OPERATORS = new Set([";", "&", "|", "<", ">"]);

interface Scan {
  words: string[];
  /** Index of the unquoted operator that ended the scan, or -1. */
  stoppedAt: number;
}

function scan(line: string): Scan {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let single = false;
  let double = false;
  let escaped = false;
  let stoppedAt = -1;
  const chars = [...line];
  for (let i = 0; i < chars.length; i++) {
    let c = chars[i]!;
    if (escaped) {
      escaped = false;
      if (c === "t") c = "\t";
      else if (c === "n") c = "\n";
      word += c;
      inWord = true;
      continue;
    }
    if (c === "\\" && !single) {
      escaped = true;
      continue;
    }
    if (single || double) {
      if ((single && c === "'") || (double && c === '"')) {
        single = double = false;
        inWord = true; // '' still makes an (empty) word
      } else word += c;
      continue;
    }
    if (BLANK.has(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    if (c === "'" || c === '"') {
      single = c === "'";
      double = c === '"';
      continue;
    }
    if (OPERATORS.has(c)) {
      // `2>file`: the digits are the redirection's, not a word
      if (c === ">" && /^\d+$/.test(word)) inWord = false;
      stoppedAt = i;
      break;
    }
    word += c;
    inWord = true;
  }
  if (escaped || single || double) throw new Error(`unterminated quote or escape in ${JSON.stringify(line)}`);
  if (inWord) words.push(word);
  return { words, stoppedAt };
}

/** Splits a command string into argv the way docker compose does. Throws on an unterminated quote. */
export function splitShellWords(line: string): string[] {
  return scan(line).words;
}

/** Where an unquoted shell operator cuts the command short (docker compose drops the rest), or -1. */
export function shellOperatorAt(line: string): number {
  return scan(line).stoppedAt;
}
