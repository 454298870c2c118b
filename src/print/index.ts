/** The print stage: plans -> NixOS module text. */
export { printModule, type ModuleOptions } from "./module.ts";
export { MAX_MODULE, ModuleTooLargeError } from "./nix/format.ts";
