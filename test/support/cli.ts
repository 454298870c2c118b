// Runs the CLI in-process, as a user would from a shell, capturing its output.
import { main } from "../../src/cli/main.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(argv: readonly string[], options: { cwd: string; env?: Record<string, string | undefined> }): CliResult {
  let stdout = "";
  let stderr = "";
  const code = main({
    argv,
    cwd: options.cwd,
    env: options.env ?? { HOME: "/root" },
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}
