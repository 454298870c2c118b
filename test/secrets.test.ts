// Secrets on their way into the module (issue 13 items 8, 10, 11; issue 14): one warning per
// secret variable wherever its value is written, naming exactly the variables the value was
// interpolated from, and never the secret itself in any message. Each fixture directory under
// test/fixtures/secrets is one reproducer; its case.json says what stderr must show.
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { looksSecret } from "../src/model/index.ts";
import { checkMessages, messageCaseDirs, runMessageCase } from "./support/messageCases.ts";

for (const { name, dir, case: c } of messageCaseDirs(path.resolve("test/fixtures/secrets"))) {
  test(`${name}: ${c.about}`, () => checkMessages(runMessageCase(dir, c), c));
}

// Which variable names look like they hold a credential (the warnings and the redaction in messages follow this).
const names: [string, boolean][] = [
  ["DB_PASSWORD", true], ["PG_PW", true], ["dbPassword", true], ["DBPASSWORD", true], ["GITHUBTOKEN", true], ["api-key", true],
  ["SECRET_KEY_BASE", true], ["DB_PASS", true], ["OAUTH_CLIENT_SECRET", true], ["AUTH", true],
  ["DB_NAME", false], ["TAG", false], ["MONKEY", false], ["BYPASS_CACHE", false], ["KEYBOARD_LAYOUT", false], ["HTTP_PORT", false],
];
for (const [name, secret] of names) {
  test(`looksSecret(${name}) is ${secret}`, () => assert.is(looksSecret(name), secret));
}

test.run();
