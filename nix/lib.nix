# The flake's `lib`: functions that need no `pkgs`.
{
  lib,
  # the NixOS module (`nixosModules.default`) the functions build on
  module,
}:

{
  /**
    A NixOS module running a compose project: the compose files are the source of truth, converted
    while the system is built (import-from-derivation); no generated file is committed.

    It is a composition of `khepri.compositions` (and imports the khepri module), so everything
    those options do applies, and the remaining arguments are passed on as its options.

    # Example

    ```nix
    khepri.lib.composeModule {
      composeFile = ./mealie/compose.yaml;
      projectDirectory = "/srv/mealie";
      services.mealie.environment.TZ = "Europe/Berlin";
    }
    ```

    # Arguments

    - `composeFile`, `composeFiles`: a compose file, or several merged in order (paths).
    - `includes`: the files they `include:` or `extends: file:` (paths); only these and the
      compose files are copied into the store, keeping their places relative to each other.
    - `envFiles`: files of variables for `${VAR}` interpolation (copied into the store).
    - `profiles`: compose profiles to activate.
    - `projectName`: the project name; by default the base name of `projectDirectory`, else of
      the first compose file's directory.
    - `projectDirectory`: host directory relative paths resolve against (a string, never copied).
    - `autoStart`, `enable`, `services`, `networks`, `volumes`, `secrets`, `configs`: as in
      `khepri.compositions.<name>`.
  */
  composeModule =
    {
      composeFile ? null,
      composeFiles ? [ ],
      projectName ? null,
      projectDirectory ? null,
      ...
    }@args:
    let
      files = lib.optional (composeFile != null) composeFile ++ composeFiles;
      # compose's default: the project directory's name, lowercased, other characters dropped.
      normalize =
        raw:
        let
          allowed = c: builtins.match "[a-z0-9_-]" c != null;
          kept = lib.concatStrings (
            builtins.filter allowed (lib.stringToCharacters (lib.toLower raw))
          );
        in
        lib.concatStrings (builtins.match "[_-]*(.*)" kept);
      directoryOf =
        file:
        let
          dir = dirOf (toString file);
        in
        # A file at the top of a store path (a flake's root, a copied file) has no meaningful
        # directory name.
        if dir == builtins.storeDir || dirOf dir == builtins.storeDir then null else dir;
      fromDirectory =
        if projectDirectory != null then
          projectDirectory
        else if files != [ ] then
          directoryOf (lib.head files)
        else
          null;
      name =
        if projectName != null then
          projectName
        else if fromDirectory != null && normalize (baseNameOf fromDirectory) != "" then
          normalize (baseNameOf fromDirectory)
        else
          throw "khepri.lib.composeModule: cannot derive a project name from ${
            if files == [ ] then "no compose file" else toString (lib.head files)
          }; pass projectName.";
      composition =
        removeAttrs args [
          "composeFile"
          "projectName"
        ]
        // {
          composeFiles = files;
        };
    in
    {
      _file = "khepri.lib.composeModule (${name})";
      imports = [ module ];
      config.khepri = {
        compositions = {
          ${name} = composition;
        };
        composeModuleProjects = [
          {
            inherit name;
            source = if files == [ ] then "no compose file" else toString (lib.head files);
          }
        ];
      };
    };
}
