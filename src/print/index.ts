/** The print stage: plans -> NixOS module text. */
export { printModule, type ModuleOptions } from "./module.ts";
