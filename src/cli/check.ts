/** `--check`: a short summary of how the file on disk differs from what would be generated. */
export function summarizeDifference(existing: string, generated: string, name: string): string {
  const old = existing.split("\n");
  const now = generated.split("\n");
  let first = 0;
  while (first < old.length && first < now.length && old[first] === now[first]) first++;
  const oldSet = new Set(old);
  const nowSet = new Set(now);
  const removed = old.filter((l) => !nowSet.has(l)).length;
  const added = now.filter((l) => !oldSet.has(l)).length;
  const lines = [`${name} is out of date: ${added} line(s) would be added, ${removed} removed; first difference at line ${first + 1}:`];
  if (first < old.length) lines.push(`- ${old[first]}`);
  if (first < now.length) lines.push(`+ ${now[first]}`);
  lines.push("Run khepri convert again to update it.");
  return lines.join("\n") + "\n";
}
