# The options of khepri's NixOS module as a JSON-able list, rendered into docs/options.md by
# scripts/options-doc.mjs (also a flake check and a test, so the document follows the module).
#
# Only the option declarations are evaluated: no nixpkgs, no `pkgs`, nothing built.
{ lib }:

let
  eval = lib.evalModules {
    modules = [
      (import ./module.nix { })
      {
        # The module's config sets NixOS options (systemd, oci-containers) not declared here.
        _module.check = false;
      }
    ];
  };

  # Declarations as repository-relative paths, the same from a checkout or the store.
  relative =
    file:
    let
      m = builtins.match ".*/(nix/[^/]+[.]nix)" (toString file);
    in
    if m == null then toString file else lib.head m;

  visible = builtins.filter (o: o.visible && !o.internal && lib.hasPrefix "khepri." o.name) (
    lib.optionAttrSetToDocList eval.options
  );
in
map (
  o:
  {
    inherit (o) name description type;
    readOnly = o.readOnly or false;
    declarations = map relative o.declarations;
  }
  // lib.optionalAttrs (o ? default) { inherit (o) default; }
  // lib.optionalAttrs (o ? example) { inherit (o) example; }
) visible
