// Injects one mistake into the text of a real, valid compose file, keeping everything else byte for
// byte, and says where the mistake is: the line a located error must point to and its key path.
// Used by test/bad-input.test.ts on the awesome-compose corpus.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";

export type MutationKind = "misspelled-scalar-key" | "misspelled-block-key" | "number-as-word" | "list-for-string" | "broken-port";

export interface Mutation {
  kind: MutationKind;
  /** what was done, for failure messages */
  description: string;
  text: string;
  /** 1-based line of the mistake in the mutated text */
  line: number;
  /** key path the error must name */
  keyPath: (string | number)[];
  /** what the message must say */
  message: RegExp;
}

interface ServiceEntry {
  name: string;
  map: YAMLMap;
}

const start = (n: unknown): number => (n as Node).range![0];
const end = (n: unknown): number => (n as Node).range![1];

/** A typo that keeps the key readable: two inner letters swapped ("image" -> "imgae"). */
export function misspell(key: string): string {
  for (let i = 1; i + 1 < key.length; i++) {
    if (key[i] !== key[i + 1] && /[a-z]/.test(key[i]!) && /[a-z]/.test(key[i + 1]!)) {
      return key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
    }
  }
  return `${key}x`;
}

function blockServices(text: string): { services: ServiceEntry[]; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true });
  if (doc.errors.length) throw new Error(`mutate: not valid YAML: ${doc.errors[0]!.message}`);
  const services = doc.get("services", true);
  const out: ServiceEntry[] = [];
  if (isMap(services) && !services.flow) {
    for (const pair of services.items) {
      if (isScalar(pair.key) && isMap(pair.value) && !pair.value.flow && pair.value.items.length > 0) {
        out.push({ name: String(pair.key.value), map: pair.value });
      }
    }
  }
  return { services: out, lines };
}

const keyOf = (pair: Pair): string => String((pair.key as { value: unknown }).value);
const has = (svc: ServiceEntry, key: string) => svc.map.items.some((p) => keyOf(p) === key);
const splice = (text: string, from: number, to: number, insert: string) => text.slice(0, from) + insert + text.slice(to);

function renameKey(text: string, lines: LineCounter, svc: ServiceEntry, pair: Pair, kind: MutationKind): Mutation {
  const key = keyOf(pair);
  const typo = misspell(key);
  return {
    kind,
    description: `services.${svc.name}.${key} renamed to ${typo}`,
    text: splice(text, start(pair.key), end(pair.key), typo),
    line: lines.linePos(start(pair.key)).line,
    keyPath: ["services", svc.name, typo],
    message: new RegExp(`unknown key "${typo}"`),
  };
}

/** A new `key: value` line written just above the service's first key, at its indentation. */
function insertLine(text: string, lines: LineCounter, svc: ServiceEntry, line: string, kind: MutationKind, key: string, message: RegExp): Mutation {
  const first = svc.map.items[0]!;
  const at = start(first.key);
  const { line: lineNo, col } = lines.linePos(at);
  const lineStart = at - (col - 1);
  return {
    kind,
    description: `"${line}" added to services.${svc.name} at line ${lineNo}`,
    text: splice(text, lineStart, lineStart, `${" ".repeat(col - 1)}${line}\n`),
    line: lineNo,
    keyPath: ["services", svc.name, key],
    message,
  };
}

/** Every mutation that applies to this file (each from the unmodified text). */
export function mutationsOf(text: string): Mutation[] {
  const { services, lines } = blockServices(text);
  const out: Mutation[] = [];
  if (services.length === 0) return out;

  // a misspelled key whose value is a scalar on the same line (image: x -> imgae: x)
  for (const svc of services) {
    const pair = svc.map.items.find((p) => isScalar(p.key) && isScalar(p.value) && keyOf(p).length >= 4);
    if (pair) {
      out.push(renameKey(text, lines, svc, pair, "misspelled-scalar-key"));
      break;
    }
  }

  // a misspelled key whose value is a block list or mapping on the following lines (ports: -> prots:)
  for (const svc of services) {
    const pair = svc.map.items.find(
      (p) => isScalar(p.key) && (isSeq(p.value) || isMap(p.value)) && !(p.value as { flow?: boolean }).flow && keyOf(p).length >= 4,
    );
    if (pair) {
      out.push(renameKey(text, lines, svc, pair, "misspelled-block-key"));
      break;
    }
  }

  const target = services[0]!;
  if (!has(target, "cpus")) {
    out.push(insertLine(text, lines, target, "cpus: lots", "number-as-word", "cpus", /expected a number, got "lots"/));
  }
  const stringKey = ["hostname", "domainname", "stop_signal"].find((k) => !has(target, k));
  if (stringKey) {
    out.push(insertLine(text, lines, target, `${stringKey}: [web, www]`, "list-for-string", stringKey, /expected a string/));
  }

  // a broken port: the first short-syntax port of a service, or a new ports list
  let port: Mutation | undefined;
  for (const svc of services) {
    const ports = svc.map.items.find((p) => keyOf(p) === "ports")?.value;
    if (!isSeq(ports) || ports.flow) continue;
    const item = ports.items[0];
    if (!isScalar(item)) continue;
    port = {
      kind: "broken-port",
      description: `services.${svc.name}.ports[0] ${JSON.stringify(String(item.value))} replaced by "80:abc"`,
      text: splice(text, start(item), end(item), '"80:abc"'),
      line: lines.linePos(start(item)).line,
      keyPath: ["services", svc.name, "ports", 0],
      message: /"80:abc" is not a port/,
    };
    break;
  }
  if (!port && !has(target, "ports")) {
    port = insertLine(text, lines, target, 'ports: ["80:abc"]', "broken-port", "ports", /"80:abc" is not a port/);
    port.keyPath.push(0);
  }
  if (port) out.push(port);
  return out;
}
