export * from "./compose.ts";
export { splitShellWords, shellOperatorAt } from "./shellwords.ts";
export { validateProject } from "./validate.ts";
