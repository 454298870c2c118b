/**
 * A file reader that calls `onLarge` once, as soon as the files read add up to `threshold`
 * characters: the moment a conversion turns out to be a big one, before the work it brings.
 *
 * What bin.ts does then: switch off V8's optimising compiler (TurboFan). In a one-shot conversion
 * it does not pay for itself: on this project's 2-core VM a 500-service stack converts in ~110 ms
 * without it and ~150 ms with it (its compile jobs compete with the conversion and the garbage
 * collector for the cores; 120 services: 60 against 85 ms; 3000 services: even). Loading node:v8
 * to do so costs ~3 ms, which a small stack would pay for nothing (50 services: even), hence the
 * threshold. See README's "Speed".
 */
import type { FileReader } from "../load/index.ts";

/** Compose text from which a conversion counts as large: about a hundred services. */
export const LARGE_INPUT = 64 * 1024;

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
