{
  description = "khepri: compose files and Nix-declared compositions as NixOS oci-containers";

  # Users can pass theirs: `khepri.inputs.nixpkgs.follows = "nixpkgs";`
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      # The converter runs on macOS too (`nix run .#convert`); the module and VM tests are Linux.
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: rec {
        khepri = pkgs.callPackage ./nix/package.nix { };
        default = khepri;
      });

      # `nix run .#convert -- -f compose.yaml -o stack.nix`: the arguments are `khepri convert`'s.
      apps = forAllSystems (
        pkgs:
        let
          khepri = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
          convert = {
            type = "app";
            program = toString (
              pkgs.writeShellScript "khepri-convert" ''exec ${lib.getExe khepri} convert "$@"''
            );
            meta.description = "Convert compose files or a composition spec into a NixOS module";
          };
        in
        {
          inherit convert;
          default = convert;
        }
      );

      overlays.default = final: _prev: {
        khepri = final.callPackage ./nix/package.nix { };
      };

      nixosModules = {
        default = import ./nix/module.nix { khepriPackages = self.packages; };
        khepri = self.nixosModules.default;
      };

      lib = import ./nix/lib.nix {
        inherit lib;
        module = self.nixosModules.default;
      };

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs
            pkgs.nixfmt
          ];
        };
      });

      # `nix fmt`: nixfmt (RFC 166 style) over the tree.
      formatter = forAllSystems (pkgs: pkgs.nixfmt-tree);

      checks = forAllSystems (
        pkgs:
        let
          inherit (pkgs.stdenv.hostPlatform) system isLinux;
          khepri = self.packages.${system}.default;
          vmTest =
            backend:
            import ./nix/tests/vm.nix {
              inherit pkgs backend;
              module = self.nixosModules.default;
            };
        in
        {
          package = khepri;
          tests = pkgs.callPackage ./nix/tests/unit.nix { inherit khepri; };
          # docs/options.md is generated from the module's option declarations.
          options-doc =
            pkgs.runCommand "khepri-options-doc"
              {
                nativeBuildInputs = [ pkgs.nodejs ];
                options = builtins.toJSON (import ./nix/options-doc.nix { inherit lib; });
                passAsFile = [ "options" ];
              }
              ''
                node ${./scripts/options-doc.mjs} --from-json "$optionsPath" \
                  --output ${./docs/options.md} --check
                touch "$out"
              '';
        }
        // lib.optionalAttrs isLinux {
          vm-docker = vmTest "docker";
          vm-podman = vmTest "podman";
        }
      );
    };
}
