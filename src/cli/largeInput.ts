/**
 * A file reader that calls `onLarge` once, as soon as the files read add up to `threshold`
 * characters: the moment a conversion turns out to be a big one, before the work it brings.
 *
 * What bin.ts does then: turn V8's baseline compiler (Sparkplug) back on. khepri starts with it and
 * the optimising compiler (TurboFan) off (the loader's V8 flags, see scripts/build.mjs): in a short
 * conversion compiling costs more than it gives. A big one runs its loops long enough for baseline
 * code to pay: a 500-service stack takes about a quarter longer interpreted. TurboFan stays off:
 * on this project's 2-core VM its compile jobs compete with the conversion and the garbage
 * collector for the cores (500 services: ~150 ms with it, ~115 ms without). The switch itself is
 * cheap (v8Flags.ts); the threshold is where baseline code starts to pay for its compiling.
 * See README's "Speed".
 */
import type { FileReader } from "../load/index.ts";

/** Compose text from which a conversion counts as large: about fifty services (below ~30, baseline code does not pay). */
export const LARGE_INPUT = 32 * 1024;

export function watchingInputSize(files: FileReader, onLarge: () => void, threshold = LARGE_INPUT): FileReader {
  let read = 0;
  return {
    ...files,
    read(path) {
      const text = files.read(path);
      const before = read;
      read += text.length;
      if (before < threshold && read >= threshold) onLarge();
      return text;
    },
  };
}
