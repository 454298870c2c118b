export * from "./compose.ts";
export { splitShellWords, shellOperatorAt } from "./shellwords.ts";
export { fieldsAt, projectToSpec, renameFields, specName, toComposeName, toSpecJsonSchema, toSpecPath } from "./specNames.ts";
export { own } from "./own.ts";
export { DURATION_UNIT_SECONDS } from "./scalars.ts";
