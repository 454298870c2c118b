// Expected layouts of the Nix printer (nixfmt RFC 166 style) for representative trees.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  apply,
  attrs,
  binding,
  bool,
  comment,
  float,
  formatAttrName,
  inherit,
  int,
  interp,
  lambda,
  let_,
  list,
  nul,
  path,
  printNix,
  ref,
  select,
  str,
  with_,
} from "../src/print/nix/index.ts";
import type { Expr } from "../src/print/nix/index.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skipUnless } from "./support/shared.ts";

const lines = (...ls: string[]): string => ls.join("\n") + "\n";

const webContainer = attrs([
  binding("image", str("nginx:1.25")),
  binding("ports", list([str("127.0.0.1:8080:80")])),
  binding("environment", attrs([binding("TZ", str("UTC"))])),
  binding("volumes", list([str("/srv/web:/usr/share/nginx/html:ro"), str("/srv/logs:/var/log/nginx")])),
  binding("dependsOn", list([])),
  binding("labels", attrs([])),
  binding("log-driver", str("journald")),
]);

const cases: [name: string, tree: Expr, expected: string][] = [
  [
    "NixOS module with containers",
    lambda(
      { params: ["config", "lib", "pkgs"], ellipsis: true },
      attrs([
        comment("Runtime"),
        binding(["virtualisation", "docker", "enable"], bool(true)),
        binding(["virtualisation", "oci-containers", "backend"], str("docker")),
        comment("Containers"),
        binding(["virtualisation", "oci-containers", "containers", "web"], webContainer),
        binding(["systemd", "services", "docker-web", "serviceConfig"], attrs([
          binding("Restart", apply(ref("lib.mkOverride"), [int(90), str("always")])),
          binding("RestartMaxDelaySec", apply(ref("lib.mkOverride"), [int(90), str("1m")])),
        ])),
      ]),
    ),
    lines(
      "{",
      "  config,",
      "  lib,",
      "  pkgs,",
      "  ...",
      "}:",
      "{",
      "  # Runtime",
      "  virtualisation.docker.enable = true;",
      '  virtualisation.oci-containers.backend = "docker";',
      "",
      "  # Containers",
      "  virtualisation.oci-containers.containers.web = {",
      '    image = "nginx:1.25";',
      '    ports = [ "127.0.0.1:8080:80" ];',
      "    environment = {",
      '      TZ = "UTC";',
      "    };",
      "    volumes = [",
      '      "/srv/web:/usr/share/nginx/html:ro"',
      '      "/srv/logs:/var/log/nginx"',
      "    ];",
      "    dependsOn = [ ];",
      "    labels = { };",
      '    log-driver = "journald";',
      "  };",
      "  systemd.services.docker-web.serviceConfig = {",
      '    Restart = lib.mkOverride 90 "always";',
      '    RestartMaxDelaySec = lib.mkOverride 90 "1m";',
      "  };",
      "}",
    ),
  ],
  [
    "systemd service with a multi-line script",
    attrs([
      binding(["systemd", "services", "docker-network-app"], attrs([
        binding("path", list([ref("pkgs.docker")])),
        binding(["serviceConfig", "Type"], str("oneshot")),
        binding(["serviceConfig", "RemainAfterExit"], bool(true)),
        binding(["serviceConfig", "ExecStop"], interp([ref("pkgs.docker"), "/bin/docker network rm -f app"])),
        binding("script", str("docker network inspect app || docker network create app\necho \"${NETWORK:-app}\" '$HOME'\n")),
        binding("wantedBy", list([str("multi-user.target")])),
      ])),
    ]),
    lines(
      "{",
      "  systemd.services.docker-network-app = {",
      "    path = [ pkgs.docker ];",
      '    serviceConfig.Type = "oneshot";',
      "    serviceConfig.RemainAfterExit = true;",
      '    serviceConfig.ExecStop = "${pkgs.docker}/bin/docker network rm -f app";',
      "    script = ''",
      "      docker network inspect app || docker network create app",
      "      echo \"''${NETWORK:-app}\" '$HOME'",
      "    '';",
      '    wantedBy = [ "multi-user.target" ];',
      "  };",
      "}",
    ),
  ],
  [
    "lists",
    attrs([
      binding("one", list([str("x")])),
      binding("two", list([int(1), int(2)])),
      binding("numbers", list([int(-1), float(-0.5), float(2), float(1e21)])),
      binding("long", list([str("a".repeat(90))])),
      binding("sets", list([attrs([binding("a", int(1))]), attrs([binding("a", int(1)), binding("b", int(2))])])),
      binding("calls", list([apply(ref("lib.mkIf"), [ref("x"), str("y")]), ref("pkgs.hello")])),
      binding("commented", list([comment("first"), str("a"), comment("second"), str("b")])),
      // a line break in a comment's text starts a new `#` line (it would end the comment and go on
      // as code); invisible characters are shown as \uXXXX
      binding("hostile", list([comment("one\r\n} { x = 1;\u202e\u{e0041}\x1b"), str("c")])),
    ]),
    lines(
      "{",
      '  one = [ "x" ];',
      "  two = [",
      "    1",
      "    2",
      "  ];",
      "  numbers = [",
      "    (-1)",
      "    (-0.5)",
      "    2.0",
      "    1.0e+21",
      "  ];",
      "  long = [",
      `    "${"a".repeat(90)}"`,
      "  ];",
      "  sets = [",
      "    { a = 1; }",
      "    {",
      "      a = 1;",
      "      b = 2;",
      "    }",
      "  ];",
      "  calls = [",
      '    (lib.mkIf x "y")',
      "    pkgs.hello",
      "  ];",
      "  commented = [",
      "    # first",
      '    "a"',
      "",
      "    # second",
      '    "b"',
      "  ];",
      "  hostile = [",
      "    # one",
      "    # } { x = 1;\\u202e\\udb40\\udc41\\u001b",
      '    "c"',
      "  ];",
      "}",
    ),
  ],
  [
    "function application",
    attrs([
      binding("restart", apply(ref("lib.mkOverride"), [int(90), str("always")])),
      binding("single", apply(ref("lib.mkIf"), [select(ref("config"), ["services", "web", "enable"]), attrs([binding("a", int(1))])])),
      binding("multi", apply(ref("lib.mkIf"), [ref("cfg.enable"), attrs([binding("a", int(1)), binding("b", nul())])])),
      binding("optionals", apply(ref("lib.optionals"), [ref("cfg.enable"), list([str("a"), str("b")])])),
      binding("innerList", apply(ref("lib.attrByPath"), [list([str("services"), str("web")]), nul(), ref("config")])),
      binding("twoLists", apply(ref("lib.zipLists"), [list([int(1), int(2)]), list([int(3), int(4)])])),
      binding("tooLong", apply(ref("lib.someFunction"), [str("a".repeat(40)), str("b".repeat(40)), ref("c")])),
      binding("script", apply(ref("lib.mkForce"), [str("set -e\necho hi\n")])),
      binding("nested", apply(apply(ref("f"), [apply(ref("g"), [int(1)])]), [int(-2)])),
      binding("withBody", with_(ref("lib"), attrs([binding("a", ref("b")), binding("c", ref("d"))]))),
    ]),
    lines(
      "{",
      '  restart = lib.mkOverride 90 "always";',
      "  single = lib.mkIf config.services.web.enable { a = 1; };",
      "  multi = lib.mkIf cfg.enable {",
      "    a = 1;",
      "    b = null;",
      "  };",
      "  optionals = lib.optionals cfg.enable [",
      '    "a"',
      '    "b"',
      "  ];",
      '  innerList = lib.attrByPath [ "services" "web" ] null config;',
      "  twoLists = lib.zipLists [ 1 2 ] [ 3 4 ];",
      "  tooLong =",
      `    lib.someFunction "${"a".repeat(40)}"`,
      `      "${"b".repeat(40)}"`,
      "      c;",
      "  script = lib.mkForce ''",
      "    set -e",
      "    echo hi",
      "  '';",
      "  nested = f (g 1) (-2);",
      "  withBody = with lib; {",
      "    a = b;",
      "    c = d;",
      "  };",
      "}",
    ),
  ],
  [
    "broken call inside a list gets its own closing paren",
    list([apply(ref("lib.someFunction"), [attrs([binding("a", int(1)), binding("b", int(2))]), ref("x")]), ref("y")]),
    lines(
      "[",
      "  (lib.someFunction",
      "    {",
      "      a = 1;",
      "      b = 2;",
      "    }",
      "    x",
      "  )",
      "  y",
      "]",
    ),
  ],
  [
    "quoted and bare attribute names",
    attrs([
      binding("docker-web", int(1)),
      binding("foo.bar", int(2)),
      binding("${x}", int(3)),
      binding("with", int(4)),
      binding("1abc", int(5)),
      binding("", int(6)),
      binding(["services", "nginx", "virtualHosts", "example.com", "root"], path("./www")),
      binding("a'b_c-d", int(7)),
      binding("é", int(8)),
      binding('say "hi"\n', int(9)),
    ]),
    lines(
      "{",
      "  docker-web = 1;",
      '  "foo.bar" = 2;',
      '  "\\${x}" = 3;',
      '  "with" = 4;',
      '  "1abc" = 5;',
      '  "" = 6;',
      '  services.nginx.virtualHosts."example.com".root = ./www;',
      "  a'b_c-d = 7;",
      '  "é" = 8;',
      '  "say \\"hi\\"\\n" = 9;',
      "}",
    ),
  ],
  [
    "empty sets and lists",
    attrs([binding("a", attrs([])), binding("b", list([])), binding("c", attrs([], { rec: true })), binding("d", apply(ref("f"), [attrs([])]))]),
    lines("{", "  a = { };", "  b = [ ];", "  c = rec { };", "  d = f { };", "}"),
  ],
  ["empty top-level set", attrs([]), "{ }\n"],
  [
    "string escaping",
    attrs([
      binding("plain", str('say "hi" \\ ${HOME} $HOME $${x}\t\r')),
      binding("dollarBeforeInterp", interp(["$", ref("x"), "${y}"])),
      binding("tricky", str("echo '${HOME}' ''quoted'' $\n  indented\n\ttab\n")),
      binding("noFinalNewline", str("a\nb")),
      binding("allIndented", str("  a\n  b\n")),
      binding("trailingSpaces", str("a\n  ")),
      binding("endsInQuote", str("a\nb'")),
      binding("shebang", interp(["#!/bin/sh\nexec ", ref("pkgs.docker"), '/bin/docker "$@"\n'])),
    ]),
    lines(
      "{",
      '  plain = "say \\"hi\\" \\\\ \\${HOME} $HOME $\\${x}\\t\\r";',
      '  dollarBeforeInterp = "\\$${x}\\${y}";',
      "  tricky = ''",
      "    echo ''\\'''${HOME}' '''quoted''' $",
      "      indented",
      "    \ttab",
      "  '';",
      "  noFinalNewline = ''",
      "    a",
      "    b'';",
      "  allIndented = ''",
      "    ''\\  a",
      "      b",
      "  '';",
      "  trailingSpaces = ''",
      "    a",
      "    ''\\  '';",
      "  endsInQuote = ''",
      "    a",
      "    b''\\''';",
      "  shebang = ''",
      "    #!/bin/sh",
      '    exec ${pkgs.docker}/bin/docker "$@"',
      "  '';",
      "}",
    ),
  ],
  [
    "let, inherit, lambdas and with",
    let_(
      [
        binding("cfg", select(ref("config"), ["services", "khepri"])),
        inherit(["a", "b", "c", "d"]),
        inherit(["docker"], ref("pkgs")),
        binding("f", lambda("x", apply(ref("builtins.toString"), [ref("x")]))),
        binding("g", lambda({ params: ["lib", "pkgs"] }, ref("lib"))),
      ],
      with_(ref("lib"), attrs([binding("a", ref("cfg")), binding("b", apply(ref("f"), [int(1)]))])),
    ),
    lines(
      "let",
      "  cfg = config.services.khepri;",
      "  inherit",
      "    a",
      "    b",
      "    c",
      "    d",
      "    ;",
      "  inherit (pkgs) docker;",
      "  f = x: builtins.toString x;",
      "  g =",
      "    { lib, pkgs }:",
      "    lib;",
      "in",
      "with lib;",
      "{",
      "  a = cfg;",
      "  b = f 1;",
      "}",
    ),
  ],
  [
    "short lambda header stays on one line",
    lambda({ params: ["lib"], ellipsis: true }, attrs([binding("x", int(1)), binding("y", int(2))])),
    lines("{ lib, ... }:", "{", "  x = 1;", "  y = 2;", "}"),
  ],
  [
    "parameter defaults force the expanded header",
    lambda({ params: [{ name: "pkgs", default: apply(ref("import"), [path("<nixpkgs>"), attrs([])]) }] }, ref("pkgs")),
    lines("{", "  pkgs ? import <nixpkgs> { },", "}:", "pkgs"),
  ],
];

