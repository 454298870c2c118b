# Test-only Nix evaluator used by test/support/nixos-eval.ts.
#
# Evaluates NixOS modules with nixpkgs' real `lib.evalModules` and the real
# `nixos/modules/virtualisation/oci-containers.nix` (both read from outside the repository, paths
# given as arguments), plus the small stand-in declarations below for the parts of NixOS those
# modules touch. Nothing is built: every package is a cheap fake derivation (an attrset with
# `type = "derivation"`, `name` and a made-up `/nix/store/...` `outPath`).
#
# Written for khepri's tests; none of it is taken from nixpkgs.
#
# Result: a JSON-able attrset of "facts" (see NixosFacts in nixos-eval.ts).
{
  # directory holding nixpkgs' lib/default.nix
  nixpkgsLib,
  # path of the real oci-containers.nix
  ociContainersModule,
  # "podman" | "docker", set like a user's configuration.nix would
  backend,
  # the modules under test (paths or module values)
  modules,
  # option paths (lists of attribute names) whose values are returned in `selected`
  select ? [ ],
}:

let
  lib = import nixpkgsLib;
  inherit (lib) mkOption types;

  # ---------------------------------------------------------------------------------------------
  # Fake packages and writers (the `pkgs` module argument)
  # ---------------------------------------------------------------------------------------------

  # 32 characters from the nix-base32 alphabet (which lacks e, o, t, u), so paths look real.
  fakeHash =
    seed: builtins.replaceStrings [ "e" ] [ "z" ] (builtins.substring 0 32 (builtins.hashString "sha256" seed));
  fakeStorePath = seed: name: "${builtins.storeDir}/${fakeHash seed}-${name}";

  mkFakeDrv =
    {
      name,
      seed ? name,
      outPath ? fakeStorePath seed name,
      extra ? { },
    }:
    let
      self = {
        type = "derivation";
        inherit name outPath;
        drvPath = fakeStorePath "drv:${seed}" "${name}.drv";
        outputName = "out";
        outputs = [ "out" ];
        out = self;
        passthru = { };
        meta = { };
        khepriStub = true;
      }
      // extra;
    in
    self;

  mkPkg =
    pname: version:
    mkFakeDrv {
      name = "${pname}-${version}";
      extra = {
        inherit pname version;
        meta.mainProgram = pname;
      };
    };

  # A written file (writeText, writeShellScript, ...). Its text is reported on stderr as
  # `trace: KHEPRI-STUB-FILE {json}` the first time its store path is used, so the harness can
  # return it in `files`.
  mkFile =
    {
      name,
      text,
      executable ? false,
      destination ? "",
      extra ? { },
    }:
    let
      path = fakeStorePath "file:${name}:${destination}:${text}" name;
      report = builtins.toJSON {
        inherit
          path
          name
          executable
          destination
          ;
        text = builtins.unsafeDiscardStringContext text;
      };
    in
    mkFakeDrv {
      inherit name;
      outPath = builtins.trace "KHEPRI-STUB-FILE ${report}" path;
      extra = {
        inherit text executable destination;
      }
      // extra;
    };

  baseName = name: builtins.replaceStrings [ "/" ":" ] [ "-" "-" ] name;

  stubPkgs = rec {
    inherit lib;
    system = "x86_64-linux";
    stdenv.hostPlatform = {
      system = "x86_64-linux";
      isLinux = true;
    };
    stdenv.buildPlatform = stdenv.hostPlatform;
    # not cross: the build platform's packages are these (a cross test replaces `pkgs`)
    buildPackages = stubPkgs;

    docker = mkPkg "docker" "27.5.1";
    podman = mkPkg "podman" "5.4.1";
    docker-compose = mkPkg "docker-compose" "2.33.1";
    podman-compose = mkPkg "podman-compose" "1.3.0";
    bash = mkPkg "bash" "5.2p37";
    bashInteractive = mkPkg "bash-interactive" "5.2p37";
    runtimeShell = "${bash}/bin/bash";
    runtimeShellPackage = bash;
    coreutils = mkPkg "coreutils" "9.6";
    gnugrep = mkPkg "gnugrep" "3.11";
    gnused = mkPkg "gnused" "4.9";
    gawk = mkPkg "gawk" "5.3.1";
    findutils = mkPkg "findutils" "4.10.0";
    util-linux = mkPkg "util-linux" "2.40.4";
    systemd = mkPkg "systemd" "257.3";
    iproute2 = mkPkg "iproute2" "6.13.0";
    iptables = mkPkg "iptables" "1.8.11";
    curl = mkPkg "curl" "8.12.1";
    wget = mkPkg "wget" "1.25.0";
    jq = mkPkg "jq" "1.7.1";
    gzip = mkPkg "gzip" "1.13";
    gnutar = mkPkg "gnutar" "1.35";
    shadow = mkPkg "shadow" "4.17.2";
    procps = mkPkg "procps" "4.0.4";
    openssl = mkPkg "openssl" "3.4.1";
    cacert = mkPkg "nss-cacert" "3.108";
    crun = mkPkg "crun" "1.20";
    runc = mkPkg "runc" "1.2.5";
    conmon = mkPkg "conmon" "2.1.12";
    skopeo = mkPkg "skopeo" "1.18.0";
    git = mkPkg "git" "2.48.1";
    hello = mkPkg "hello" "2.12.1";

    writeTextFile =
      {
        name,
        text,
        executable ? false,
        destination ? "",
        ...
      }:
      mkFile {
        inherit
          name
          text
          executable
          destination
          ;
      };
    writeText = name: text: writeTextFile { inherit name text; };
    writeTextDir =
      path: text:
      writeTextFile {
        name = builtins.baseNameOf path;
        inherit text;
        destination = "/${path}";
      };
    writeScript =
      name: text:
      writeTextFile {
        inherit name text;
        executable = true;
      };
    writeScriptBin =
      name: text:
      writeTextFile {
        inherit name text;
        executable = true;
        destination = "/bin/${name}";
      };
    writeShellScript =
      name: text:
      writeTextFile {
        inherit name;
        executable = true;
        text = "#!${runtimeShell}\n${text}";
      };
    writeShellScriptBin =
      name: text:
      writeTextFile {
        inherit name;
        executable = true;
        destination = "/bin/${name}";
        text = "#!${runtimeShell}\n${text}";
      };
    # Only `text` (as given, without the errexit/nounset/PATH header the real one adds) is kept.
    writeShellApplication =
      {
        name,
        text,
        runtimeInputs ? [ ],
        ...
      }:
      mkFile {
        inherit name text;
        executable = true;
        destination = "/bin/${name}";
        extra.runtimeInputs = runtimeInputs;
      };
    runCommand = name: env: buildCommand: mkFakeDrv {
      inherit name;
      seed = "runCommand:${name}:${buildCommand}";
    };
    runCommandLocal = runCommand;
    symlinkJoin =
      { name, paths, ... }:
      mkFakeDrv {
        inherit name;
        seed = "symlinkJoin:${name}:${toString paths}";
      };

    formats =
      let
        mk = ext: toText: _settings: {
          type = types.anything;
          generate = name: value: mkFile {
            inherit name;
            text = toText value;
          };
        };
      in
      {
        json = mk "json" builtins.toJSON;
        yaml = mk "yaml" builtins.toJSON;
        toml = mk "toml" builtins.toJSON;
        ini = mk "ini" builtins.toJSON;
      };

    dockerTools =
      let
        image =
          kind: suffix:
          {
            name,
            tag ? null,
            ...
          }@args:
          let
            imageTag = if tag == null then fakeHash "${kind}:${builtins.toJSON (builtins.attrNames args)}:${name}" else tag;
          in
          mkFakeDrv {
            name = "${if kind == "stream" then "stream-" else "docker-image-"}${baseName name}${suffix}";
            seed = "${kind}:${name}:${imageTag}";
            extra = {
              imageName = lib.toLower name;
              inherit imageTag;
            };
          };
      in
      {
        buildImage = image "build" ".tar.gz";
        buildLayeredImage = image "layered" ".tar.gz";
        streamLayeredImage = image "stream" "";
        pullImage =
          {
            imageName,
            imageDigest,
            finalImageName ? imageName,
            finalImageTag ? "latest",
            ...
          }:
          mkFakeDrv {
            name = "docker-image-${baseName finalImageName}-${finalImageTag}.tar";
            seed = "pull:${imageName}@${imageDigest}";
            extra = {
              imageName = finalImageName;
              imageTag = finalImageTag;
            };
          };
      };
  };

  # ---------------------------------------------------------------------------------------------
  # `utils` stand-in: only what a generated module might call (oci-containers.nix uses none).
  # ---------------------------------------------------------------------------------------------
  utils = rec {
    # One argument for a systemd Exec* line: double-quoted, `%` and `$` doubled.
    escapeSystemdExecArg =
      arg:
      let
        s =
          if builtins.isString arg || builtins.isPath arg || lib.isDerivation arg then
            "${arg}"
          else if builtins.isInt arg || builtins.isFloat arg then
            toString arg
          else
            throw "escapeSystemdExecArg only takes strings, paths, numbers and derivations";
      in
      builtins.replaceStrings [ "%" "$" ] [ "%%" "$$" ] (builtins.toJSON s);
    escapeSystemdExecArgs = args: lib.concatMapStringsSep " " escapeSystemdExecArg args;
    # Like `systemd-escape --path` for plain ASCII paths.
    escapeSystemdPath =
      s:
      builtins.replaceStrings [ "/" "-" " " ] [ "-" "\\x2d" "\\x20" ] (
        lib.removeSuffix "/" (lib.removePrefix "/" s)
      );
  };

  # ---------------------------------------------------------------------------------------------
  # Declarations for the NixOS options these modules touch.
  # Strict where a typo would hide a bug (systemd.*); lenient (freeform) in namespaces khepri does
  # not generate much for.
  # ---------------------------------------------------------------------------------------------

  loose = types.attrsOf types.anything;
  freeformSubmodule =
    options:
    types.submodule {
      freeformType = loose;
      inherit options;
    };
  listOfStr = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };
  bool = default: mkOption {
    type = types.bool;
    inherit default;
  };
  lines = mkOption {
    type = types.lines;
    default = "";
  };

  # A value in [Unit]/[Service]/... sections: a primitive or a list of primitives. Lists from
  # several definitions are concatenated; other values must all be equal (a conflict is an error,
  # as in NixOS, unless priorities such as mkForce / mkOverride decide).
  unitValue = lib.mkOptionType {
    name = "systemdSetting";
    description = "systemd setting (bool, int, string, path, package or list of those)";
    check =
      v:
      let
        prim = x: builtins.isBool x || builtins.isInt x || builtins.isFloat x || lib.isStringLike x;
      in
      prim v || (builtins.isList v && builtins.all prim v);
    merge =
      loc: defs:
      if builtins.any (d: builtins.isList d.value) defs then
        builtins.concatMap (d: lib.toList d.value) defs
      else
        lib.mergeEqualOption loc defs;
  };
  section = mkOption {
    type = types.attrsOf unitValue;
    default = { };
  };

  commonUnit = {
    enable = bool true;
    overrideStrategy = mkOption {
      type = types.enum [
        "asDropinIfExists"
        "asDropin"
      ];
      default = "asDropinIfExists";
    };
    description = mkOption {
      type = types.singleLineStr;
      default = "";
    };
    documentation = listOfStr;
    requires = listOfStr;
    requisite = listOfStr;
    wants = listOfStr;
    upholds = listOfStr;
    after = listOfStr;
    before = listOfStr;
    bindsTo = listOfStr;
    partOf = listOfStr;
    conflicts = listOfStr;
    onFailure = listOfStr;
    onSuccess = listOfStr;
    wantedBy = listOfStr;
    requiredBy = listOfStr;
    upheldBy = listOfStr;
    aliases = listOfStr;
    restartTriggers = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    reloadTriggers = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    startLimitBurst = mkOption {
      type = types.nullOr types.int;
      default = null;
    };
    startLimitIntervalSec = mkOption {
      type = types.nullOr types.int;
      default = null;
    };
    unitConfig = section;
  };

  unitType = extra: types.attrsOf (types.submodule { options = commonUnit // extra; });

  serviceType = unitType {
    environment = mkOption {
      type = types.attrsOf (
        types.nullOr (
          types.oneOf [
            types.str
            types.path
            types.package
          ]
        )
      );
      default = { };
    };
    path = mkOption {
      type = types.listOf (
        types.oneOf [
          types.package
          types.str
        ]
      );
      default = [ ];
    };
    serviceConfig = section;
    script = lines;
    scriptArgs = mkOption {
      type = types.str;
      default = "";
    };
    preStart = lines;
    postStart = lines;
    reload = lines;
    preStop = lines;
    postStop = lines;
    jobScripts = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    reloadIfChanged = bool false;
    restartIfChanged = bool true;
    stopIfChanged = bool true;
    notSocketActivated = bool false;
    enableStrictShellChecks = bool false;
    startAt = mkOption {
      type = types.either types.str (types.listOf types.str);
      default = [ ];
    };
    confinement = mkOption {
      type = loose;
      default = { };
    };
  };
  targetType = unitType { };
  timerType = unitType { timerConfig = section; };
  socketType = unitType {
    socketConfig = section;
    listenStreams = listOfStr;
    listenDatagrams = listOfStr;
  };
  pathType = unitType { pathConfig = section; };
  sliceType = unitType { sliceConfig = section; };

  # The unit kinds NixOS declares both system-wide and per user (`systemd.user`).
  unitOptions = {
    services = mkOption {
      type = serviceType;
      default = { };
    };
    targets = mkOption {
      type = targetType;
      default = { };
    };
    timers = mkOption {
      type = timerType;
      default = { };
    };
    sockets = mkOption {
      type = socketType;
      default = { };
    };
    paths = mkOption {
      type = pathType;
      default = { };
    };
    slices = mkOption {
      type = sliceType;
      default = { };
    };
  };

  tmpfilesOptions = {
    rules = listOfStr;
    settings = mkOption {
      type = types.attrsOf (types.attrsOf (types.attrsOf loose));
      default = { };
    };
    packages = mkOption {
      type = types.listOf types.package;
      default = [ ];
    };
  };

  firewallPorts = {
    allowedTCPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
    };
    allowedUDPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
    };
    allowedTCPPortRanges = mkOption {
      type = types.listOf (types.attrsOf types.port);
      default = [ ];
    };
    allowedUDPPortRanges = mkOption {
      type = types.listOf (types.attrsOf types.port);
      default = [ ];
    };
  };

  autoPrune = {
    enable = bool false;
    flags = listOfStr;
    dates = mkOption {
      type = types.either types.str (types.listOf types.str);
      default = "weekly";
    };
  };

  stubModule =
    { config, pkgs, ... }:
    {
      _file = "khepri test stubs (test/support/nixos-stubs.nix)";

      options = {
        assertions = mkOption {
          type = types.listOf types.unspecified;
          default = [ ];
          internal = true;
        };
        warnings = listOfStr;

        meta = mkOption {
          type = freeformSubmodule {
            maintainers = mkOption {
              type = types.listOf types.anything;
              default = [ ];
            };
          };
          default = { };
        };

        system = mkOption {
          type = freeformSubmodule {
            stateVersion = mkOption {
              type = types.str;
              default = "25.05";
            };
          };
          default = { };
        };

        systemd = unitOptions // {
          mounts = mkOption {
            type = types.listOf loose;
            default = [ ];
          };
          automounts = mkOption {
            type = types.listOf loose;
            default = [ ];
          };
          packages = mkOption {
            type = types.listOf types.package;
            default = [ ];
          };
          globalEnvironment = mkOption {
            type = loose;
            default = { };
          };
          tmpfiles = tmpfilesOptions;
          user = unitOptions // {
            tmpfiles = mkOption {
              type = loose;
              default = { };
            };
          };
        };

        virtualisation = {
          docker = mkOption {
            type = freeformSubmodule {
              enable = bool false;
              package = mkOption {
                type = types.package;
                default = pkgs.docker;
              };
              enableOnBoot = bool true;
              autoPrune = autoPrune;
              rootless = mkOption {
                type = freeformSubmodule {
                  enable = bool false;
                  setSocketVariable = bool false;
                };
                default = { };
              };
              daemon.settings = mkOption {
                type = loose;
                default = { };
              };
              storageDriver = mkOption {
                type = types.nullOr types.str;
                default = null;
              };
              liveRestore = bool true;
              extraPackages = mkOption {
                type = types.listOf types.package;
                default = [ ];
              };
            };
            default = { };
          };
          podman = mkOption {
            type = freeformSubmodule {
              enable = bool false;
              package = mkOption {
                type = types.package;
                default = pkgs.podman;
              };
              dockerCompat = bool false;
              dockerSocket.enable = bool false;
              autoPrune = autoPrune;
              defaultNetwork.settings = mkOption {
                type = loose;
                default = { };
              };
              extraPackages = mkOption {
                type = types.listOf types.package;
                default = [ ];
              };
            };
            default = { };
          };
          containers = mkOption {
            type = freeformSubmodule { enable = bool false; };
            default = { };
          };
        };

        environment = mkOption {
          type = freeformSubmodule {
            systemPackages = mkOption {
              type = types.listOf types.package;
              default = [ ];
            };
            etc = mkOption {
              type = types.attrsOf loose;
              default = { };
            };
          };
          default = { };
        };

        networking = mkOption {
          type = freeformSubmodule {
            hostName = mkOption {
              type = types.str;
              default = "nixos";
            };
            proxy.envVars = mkOption {
              type = types.attrsOf types.str;
              default = { };
            };
            firewall = mkOption {
              type = freeformSubmodule (
                firewallPorts
                // {
                  enable = bool true;
                  trustedInterfaces = listOfStr;
                  interfaces = mkOption {
                    type = types.attrsOf (types.submodule { options = firewallPorts; });
                    default = { };
                  };
                }
              );
              default = { };
            };
          };
          default = { };
        };

        users = mkOption {
          type = freeformSubmodule {
            users = mkOption {
              type = types.attrsOf (
                types.submodule (
                  { name, ... }:
                  {
                    freeformType = loose;
                    options = {
                      name = mkOption {
                        type = types.str;
                        default = name;
                      };
                      uid = mkOption {
                        type = types.nullOr types.int;
                        default = null;
                      };
                      group = mkOption {
                        type = types.str;
                        default = "";
                      };
                      description = mkOption {
                        type = types.str;
                        default = "";
                      };
                      home = mkOption {
                        type = types.str;
                        default = "/var/empty";
                      };
                      createHome = bool false;
                      isSystemUser = bool false;
                      isNormalUser = bool false;
                      linger = bool false;
                      autoSubUidGidRange = bool false;
                      extraGroups = listOfStr;
                      subUidRanges = mkOption {
                        type = types.listOf loose;
                        default = [ ];
                      };
                      subGidRanges = mkOption {
                        type = types.listOf loose;
                        default = [ ];
                      };
                    };
                  }
                )
              );
              default = { };
            };
            groups = mkOption {
              type = types.attrsOf (
                types.submodule (
                  { name, ... }:
                  {
                    freeformType = loose;
                    options = {
                      name = mkOption {
                        type = types.str;
                        default = name;
                      };
                      gid = mkOption {
                        type = types.nullOr types.int;
                        default = null;
                      };
                      members = listOfStr;
                    };
                  }
                )
              );
              default = { };
            };
          };
          default = { };
        };

        # Namespaces accepted without checking.
        boot = mkOption {
          type = loose;
          default = { };
        };
        hardware = mkOption {
          type = loose;
          default = { };
        };
        security = mkOption {
          type = loose;
          default = { };
        };
        services = mkOption {
          type = loose;
          default = { };
        };
        programs = mkOption {
          type = loose;
          default = { };
        };
        fileSystems = mkOption {
          type = loose;
          default = { };
        };
        nix = mkOption {
          type = loose;
          default = { };
        };
        sops = mkOption {
          type = loose;
          default = { };
        };
        age = mkOption {
          type = loose;
          default = { };
        };
      };

      config = {
        _module.args = {
          pkgs = lib.mkDefault stubPkgs;
          # for a test that makes `pkgs` of another platform from them
          inherit stubPkgs;
          utils = lib.mkDefault utils;
        };
        users.users.root = {
          uid = 0;
          group = "root";
          home = "/root";
          description = "System administrator";
        };
        users.groups.root.gid = 0;
      };
    };

  userModule = {
    _file = "khepri test harness (backend)";
    virtualisation.oci-containers.backend = backend;
  };

  eval = lib.evalModules {
    class = "nixos";
    modules = [
      stubModule
      ociContainersModule
      userModule
    ]
    ++ modules;
  };

  cfg = eval.config;

  # Derivations become their name, functions a marker, paths strings; recursively.
  clean =
    v:
    if lib.isDerivation v then
      v.name or "<derivation>"
    else if builtins.isFunction v then
      "<function>"
    else if builtins.isPath v then
      toString v
    else if builtins.isAttrs v then
      if v ? outPath then toString v else builtins.mapAttrs (_: clean) v
    else if builtins.isList v then
      map clean v
    else
      v;

  serviceFacts =
    _: s:
    clean {
      inherit (s)
        enable
        description
        script
        preStart
        postStart
        preStop
        postStop
        reload
        after
        before
        requires
        requisite
        wants
        bindsTo
        partOf
        conflicts
        wantedBy
        requiredBy
        upheldBy
        upholds
        onFailure
        unitConfig
        serviceConfig
        path
        environment
        startLimitBurst
        startLimitIntervalSec
        restartIfChanged
        ;
    };
  targetFacts =
    _: t:
    clean {
      inherit (t)
        enable
        description
        wantedBy
        requiredBy
        upheldBy
        unitConfig
        after
        before
        requires
        wants
        partOf
        bindsTo
        ;
    };

  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) cfg.assertions);
