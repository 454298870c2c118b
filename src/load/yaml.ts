/**
 * YAML text -> raw tree with source positions. Most compose files are read by
 * the fast reader in yamlFast.ts; anything it does not handle (anchors and
 * aliases, `<<` merge keys, the `!reset` / `!override` tags, several documents,
 * invalid YAML) by the yaml package in yamlFull.ts, which gives the same result
 * for what both read.
 */
import { refuseProtoName, type RawValue, type TagsFound } from "./raw.ts";
import { KhepriError } from "../diagnostics/index.ts";
import { parseYamlFast } from "./yamlFast.ts";
import type * as Full from "./yamlFull.ts";

/**
 * Parses every YAML document in `text`; an empty file is one `null` document.
 * `found.tags` is set when a document holds a `!reset` or `!override` tag (so a
 * caller can skip looking for them in the many files without).
 */
export function parseYamlDocuments(text: string, file: string, found?: TagsFound): RawValue[] {
  refuseProtoName(text, file);
  // (the fast reader reads no tags: it leaves a file with any to the yaml package)
  // (the fast reader recurses per nesting level: a file nested too deep for it is left to the yaml
  // package, which says where it is too deep)
  let fast: RawValue | undefined;
  try {
    fast = parseYamlFast(text, file);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  if (fast !== undefined) return [fast];
  // `require`, not `import`: the bundle evaluates the yaml package only when it is needed
  return (require("./yamlFull.ts") as typeof Full).parseYamlDocuments(text, file, found);
}

/** Parses a single-document YAML file (what compose files are). */
export function parseYaml(text: string, file: string, found?: TagsFound): RawValue {
  const docs = parseYamlDocuments(text, file, found);
  if (docs.length > 1) throw new KhepriError("a compose file must hold one YAML document, this one has several", { file, line: 1, col: 1 });
  return docs[0] ?? null;
}
