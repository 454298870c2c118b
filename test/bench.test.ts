// `npm run bench` (scripts/bench.mjs) in its --quick mode: it runs end to end against the built
// CLI and prints every budget of issue 10 with a measured figure and a verdict. Whether the figures
// meet the budgets is the bench's report, not a test: timings are not unit-tested here.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { repoRoot, skipUnless } from "./support/shared.ts";

const number = String.raw`\d+(?:\.\d+)?`;
/** Each budgeted row of --quick (stacks of 50 and 500 services, 1 and 2 compositions): its label, the figure's shape, the budget as printed. */
const budgeted: [RegExp, RegExp, string][] = [
  [/^mealie \/ node -e 0$/, new RegExp(`^${number}x$`), "<= 6x"],
  [/^50 services: wall time$/, new RegExp(`^${number} m?s \\(CPU ${number} m?s\\)$`), "<= 3 s"],
  [/^50 services: peak RSS$/, new RegExp(`^${number} MB$`), "<= 150 MB"],
  [/^500 \/ 50 services \(time\)$/, new RegExp(`^${number}x$`), "<= 12x"],
];
const nixBudgeted: [RegExp, RegExp, string][] = [
  [/^NixOS, 1 composition: warm \/ imported$/, new RegExp(`^${number}x$`), "<= 1.1x"],
  [/^NixOS, 2 compositions: warm \/ imported$/, new RegExp(`^${number}x$`), "<= 1.1x"],
  [/^conversion builds, cold \(1 \/ 2 compositions\)$/, /^\d+ \/ \d+$/, "1 each"],
  [/^conversion builds, second evaluation \(1 \/ 2\)$/, /^\d+ \/ \d+$/, "0 each"],
  [/^conversion builds after editing files no composition uses$/, /^\d+$/, "0"],
  [/^conversion builds after editing a compose file/, /^\d+$/, "1"],
];

/** The table's rows, split at its column boundaries (taken from the dashes under the header). */
function tableRows(stdout: string): [measure: string, figure: string, budget: string, verdict: string][] {
  const lines = stdout.split("\n");
  const rule = lines.findIndex((l) => /^-+( +-+)+$/.test(l));
  assert.ok(rule > 0, `a table in:\n${stdout}`);
  const starts = [...lines[rule]!.matchAll(/-+/g)].map((m) => m.index!);
  assert.is(starts.length, 4, "four columns");
  const rows: [string, string, string, string][] = [];
  for (const line of lines.slice(rule + 1)) {
    if (line.trim() === "") break;
    const cell = (i: number) => line.slice(starts[i], starts[i + 1]).trim();
    rows.push([cell(0), cell(1), cell(2), cell(3)]);
  }
  return rows;
}

test("bench --quick prints every budget with a figure and a verdict", () => {
  if (skipUnless(existsSync(path.join(repoRoot, "dist", "khepri.cjs")), "bench --quick", "dist/khepri.cjs is missing (run node scripts/build.mjs)")) return;
  const run = spawnSync(process.execPath, ["scripts/bench.mjs", "--quick"], { cwd: repoRoot, encoding: "utf8", timeout: 300_000 });
  assert.is(run.status, 0, `bench failed:\n${run.stdout}\n${run.stderr}`);
  const rows = tableRows(run.stdout);
  const nixSkipped = /^SKIP NixOS evaluation: .+/m.test(run.stdout);
  if (nixSkipped) console.log(run.stdout.match(/^SKIP NixOS evaluation: .+$/m)![0].replace("SKIP ", "SKIP bench --quick: "));
  for (const [label, figure, budget] of [...budgeted, ...(nixSkipped ? [] : nixBudgeted)]) {
    const matching = rows.filter((r) => label.test(r[0]));
    assert.ok(matching.length > 0, `a row ${label} in:\n${run.stdout}`);
    for (const [measure, value, printedBudget, verdict] of matching) {
      assert.match(value, figure, `${measure}: figure`);
      assert.is(printedBudget, budget, `${measure}: budget`);
      assert.ok(verdict === "PASS" || verdict === "FAIL", `${measure}: verdict ${verdict}`);
    }
  }
  // every row with a budget has a verdict, and the summary counts the missed ones
  const withBudget = rows.filter((r) => r[2] !== "-");
  assert.ok(withBudget.every((r) => r[3] === "PASS" || r[3] === "FAIL"));
  const missed = withBudget.filter((r) => r[3] === "FAIL").length;
  assert.match(run.stdout, missed ? new RegExp(`\\n${missed} budgets? missed`) : /\nall budgets met/);
});

test.run();
