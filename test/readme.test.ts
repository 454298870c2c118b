// The README's generated sections (compose key table, CLI help) match the code; set
// KHEPRI_UPDATE_README=1 to rewrite them.
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { helpText } from "../src/cli/args.ts";
import { renderKeyTable, replaceSection } from "./support/keyTable.ts";

const sections: [string, () => string][] = [
  ["keys", renderKeyTable],
  ["help", () => "```\n" + helpText("X.Y.Z").trimEnd() + "\n```"],
];

for (const [name, render] of sections) {
  test(`README section "${name}" matches the code`, () => {
    const readme = readFileSync("README.md", "utf8");
    const expected = replaceSection(readme, name, render());
    if (process.env.KHEPRI_UPDATE_README === "1" && expected !== readme) writeFileSync("README.md", expected);
    else assert.is(readme, expected, `README section ${name} is stale: run KHEPRI_UPDATE_README=1 npm test`);
  });
}

test("README shows the install and test commands", () => {
  const readme = readFileSync("README.md", "utf8");
  assert.ok(readme.includes("npm ci && npm test"));
  assert.ok(readme.includes("npm ci && npx khepri convert -f examples/mealie/compose.yaml -o -"));
});

test.run();
