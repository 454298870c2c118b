# The khepri converter: the esbuild chunks in dist/ (self-contained; entry dist/khepri.cjs) run by nodejs.
{
  lib,
  buildNpmPackage,
  importNpmLock,
  makeWrapper,
  nodejs,
}:

let
  packageJson = lib.importJSON ../package.json;

  # Only what the build reads, so editing docs, tests or Nix files does not rebuild it.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../package.json
      ../package-lock.json
      ../tsconfig.json
      ../scripts/build.mjs
      ../src
    ];
  };
in
buildNpmPackage {
  pname = "khepri";
  inherit (packageJson) version;
  inherit src nodejs;

  # Dependencies come from package-lock.json (its integrity hashes): no hash to maintain here.
  npmDeps = importNpmLock {
    npmRoot = lib.fileset.toSource {
      root = ../.;
      fileset = lib.fileset.unions [
        ../package.json
        ../package-lock.json
      ];
    };
  };
  npmConfigHook = importNpmLock.npmConfigHook;

  # `npm run build` (scripts/build.mjs) writes dist/: the loader, its chunks and their V8 code
  # caches (made with this nodejs; the chunks run without them, slower to start). Nothing from
  # node_modules is needed at run time, so only dist/ is installed.
  nativeBuildInputs = [ makeWrapper ];
  installPhase = ''
    runHook preInstall
    for file in dist/*; do
      case "$file" in
        # licences of the bundled dependencies (esbuild's legalComments = "linked")
        *.LEGAL.txt) install -Dm644 "$file" "$out/share/doc/khepri/$(basename "$file")" ;;
        *) install -Dm644 "$file" "$out/lib/khepri/$(basename "$file")" ;;
      esac
    done
    # node starts with the V8 flags the loader's `#!` line names (dist/node-flags, see
    # scripts/build.mjs): the code caches were made under them. `--` ends node's options: node 20
    # takes `--env-file` from anywhere on its command line, khepri's own included.
    makeWrapper ${lib.getExe nodejs} "$out/bin/khepri" \
      --add-flags "$(< dist/node-flags) -- $out/lib/khepri/khepri.cjs"
    runHook postInstall
  '';

  doInstallCheck = true;
  installCheckPhase = ''
    runHook preInstallCheck
    "$out/bin/khepri" --version
    runHook postInstallCheck
  '';

  meta = {
    description = packageJson.description;
    license = lib.licenses.mit;
    mainProgram = "khepri";
    inherit (nodejs.meta) platforms;
  };
}
