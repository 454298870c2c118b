/**
 * Node 20 takes `--env-file FILE` from anywhere on its command line, after the script too, unless
 * `--` ends its options first: it then reads FILE itself before khepri starts (a missing one ends
 * the run with node's own error, and NODE_OPTIONS in it is obeyed). Every launcher khepri ships
 * puts `--` before the loader (scripts/build.mjs, nix/package.nix). When khepri was started some
 * other way (`node khepri.cjs convert --env-file FILE`), this says so rather than carrying on as if
 * nothing had happened.
 */
import { readFileSync } from "node:fs";

const isEnvFileFlag = (arg: string) => arg === "--env-file" || arg.startsWith("--env-file=");

/** Whether node saw `--env-file` as its own: no `--` before it on the process's real command line (Linux's /proc). */
export function nodeTookEnvFile(argv: readonly string[], cmdline = "/proc/self/cmdline"): boolean {
  if (!argv.some(isEnvFileFlag)) return false;
  let raw: string[];
  try {
    raw = readFileSync(cmdline, "utf8").split("\0");
  } catch {
    return false;
  }
  for (const arg of raw) {
    if (arg === "--") return false;
    if (isEnvFileFlag(arg)) return true;
  }
  return false;
}

export const NODE_TOOK_ENV_FILE =
  "khepri: node itself read --env-file (node 20 takes it from anywhere on its command line): start khepri by its bin, or as `node -- khepri.cjs ...`\n";
