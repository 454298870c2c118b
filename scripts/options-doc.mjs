// Writes docs/options.md, the reference of khepri's NixOS module options, from the module's own
// declarations (nix/options-doc.nix evaluates them with nixpkgs' lib; no nixpkgs, nothing built).
//
//   node scripts/options-doc.mjs                    regenerate docs/options.md
//   node scripts/options-doc.mjs --check            exit 1 when docs/options.md is out of date
//   node scripts/options-doc.mjs --from-json FILE   render options JSON made elsewhere (the flake
//                                                   check evaluates nix/options-doc.nix itself)
//   --output FILE                                   another document than docs/options.md
//
// nixpkgs' lib is found like the tests find it: KHEPRI_NIXPKGS_LIB, else
// ~/.cache/khepri-test/nixpkgs.lib (a nix-community/nixpkgs.lib checkout, or its lib/).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv) {
  const args = { check: false, fromJson: undefined, output: path.join(root, "docs", "options.md") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--check") args.check = true;
    else if (a === "--from-json") args.fromJson = argv[++i];
    else if (a === "--output") args.output = argv[++i];
    else throw new Error(`options-doc: unknown argument ${a}`);
  }
  return args;
}

export function findNixpkgsLib() {
  const source = process.env.KHEPRI_NIXPKGS_LIB || path.join(os.homedir(), ".cache", "khepri-test", "nixpkgs.lib");
  for (const dir of [path.join(source, "lib"), source]) {
    if (existsSync(path.join(dir, "default.nix")) && existsSync(path.join(dir, "modules.nix"))) return dir;
  }
  return undefined;
}

/** Evaluates nix/options-doc.nix; returns the options list. */
export function evalOptions(nixpkgsLib, nixInstantiate = "nix-instantiate") {
  const q = (p) => JSON.stringify(p).replace(/\$/g, "\\$");
  const expr = `import (/. + ${q(path.join(root, "nix", "options-doc.nix"))}) { lib = import (/. + ${q(nixpkgsLib)}); }`;
  const run = spawnSync(
    nixInstantiate,
    ["--eval", "--strict", "--json", "--option", "substituters", "", "--store", "dummy://", "--expr", expr],
    { encoding: "utf8", env: { ...process.env, NIX_PATH: "" }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error) throw new Error(`options-doc: cannot run ${nixInstantiate}: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`options-doc: evaluating nix/options-doc.nix failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** nixpkgs' MyST roles (`{option}` and friends) as plain Markdown code. */
const markdown = (text) => text.trim().replace(/\{(?:option|var|env|command|file)\}`([^`]*)`/g, "`$1`");

function value(v) {
  if (v && typeof v === "object" && (v._type === "literalExpression" || v._type === "literalMD")) {
    if (v._type === "literalMD") return { inline: false, text: markdown(v.text), md: true };
    return { inline: !v.text.includes("\n"), text: v.text.trimEnd() };
  }
  const text = JSON.stringify(v, null, 2);
  return { inline: !text.includes("\n"), text };
}

function field(label, v) {
  const { inline, text, md } = value(v);
  if (md) return [`*${label}:* ${text}`, ""];
  if (inline) return [`*${label}:* \`${text}\``, ""];
  return [`*${label}:*`, "", "```nix", text, "```", ""];
}

export function render(options) {
  const lines = [
    "# NixOS module options",
    "",
    "<!-- Generated from nix/module.nix by `node scripts/options-doc.mjs`. Do not edit: a test and a flake check compare it with the module. -->",
    "",
    "Options of `khepri.nixosModules.default`. A service option left at `null` is not set by Nix: the",
    "compose files (`composeFile`) or compose's own default decide, as with a compose override file.",
    "",
  ];
  for (const o of options) {
    lines.push(`## \`${o.name}\``, "");
    if (o.description) lines.push(markdown(o.description), "");
    lines.push(`*Type:* ${o.type}${o.readOnly ? " (read only)" : ""}`, "");
    if ("default" in o) lines.push(...field("Default", o.default));
    if ("example" in o) lines.push(...field("Example", o.example));
    if (o.declarations?.length) lines.push(`*Declared in:* ${o.declarations.map((d) => `[${d}](../${d})`).join(", ")}`, "");
  }
  return lines.join("\n").replace(/\n+$/, "\n");
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  let options;
  if (args.fromJson) {
    options = JSON.parse(readFileSync(args.fromJson, "utf8"));
  } else {
    const lib = findNixpkgsLib();
    if (!lib) {
      console.error("options-doc: nixpkgs lib not found; set KHEPRI_NIXPKGS_LIB to a nix-community/nixpkgs.lib checkout");
      process.exit(2);
    }
    options = evalOptions(lib);
  }
  const text = render(options);
  if (args.check) {
    const current = existsSync(args.output) ? readFileSync(args.output, "utf8") : "";
    if (current !== text) {
      console.error(`options-doc: ${path.relative(process.cwd(), args.output)} is out of date; run node scripts/options-doc.mjs`);
      process.exit(1);
    }
    console.log(`options-doc: ${options.length} options, ${path.relative(process.cwd(), args.output)} is up to date`);
    return;
  }
  writeFileSync(args.output, text);
  console.log(`options-doc: wrote ${options.length} options to ${path.relative(process.cwd(), args.output)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
