export * from "./compose.ts";
export { splitShellWords, shellOperatorAt } from "./shellwords.ts";
export { OVERRIDE, RESET, fieldsAt, projectToSpec, renameFields, specMarker, specName, toComposeName, toSpecJsonSchema, toSpecPath } from "./specNames.ts";
export { own } from "./own.ts";
export { DURATION_UNIT_SECONDS } from "./scalars.ts";
export { looksSecret } from "./secretNames.ts";
export { USER_NAME_RULE, isUserName } from "./userName.ts";
