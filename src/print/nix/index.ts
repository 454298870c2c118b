// Public face of the Nix printer: build a tree with the constructors, print it with printNix.
export * from "./ast.ts";
export { LINE_WIDTH, formatAttrName, formatAttrPath, formatExpr, isMultiline, printNix, quoteString } from "./format.ts";
