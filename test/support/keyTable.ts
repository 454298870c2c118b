// The README's compose key table, printed from the planner's own tables so the two cannot drift.
import { RESOURCE_KEYS, SERVICE_KEYS, type Handling } from "../../src/plan/index.ts";

const LABEL: Record<Handling, string> = {
  option: "mapped (typed option)",
  flag: "mapped (run flag)",
  systemd: "mapped (systemd)",
  loader: "used while loading",
  unsupported: "warning",
  "no-effect": "note",
};

const row = (key: string, rule: { handling: Handling; becomes: string }) => `| \`${key}\` | ${LABEL[rule.handling]} | ${rule.becomes} |`;

export function renderKeyTable(): string {
  const lines = ["| service key | status | becomes |", "| --- | --- | --- |"];
  for (const key of Object.keys(SERVICE_KEYS).sort()) lines.push(row(key, SERVICE_KEYS[key as keyof typeof SERVICE_KEYS]));
  for (const [kind, rules] of Object.entries(RESOURCE_KEYS)) {
    lines.push("", `| ${kind} key | status | becomes |`, "| --- | --- | --- |");
    for (const [key, rule] of Object.entries(rules)) lines.push(row(key, rule as { handling: Handling; becomes: string }));
  }
  return lines.join("\n");
}

/** Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${start} ... ${end} section`);
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}
