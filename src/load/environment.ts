/**
 * The variables a project is interpolated with: `.env` (or `--env-file`s),
 * overridden by the process environment, as docker compose does.
 */
import path from "node:path";
import { KhepriError } from "../diagnostics/index.ts";
import { own } from "../model/own.ts";
import { DotenvError, parseDotenv } from "./dotenv.ts";
import type { FileReader } from "./files.ts";
import { lineAndColumn, NUL_MESSAGE, refuseProtoName } from "./raw.ts";

export type Variables = Record<string, string>;

export interface EnvironmentInputs {
  /** `--env-file` values; relative ones resolve against the working directory. */
  envFiles: readonly string[];
  /** Absolute and normalized, as path.resolve gives it. */
  projectDirectory: string;
  workingDir: string;
  processEnv: Readonly<Record<string, string | undefined>>;
  /** Told each variable the env files' own `${VAR}`s read (`B=${DB_PASSWORD}`), with the value it had then. */
  onReference?: (name: string, value: string | undefined) => void;
}

export function projectVariables(inputs: EnvironmentInputs, files: FileReader): Variables {
  const explicit = inputs.envFiles.length > 0;
  const paths = explicit
    ? inputs.envFiles.map((f) => path.resolve(inputs.workingDir, f))
    : // path.join's answer for a normalized directory, without its walk over every segment
      [inputs.projectDirectory.endsWith("/") ? inputs.projectDirectory + ".env" : inputs.projectDirectory + "/.env"];
  const fromFiles: Variables = {};
  for (const file of paths) {
    if (!files.isFile(file)) {
      if (explicit) throw new KhepriError(`env file ${file} not found`);
      continue;
    }
    const lookup = (name: string) => own(inputs.processEnv, name) ?? own(fromFiles, name);
    Object.assign(fromFiles, readDotenvFile(file, files, lookup, inputs.onReference));
  }
  const variables: Variables = { ...fromFiles };
  for (const [key, value] of Object.entries(inputs.processEnv)) {
    if (value !== undefined) variables[key] = value;
  }
  return variables;
}

/** Reads one dotenv-syntax file, turning syntax errors into located errors. */
export function readDotenvFile(
  file: string,
  files: FileReader,
  lookup: (name: string) => string | undefined,
  onReference?: (name: string, value: string | undefined) => void,
): Variables {
  try {
    const text = files.read(file);
    refuseProtoName(text, file);
    const nul = text.indexOf("\0");
    if (nul !== -1) throw new KhepriError(NUL_MESSAGE, { file, ...lineAndColumn(text, nul) });
    return parseDotenv(text, lookup, onReference);
  } catch (error) {
    // (the position says the line; the reason quotes nothing of the file)
    if (error instanceof DotenvError) throw new KhepriError(error.reason, { file, line: error.line, col: 1 });
    throw error;
  }
}
