/** Placing normalize-stage messages in the user's files. */
import { KhepriError, type SourcePos } from "../diagnostics/index.ts";
import { positionAtPath, type RawMap } from "../load/index.ts";

export interface Locate {
  (path: readonly (string | number)[]): SourcePos | undefined;
  error(message: string, path: readonly (string | number)[]): KhepriError;
}

export function locatorFor(model: RawMap): Locate {
  const locate = ((path: readonly (string | number)[]) => positionAtPath(model, path)) as Locate;
  locate.error = (message, path) => new KhepriError(message, path.length ? positionAtPath(model, path) : undefined, path.length ? path : undefined);
  return locate;
}
