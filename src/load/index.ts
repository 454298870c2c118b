/** The load stage: compose files (or a spec's documents) to one merged canonical raw tree. */
export { loadComposeProject, type LoadOptions, type LoadedProject } from "./project.ts";
export { isRawMap, positionAtPath, type RawMap, type RawValue } from "./raw.ts";
export { placeKey, type Interpolation } from "./interpolateTree.ts";
export { diskFiles, fileKind, READ_LIMIT, type FileReader } from "./files.ts";
export { loadSpec, specKeyPath, type SpecComposition, type SpecOptions } from "./spec.ts";
export { secretRedactions } from "./secretNames.ts";