for (const [name, tree, expected] of cases) {
  test(name, () => {
    assert.fixture(printNix(tree), expected);
  });
}

test("output is deterministic and ends with exactly one newline", () => {
  for (const [, tree] of cases) {
    const a = printNix(tree);
    assert.is(printNix(tree), a);
    assert.ok(a.endsWith("\n") && !a.endsWith("\n\n"));
    assert.not.match(a, /[ \t]\n(?![\s\S]*'')/, "no trailing whitespace outside strings");
  }
});

test("singletons expand when they do not fit in 100 columns", () => {
  const long = "x".repeat(80);
  assert.fixture(printNix(list([str(long)])), `[ "${long}" ]\n`);
  assert.fixture(printNix(list([str(long + "y".repeat(20))])), `[\n  "${long}${"y".repeat(20)}"\n]\n`);
  assert.fixture(printNix(attrs([binding("k", attrs([binding("v", str(long))]))])), `{\n  k = {\n    v = "${long}";\n  };\n}\n`);
});

test("attribute names are bare only when they are identifiers and not keywords", () => {
  for (const bare of ["a", "_x", "docker-web", "a'", "A1", "true", "null"]) assert.is(formatAttrName(bare), bare);
  for (const kw of ["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"]) assert.is(formatAttrName(kw), `"${kw}"`);
  for (const q of ["-a", "1", "'a", "a.b", "a b", "", "ü"]) assert.is(formatAttrName(q), JSON.stringify(q));
});

