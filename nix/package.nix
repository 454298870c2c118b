# The khepri converter: the esbuild bundle (dist/khepri.mjs, self-contained) run by nodejs.
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

  # `npm run build` (scripts/build.mjs) writes the bundle; nothing from node_modules is needed
  # at run time, so only the bundle is installed.
  nativeBuildInputs = [ makeWrapper ];
  installPhase = ''
    runHook preInstall
    install -Dm644 dist/khepri.mjs "$out/lib/khepri/khepri.mjs"
    # V8 code cache made by the build with this nodejs (scripts/build.mjs); the bundle runs without it, slower to start
    if [ -e dist/khepri.mjs.cache ]; then install -Dm644 dist/khepri.mjs.cache "$out/lib/khepri/khepri.mjs.cache"; fi
    # licences of the bundled dependencies (esbuild's legalComments = "linked")
    for legal in dist/*.LEGAL.txt; do
      if [ -e "$legal" ]; then
        install -Dm644 "$legal" "$out/share/doc/khepri/$(basename "$legal")"
      fi
    done
    makeWrapper ${lib.getExe nodejs} "$out/bin/khepri" --add-flags "$out/lib/khepri/khepri.mjs"
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
