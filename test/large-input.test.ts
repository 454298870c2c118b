// The CLI's file reader that notices a large conversion (src/cli/largeInput.ts): bin.ts switches
// V8's optimising compiler off then, so the moment must be right: once, when the text read so far
// reaches the threshold, and not for small stacks.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { FileReader } from "../src/load/index.ts";
import { LARGE_INPUT, watchingInputSize } from "../src/cli/largeInput.ts";

function memoryFiles(texts: Record<string, string>): FileReader {
  return { read: (p) => texts[p]!, isFile: (p) => p in texts, isDirectory: () => false };
}

const CASES: [string, number[], number | undefined][] = [
  // sizes of the files read in order -> after which read onLarge is called (undefined: never)
  ["one small file", [1_000], undefined],
  ["small files below the threshold together", [LARGE_INPUT / 2, LARGE_INPUT / 2 - 1], undefined],
  ["one large file", [LARGE_INPUT], 0],
  ["the read that crosses it", [LARGE_INPUT / 2, 10, LARGE_INPUT / 2], 2],
  ["once only", [LARGE_INPUT * 2, LARGE_INPUT * 2, 5], 0],
];
for (const [name, sizes, calledAfter] of CASES) {
  test(`watchingInputSize: ${name}`, () => {
    const texts = Object.fromEntries(sizes.map((n, i) => [`f${i}`, "x".repeat(n)]));
    const calls: number[] = [];
    let reads = 0;
    const files = watchingInputSize(memoryFiles(texts), () => calls.push(reads - 1));
    for (let i = 0; i < sizes.length; i++) {
      reads++;
      assert.is(files.read(`f${i}`), texts[`f${i}`], "the text passes through");
    }
    assert.equal(calls, calledAfter === undefined ? [] : [calledAfter]);
    assert.ok(files.isFile("f0") && !files.isDirectory("f0"), "the other questions pass through");
  });
}

test.run();
