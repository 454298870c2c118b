# The khepri converter: dist/khepri.cjs, one self-contained esbuild bundle, run by nodejs.
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

  # `npm run build` (scripts/build.mjs) writes dist/khepri.cjs and dist/LICENSES.txt. Nothing
  # from node_modules is needed at run time (the bundle holds yaml and zod), so only dist/ is installed.
  nativeBuildInputs = [ makeWrapper ];
  installPhase = ''
    runHook preInstall
    install -Dm644 dist/khepri.cjs "$out/lib/khepri/khepri.cjs"
    install -Dm644 dist/LICENSES.txt "$out/share/doc/khepri/LICENSES.txt"
    # `--` ends node's options: node 20 takes `--env-file` from anywhere on its command line,
    # khepri's own included
    makeWrapper ${lib.getExe nodejs} "$out/bin/khepri" --add-flags "-- $out/lib/khepri/khepri.cjs"
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
