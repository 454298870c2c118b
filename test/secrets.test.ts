// Secrets on their way into the module (issue 13 items 8, 10, 11; issue 14): one warning per
// secret variable wherever its value is written, naming exactly the variables the value was
// interpolated from, and never the secret itself in any message. Each fixture directory under
// test/fixtures/secrets is one reproducer; its case.json says what stderr must show.
import path from "node:path";
import { test } from "uvu";
import { checkMessages, messageCaseDirs, runMessageCase } from "./support/messageCases.ts";

for (const { name, dir, case: c } of messageCaseDirs(path.resolve("test/fixtures/secrets"))) {
  test(`${name}: ${c.about}`, () => checkMessages(runMessageCase(dir, c), c));
}

test.run();