in
{
  inherit failedAssertions;
  warnings = cfg.warnings;
}
// (
  if failedAssertions != [ ] then
    { }
  else
    {
      backend = cfg.virtualisation.oci-containers.backend;
      containers = clean cfg.virtualisation.oci-containers.containers;
      services = builtins.mapAttrs serviceFacts cfg.systemd.services;
      targets = builtins.mapAttrs targetFacts cfg.systemd.targets;
      userServices = builtins.mapAttrs serviceFacts cfg.systemd.user.services;
      timers = clean (builtins.mapAttrs (_: t: { inherit (t) wantedBy timerConfig unitConfig; }) cfg.systemd.timers);
      tmpfiles = clean { inherit (cfg.systemd.tmpfiles) rules settings; };
      docker = clean {
        inherit (cfg.virtualisation.docker) enable package;
        autoPrune = cfg.virtualisation.docker.autoPrune;
      };
      podman = clean {
        inherit (cfg.virtualisation.podman) enable package;
        defaultNetworkSettings = cfg.virtualisation.podman.defaultNetwork.settings;
        autoPrune = cfg.virtualisation.podman.autoPrune;
      };
      firewall = clean {
        inherit (cfg.networking.firewall) allowedTCPPorts allowedUDPPorts;
      };
      selected = builtins.listToAttrs (
        map (p: {
          name = lib.concatStringsSep "." p;
          value = clean (lib.attrByPath p null cfg);
        }) select
      );
    }
)
