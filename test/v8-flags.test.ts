// Setting V8 flags at run time (src/cli/v8Flags.ts), as the large-input switch does: through V8's
// binding when process.binding gives it, else through node:v8; never a warning on stderr.
import { transformSync } from "esbuild";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { setV8Flags, type BindingHost } from "../src/cli/v8Flags.ts";

/** A stand-in for node:v8 that records what it was asked to set. */
function recorder() {
  const set: string[] = [];
  return { set, setter: () => ({ setFlagsFromString: (f: string) => void set.push(f) }) };
}

// [case, the host's binding, set through the binding?]
const HOSTS: [string, BindingHost["binding"], boolean][] = [
  ["process.binding gives V8's binding", () => ({ setFlagsFromString: () => {} }), true],
  ["process.binding is gone", undefined, false],
  ["process.binding refuses (permission model)", () => { throw new Error("Access to this API has been restricted"); }, false],
  ["the binding lacks setFlagsFromString", () => ({}), false],
];

for (const [name, binding, viaBinding] of HOSTS) {
  for (const noDeprecation of [undefined, false, true]) {
    test(`${name}, noDeprecation ${noDeprecation}: the flags are set once, by the right route, and noDeprecation is left as it was`, () => {
      const viaBindingSet: string[] = [];
      let quietDuringCall: boolean | undefined;
      const host: BindingHost = { noDeprecation };
      if (binding) {
        host.binding = (module) => {
          quietDuringCall = host.noDeprecation;
          assert.is(module, "v8");
          const b = binding(module) as { setFlagsFromString?: unknown };
          return b && "setFlagsFromString" in b ? { setFlagsFromString: (f: string) => void viaBindingSet.push(f) } : b;
        };
      }
      const nodeV8 = recorder();
      setV8Flags("--sparkplug", host, nodeV8.setter);
      assert.equal(viaBindingSet, viaBinding ? ["--sparkplug"] : []);
      assert.equal(nodeV8.set, viaBinding ? [] : ["--sparkplug"]);
      assert.is(host.noDeprecation, noDeprecation);
      // the one-time deprecation warning is silenced for the call
      if (binding) assert.is(quietDuringCall, true);
    });
  }
}

test("in a real node: the flag takes effect, node:v8 is not loaded where the binding exists, and nothing is printed", () => {
  // the module as CommonJS, run in a fresh node where nothing has touched process.binding yet
  const { code } = transformSync(readFileSync("src/cli/v8Flags.ts", "utf8"), { loader: "ts", format: "cjs" });
  const probe = `
    const module = { exports: {} }; const exports = module.exports;
    ${code}
    const warnings = [];
    process.on("warning", (w) => warnings.push(w.name + ": " + w.message));
    const bindingExists = (() => { try { return typeof process.binding === "function"; } catch { return false; } })();
    module.exports.setV8Flags("--allow-natives-syntax");
    // only with the flag set does the parser take V8's %-functions
    new Function("return %IsBeingInterpreted()");
    setImmediate(() => console.log(JSON.stringify({ warnings, bindingExists, loadedNodeV8: process.moduleLoadList.includes("NativeModule v8") })));
  `;
  const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
  assert.is(r.stderr, "");
  assert.is(r.status, 0);
  const result = JSON.parse(r.stdout) as { warnings: string[]; bindingExists: boolean; loadedNodeV8: boolean };
  assert.equal(result.warnings, []);
  if (result.bindingExists) assert.is(result.loadedNodeV8, false, "node:v8 loaded although process.binding exists");
});

test.run();
