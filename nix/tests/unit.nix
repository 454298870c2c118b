# The repository's test suite (`npm test`: typecheck, bundle, uvu tests) as a flake check. Tests
# that need ../shared, nix-instantiate or the cached nixpkgs pieces print SKIP in the sandbox.
{
  lib,
  buildNpmPackage,
  importNpmLock,
  nodejs,
  khepri,
}:

buildNpmPackage {
  pname = "khepri-tests";
  inherit (khepri) version npmDeps;
  inherit nodejs;
  npmConfigHook = importNpmLock.npmConfigHook;

  src = lib.fileset.toSource {
    root = ../..;
    fileset = lib.fileset.unions [
      ../../package.json
      ../../package-lock.json
      ../../tsconfig.json
      ../../scripts
      ../../src
      ../../test
      ../../examples
      ../../docs
      ../../nix
      ../../flake.nix
      ../../flake.lock
    ];
  };

  dontNpmBuild = true;
  doCheck = true;
  checkPhase = ''
    runHook preCheck
    npm test
    runHook postCheck
  '';

  installPhase = ''
    runHook preInstall
    touch "$out"
    runHook postInstall
  '';
}