test("constructors reject what Nix cannot express", () => {
  assert.throws(() => str("a\0b"), /NUL/);
  assert.throws(() => interp(["\0", ref("x")]), /NUL/);
  assert.throws(() => int(1.5), /integer/);
  assert.throws(() => int(2n ** 63n), /range/);
  assert.throws(() => float(Number.NaN), /NaN/);
  assert.throws(() => path("foo"), /path/);
  assert.throws(() => path("./a b"), /path/);
  assert.throws(() => path("./a/"), /path/);
  assert.throws(() => ref("1x"), /variable/);
  assert.throws(() => apply(ref("f"), []), /argument/);
  assert.throws(() => attrs([binding([], int(1))]), /empty/);
  assert.throws(() => inherit(["a-b c"]), /inherit/);
  path("./foo");
  path("/etc/nixos");
  path("~/x");
  path("<nixpkgs>");
  path("../a/b.nix");
});

const hasNix = spawnSync("nix-instantiate", ["--version"]).status === 0;
const skipParse = skipUnless(hasNix, "nix parse of expected layouts", "nix-instantiate not found (apt-get install nix-bin)");

(skipParse ? test.skip : test)("every expected layout parses with nix-instantiate", () => {
  // `with { };` turns the free variables (lib, pkgs, ...) into dynamic lookups, so parsing
  // does not reject them; the files are joined into one list for a single process.
  const file = cases.map(([, , text]) => `(with { }; ${text.replace(/\n$/, "")})`).join("\n");
  const dir = mkdtempSync(join(tmpdir(), "khepri-nix-parse-"));
  try {
    writeFileSync(join(dir, "all.nix"), `[\n${file}\n]\n`);
    const run = spawnSync("nix-instantiate", ["--store", "dummy://", "--parse", join(dir, "all.nix")], { encoding: "utf8" });
    assert.is(run.status, 0, run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
