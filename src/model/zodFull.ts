/**
 * The real zod, reached only through `require("./zodFull.ts")` in `./z.ts`, so
 * the bundle evaluates zod only when a document is invalid or when the JSON
 * Schema is asked for (see z.ts). Named imports (not the `z` namespace) keep
 * zod's locales and unused parts out of the bundle.
 */
import {
  any,
  array,
  boolean,
  enum as _enum,
  lazy,
  literal,
  looseObject,
  never,
  null as _null,
  number,
  object,
  preprocess,
  record,
  strictObject,
  string,
  toJSONSchema,
  transform,
  union,
  unknown,
} from "zod";

export const z = {
  any,
  array,
  boolean,
  enum: _enum,
  lazy,
  literal,
  looseObject,
  never,
  null: _null,
  number,
  object,
  preprocess,
  record,
  strictObject,
  string,
  toJSONSchema,
  transform,
  union,
  unknown,
};
