# khepri's NixOS module: `khepri.compositions.<name>` declares compose projects in Nix, from
# compose files, from Nix options, or both (Nix options are merged on top of the compose files
# like a compose override file).
#
# All compositions of a system are converted by one run of the khepri converter, an
# import-from-derivation: the options become a JSON composition spec, the converter turns the
# spec into a NixOS module, and that module's definitions are forwarded into this module's config
# under a fixed list of option paths (`forwardedPaths`). The paths are static and none of them is
# read by the conversion itself, so declaring compositions never makes the module system recurse
# into its own output, and compositions may use other modules' options
# (`config.sops.secrets.<name>.path`, `config.age.secrets.<name>.path`).
#
# The flake applies this file to its `packages` output; the tests apply it to a stand-in converter.
{
  # `<system> -> { default = <converter package>; }`: the flake's `packages` output.
  khepriPackages ? { },
}:

{
  config,
  options,
  lib,
  pkgs,
  ...
}@moduleArgs:

let
  inherit (lib) literalExpression mkOption types;

  cfg = config.khepri;
  backend = config.virtualisation.oci-containers.backend;
  # The conversion runs while the system is built, on the machine that builds it: the converter
  # is the build platform's, as nixpkgs takes build tools from `pkgs.buildPackages` (an aarch64
  # host's configuration evaluated on x86_64 runs the x86_64 converter).
  buildSystem = pkgs.buildPackages.stdenv.hostPlatform.system;

  # ---------------------------------------------------------------------------------------------
  # Option types
  # ---------------------------------------------------------------------------------------------

  # A submodule that refuses a Nix path. `types.submodule` accepts a path as a module file to
  # import: `environmentFiles = [ ./app.env ]` would be read (and parsed) as Nix, printing the
  # env file, a secret, in the error. With the path refused, the module system's type error names
  # the option and shows only the path.
  submodule = m: types.addCheck (types.submodule m) (x: !builtins.isPath x);

  # A string a Nix path must not stand in for. A Nix path given instead is a type error whose
  # message (the type's description) says to give a string.
  stringNotPath =
    type: what: why:
    type
    // {
      description = "string (${what}; use a string, not a Nix path${why})";
    };

  # A host path, as a string: it stays on the host, read by the runtime when the container starts.
  hostPath =
    stringNotPath types.str "a host path such as \"/srv/app/app.env\""
      ", which would be copied into the Nix store";

  # A mount's source: a bind mount's host path or a volume's name.
  mountSource =
    stringNotPath types.str "a host path or a volume name"
      ", which would be copied into the Nix store";

  # A service's `secrets` and `configs` entries: names of the composition's secrets or configs.
  fileName =
    kind:
    stringNotPath types.str "the name of a ${kind} of the composition"
      ": the file goes in ${kind}s.<name>.file, as a host path string";

  # How each option of a submodule was defined: the files (where the module system knows them),
  # for messages from the converter, and the priority, for how the value meets the compose files'.
  # Lazy per option: reading one option's entry merges that option only.
  definitions =
    options:
    mkOption {
      type = types.raw;
      internal = true;
      visible = false;
      readOnly = true;
      default = lib.mapAttrs (
        _: o:
        if lib.isOption o then
          {
            files = map toString o.files;
            priority = o.highestPrio or lib.modules.defaultOverridePriority;
            keysUnder = keysUnder o.definitionsWithLocations;
          }
        else
          # a group of options such as `podman`, which has no definitions of its own
          {
            files = [ ];
            priority = lib.modules.defaultOverridePriority;
            keysUnder = _: null;
          }
      ) (removeAttrs options [ "_module" "definitions" ]);
      description = "The files and the priority of each option's definitions.";
    };

  # For an attribute set of submodules (a composition's `services`): the keys its definitions
  # give the submodule under `name`, which are the only options they can define there; `null`
  # when a definition is not a plain attribute set (a module function, `lib.mkIf` around a whole
  # service), which may define any. Reading only these options keeps evaluation from merging
  # every option of every service.
  keysUnder =
    definitions: name:
    let
      plain = v: builtins.isAttrs v && !(v ? _type);
    in
    lib.foldl' (
      keys: def:
      let
        value = def.value.${name} or { };
      in
      if keys == null || !(plain def.value) || !(plain value) then null else keys ++ builtins.attrNames value
    ) [ ] definitions;

  # What JSON can hold, and nothing that Nix would copy into the store on the way (paths) or
  # could not serialize (functions). The description is fixed so the recursive type stays finite.
  jsonValue =
    types.nullOr (
      types.oneOf [
        types.bool
        types.int
        types.float
        types.str
        (types.listOf jsonValue)
        (types.attrsOf jsonValue)
      ]
    )
    // {
      description = "JSON value";
      descriptionClass = "noun";
    };

  # The first khepri README lists networks and volumes by name; compose also allows a map.
  namedOrList =
    elemType:
    types.coercedTo (types.listOf types.str) (names: lib.genAttrs names (_: { })) (
      types.attrsOf elemType
    );

  # Service keys that compose leaves unset unless given: `null` means "not set here", so the
  # compose files (or compose's own default) decide. This is what makes Nix options behave like
  # an override file on top of `composeFile`.
  unset = "`null` leaves it to the compose files, or to compose's default.";

  optional =
    type: description: extra:
    mkOption (
      {
        type = types.nullOr type;
        default = null;
        description = "${description}\n\n${unset}";
      }
      // extra
    );

  strings =
    description: extra:
    mkOption (
      {
        type = types.listOf types.str;
        default = [ ];
        inherit description;
      }
      // extra
    );

  fileMount = submodule {
    options = {
      source = mkOption {
        type = types.str;
        description = "Name of the top-level secret or config.";
      };
      target = optional types.str "Where the file appears in the container." { };
      uid = optional types.str "Owner of the file in the container." { };
      gid = optional types.str "Group of the file in the container." { };
      mode = optional (types.either types.str types.int) "Permissions, e.g. `\"0400\"`." { };
    };
  };

  envFile = submodule {
    options = {
      path = mkOption {
        type = hostPath;
        description = "The file, absolute or relative to the project directory.";
      };
      required = mkOption {
        type = types.bool;
        default = true;
        description = "Whether a missing file is an error when the container starts.";
      };
      format = optional types.str "File format (compose's `env_file.format`)." { };
    };
  };

  serviceVolume = submodule {
    freeformType = types.attrsOf jsonValue;
    options = {
      type = mkOption {
        type = types.enum [
          "bind"
          "volume"
          "tmpfs"
          "npipe"
          "cluster"
          "image"
        ];
        description = "Mount type.";
      };
      source = optional mountSource "Host path (bind) or volume name (volume)." { };
      target = mkOption {
        type = types.str;
        description = "Path in the container.";
      };
      readOnly = optional types.bool "Mount read-only." { };
    };
  };

  portMapping = submodule {
    options = {
      target = mkOption {
        type = types.port;
        description = "Container port.";
      };
      published = optional (types.either types.str types.port) "Host port or range." { };
      hostIp = optional types.str "Host address to bind." { };
      protocol = optional types.str "`tcp` or `udp`." { };
      mode = optional types.str "`host` or `ingress`." { };
      name = optional types.str "A name for the port." { };
      appProtocol = optional types.str "Application protocol (informational)." { };
    };
  };

  device = submodule {
    options = {
      source = mkOption {
        type = hostPath;
        description = "Device on the host.";
      };
      target = optional types.str "Path in the container." { };
      permissions = optional types.str "cgroup permissions, e.g. `rwm`." { };
    };
  };

  serviceNetwork = submodule {
    freeformType = types.attrsOf jsonValue;
    options = {
      aliases = strings "Extra names the service is reachable by on this network." { };
      ipv4Address = optional types.str "Static IPv4 address on this network." { };
      ipv6Address = optional types.str "Static IPv6 address on this network." { };
      macAddress = optional types.str "MAC address on this network." { };
      priority = optional types.int "Order in which networks are connected." { };
    };
  };

  dependency = submodule {
    options = {
      condition = mkOption {
        type = types.enum [
          "service_started"
          "service_healthy"
          "service_completed_successfully"
        ];
        default = "service_started";
        description = ''
          When the dependent may start: once the dependency's container started, once its
          healthcheck passes, or once it exited with status 0.
        '';
      };
      required = mkOption {
        type = types.bool;
        default = true;
        description = "Whether the dependent fails when the dependency cannot start.";
      };
      restart = optional types.bool "Restart the dependent when the dependency restarts." { };
    };
  };

  healthcheck = submodule {
    options = {
      test =
        optional (types.either types.str (types.listOf types.str))
          ''
            The check: a shell command (a string, compose's `CMD-SHELL`), or a list starting with
            `CMD`, `CMD-SHELL` or `NONE`.
          ''
          {
            example = [
              "CMD"
              "pg_isready"
              "-U"
              "postgres"
            ];
          };
      interval = optional types.str "Time between checks, e.g. `30s`." { };
      timeout = optional types.str "How long one check may take." { };
      retries = optional types.ints.unsigned "Failures in a row that make it unhealthy." { };
      startPeriod = optional types.str "Time after the start in which failures do not count." { };
      startInterval = optional types.str "Time between checks during the start period." { };
      disable = optional types.bool "Disable the image's healthcheck." { };
    };
  };

  logging = submodule {
    options = {
      driver = optional types.str "Log driver (khepri's default is journald)." { };
      options = mkOption {
        type = types.attrsOf (types.nullOr types.str);
        default = { };
        description = "Log driver options; `null` removes one the compose files set.";
      };
    };
  };

  ulimit = types.either types.int (
    submodule {
      options = {
        soft = mkOption {
          type = types.int;
          description = "Soft limit.";
        };
        hard = mkOption {
          type = types.int;
          description = "Hard limit.";
        };
      };
    }
  );

  # The options are declared in a plain module, shared by every service rather than made again
  # for each; `definitions` needs the service's own `options`.
  service = submodule [
    {
      # Compose has about 90 service keys; the common ones are typed below, any other one can be
      # given in camelCase (`deploy`, `blkioConfig`, `gpus`, ...) and is checked by the converter.
      freeformType = types.attrsOf jsonValue;

      options = {
        image = optional (types.either types.str types.package) ''
          The image: a reference such as `docker.io/library/redis:7` (pulled when missing), or an
          image built by `pkgs.dockerTools` (`buildImage`, `buildLayeredImage`, `pullImage`,
          `streamLayeredImage`), which becomes the container's `imageFile` (or `imageStream`) and
          is loaded before the container starts. Evaluating the configuration never builds or
          pulls such an image: only its name and tag are passed to the converter.
        '' { example = literalExpression ''"docker.io/library/redis:7"''; };

        containerName = optional types.str ''
          Name of the container (compose's `container_name`), also the attribute name under
          `virtualisation.oci-containers.containers` and part of the unit name
          `<runtime>-<containerName>`. By default `<composition>-<service>`.
        '' { example = "paperless_web"; };

        environment = mkOption {
          type = types.attrsOf (
            types.nullOr (
              types.oneOf [
                types.str
                types.int
                types.float
                types.bool
              ]
            )
          );
          default = { };
          example = {
            TZ = "Europe/Berlin";
            WORKERS = 2;
          };
          description = ''
            Environment variables, merged by name with the compose files' `environment`; `null`
            removes a variable the compose files set. Values end up in the Nix store (they are
            part of the unit): put secrets in {option}`environmentFiles` instead.
          '';
        };

        environmentFiles = mkOption {
          type = types.listOf (types.either hostPath envFile);
          default = [ ];
          example = literalExpression ''[ config.sops.secrets."paperless.env".path ]'';
          description = ''
            Files of `KEY=value` lines read by the runtime when the container starts (compose's
            `env_file`). Strings, absolute or relative to {option}`projectDirectory`: the files
            stay on the host and are never copied into the Nix store.
          '';
        };

        volumes = mkOption {
          type = types.listOf (types.either hostPath serviceVolume);
          default = [ ];
          example = [
            "data:/data:rw"
            "/etc/caddy/Caddyfile:/etc/caddy/Caddyfile:ro"
          ];
          description = ''
            Mounts, in compose's short syntax (`SOURCE:TARGET[:MODE]`) or long syntax (`type`,
            `source`, `target`, `readOnly`, `bind`, `volume`, `tmpfs`). A source that is a name is
            a volume of the composition, a relative path is relative to {option}`projectDirectory`.
            Merged with the compose files' mounts by target.
          '';
        };

        ports = mkOption {
          type = types.listOf (
            types.oneOf [
              types.str
              types.port
              portMapping
            ]
          );
          default = [ ];
          example = [
            "8000:8000/tcp"
            "127.0.0.1:5432:5432"
          ];
          description = "Published ports, appended to the compose files' ports.";
        };

        cmd = optional (types.either types.str (types.listOf types.str)) ''
          Command (compose's `command`): a list is used as is, a string is split like a shell
          would.
        '' { example = [ "gotenberg" "--chromium-disable-javascript=true" ]; };

        entrypoint = optional (types.either types.str (types.listOf types.str)) ''
          Entrypoint, replacing the image's.
        '' { example = [ "/docker-entrypoint.sh" ]; };

        networks = mkOption {
          type = namedOrList (types.nullOr serviceNetwork);
          default = { };
          example = [
            "paperless"
            "proxy_net"
          ];
          description = ''
            Networks of the composition the service joins: a list of names, or an attribute set
            with per-network settings (`aliases`, `ipv4Address`, ...). Without any, the service
            joins the composition's `default` network. Merged by name with the compose files'
            networks; `null` removes one the compose files set.
          '';
        };

        dependsOn = mkOption {
          type = namedOrList (types.nullOr dependency);
          default = { };
          example = literalExpression ''
            {
              db.condition = "service_healthy";
              broker = { };
            }
          '';
          description = ''
            Services to start first: a list of names, or an attribute set with a `condition`
            (`service_started`, `service_healthy`, `service_completed_successfully`). The
            dependent's unit waits for the condition. Merged by name with the compose files'
            `depends_on`; `null` removes a dependency the compose files set.
          '';
        };

        restart = optional (types.strMatching "no|always|unless-stopped|on-failure(:[0-9]+)?") ''
          Restart policy: `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`.
        '' { example = "unless-stopped"; };

        labels = mkOption {
          type = types.attrsOf (types.nullOr types.str);
          default = { };
          example = {
            "traefik.enable" = "true";
          };
          description = "Container labels, merged by name; `null` removes one the compose files set.";
        };

        devices = mkOption {
          type = types.listOf (types.either hostPath device);
          default = [ ];
          example = [ "/dev/dri:/dev/dri" ];
          description = "Host devices to pass through (`HOST[:CONTAINER[:PERMISSIONS]]`).";
        };

        capAdd = strings "Capabilities to add." { example = [ "NET_ADMIN" ]; };
        capDrop = strings "Capabilities to drop." { example = [ "ALL" ]; };

        extraHosts = mkOption {
          type = types.either (types.listOf types.str) (
            types.attrsOf (types.nullOr (types.either types.str (types.listOf types.str)))
          );
          default = [ ];
          example = [ "host.docker.internal:host-gateway" ];
          description = ''
            Extra `/etc/hosts` entries: `"NAME:ADDRESS"` strings, or names to addresses. As names
            to addresses, `null` removes a name the compose files set.
          '';
        };

        healthcheck = optional healthcheck ''
          How the runtime checks that the container is healthy; a dependency with
          `condition = "service_healthy"` waits for it.
        '' { };

        hostname = optional types.str "Host name inside the container." { };
        domainname = optional types.str "Domain name inside the container." { };
        user = optional types.str "User (and group) the command runs as, e.g. `\"1000:1000\"`." { };
        workingDir = optional types.str "Working directory (compose's `working_dir`)." { };

        secrets = mkOption {
          type = types.listOf (types.either (fileName "secret") fileMount);
          default = [ ];
          example = [ "db_password" ];
          description = ''
            Secrets of the composition (see {option}`secrets`) to mount, by default at
            `/run/secrets/<name>`, read-only. The files are mounted from the host at run time.
          '';
        };

        configs = mkOption {
          type = types.listOf (types.either (fileName "config") fileMount);
          default = [ ];
          description = ''
            Configs of the composition (see {option}`configs`) to mount, by default at `/<name>`.
          '';
        };

        privileged = optional types.bool "Run the container privileged." { };
        readOnly = optional types.bool "Mount the container's root file system read-only." { };
        init = optional types.bool "Run an init process as PID 1." { };
        tty = optional types.bool "Allocate a terminal." { };
        stdinOpen = optional types.bool "Keep standard input open." { };

        tmpfs = strings "Paths to mount as tmpfs (`PATH[:OPTIONS]`)." { example = [ "/run" ]; };
        dns = strings "DNS servers." { };
        dnsSearch = strings "DNS search domains." { };
        dnsOpt = strings "DNS resolver options." { };
        securityOpt = strings "Security options, e.g. `no-new-privileges:true`." { };
        groupAdd = strings "Supplementary groups." { };

        expose = mkOption {
          type = types.listOf (types.either types.str types.port);
          default = [ ];
          description = "Ports exposed to other containers (informational; nothing is published).";
        };

        profiles = strings ''
          Compose profiles this service belongs to: it is left out unless one of them is active
          (see the composition's {option}`profiles`).
        '' { };

        stopGracePeriod = optional types.str "Time from stop signal to kill, e.g. `1m30s`." { };
        stopSignal = optional types.str "Signal that stops the container, e.g. `SIGINT`." { };
        networkMode = optional types.str "`host`, `none`, `service:NAME` or `container:NAME`." { };
        pid = optional types.str "PID namespace, e.g. `host`." { };
        ipc = optional types.str "IPC namespace, e.g. `host` or `shareable`." { };
        usernsMode = optional types.str "User namespace mode, e.g. `keep-id` (podman)." { };
        platform = optional types.str "Image platform, e.g. `linux/arm64`." { };
        pullPolicy = optional types.str "`always`, `missing`, `never`, `build`, `daily`, ..." { };
        shmSize = optional (types.either types.str types.int) "Size of `/dev/shm`, e.g. `1g`." { };
        memLimit = optional (types.either types.str types.int) "Memory limit, e.g. `512m`." { };
        cpus = optional (types.either types.number types.str) "CPU limit, e.g. `1.5`." { };
        pidsLimit = optional types.int "Maximum number of processes." { };

        sysctls = mkOption {
          type = types.attrsOf (types.nullOr (types.either types.str types.int));
          default = { };
          example = {
            "net.core.somaxconn" = 1024;
          };
          description = ''
            Kernel parameters for the container's namespaces, merged by name with the compose
            files' `sysctls`; `null` removes one the compose files set.
          '';
        };

        ulimits = mkOption {
          type = types.attrsOf (types.nullOr ulimit);
          default = { };
          example = {
            nofile = {
              soft = 20000;
              hard = 40000;
            };
          };
          description = ''
            Resource limits: a number, or `soft` and `hard`. Merged by name with the compose
            files' `ulimits`; `null` removes one the compose files set.
          '';
        };

        logging = optional logging "Log driver and options." { };
      };
    }
    ({ options, ... }: { options.definitions = definitions options; })
  ];

  network = submodule {
    options = {
      name = optional types.str "Name of the network (default `<composition>_<key>`)." { };
      external = optional types.bool ''
        The network exists already (made by another composition or by hand): it is used by its
        name and no unit is generated for it.
      '' { };
      internal = optional types.bool "No outside connectivity." { };
      driver = optional types.str "Network driver, e.g. `bridge`." { };
      driverOpts = mkOption {
        type = types.attrsOf (types.nullOr (types.either types.str types.int));
        default = { };
        description = "Driver options (`null` removes one the compose files set).";
      };
      attachable = optional types.bool "Allow standalone containers to attach." { };
      enableIpv6 = optional types.bool "Enable IPv6." { };
      enableIpv4 = optional types.bool "Enable IPv4." { };
      ipam = optional (submodule {
        options = {
          driver = optional types.str "IPAM driver." { };
          config = mkOption {
            type = types.listOf (
              submodule {
                options = {
                  subnet = optional types.str "Subnet in CIDR notation." { };
                  ipRange = optional types.str "Range to allocate addresses from." { };
                  gateway = optional types.str "Gateway address." { };
                  auxAddresses = mkOption {
                    type = types.attrsOf types.str;
                    default = { };
                    description = "Addresses the driver must not hand out.";
                  };
                };
              }
            );
            default = [ ];
            description = "Address pools.";
          };
          options = mkOption {
            type = types.attrsOf types.str;
            default = { };
            description = "Driver options.";
          };
        };
      }) "IP address management." { };
      labels = mkOption {
        type = types.attrsOf (types.nullOr types.str);
        default = { };
        description = "Labels (`null` removes one the compose files set).";
      };
    };
  };

  volume = submodule {
    options = {
      name = optional types.str "Name of the volume (default `<composition>_<key>`)." { };
      external = optional types.bool ''
        The volume exists already: it is used by its name and no unit is generated for it.
      '' { };
      driver = optional types.str "Volume driver, e.g. `local`." { };
      driverOpts = mkOption {
        type = types.attrsOf (types.nullOr (types.either types.str types.int));
        default = { };
        example = {
          type = "nfs";
          o = "addr=10.0.0.2,rw";
          device = ":/export/data";
        };
        description = "Driver options (`null` removes one the compose files set).";
      };
      labels = mkOption {
        type = types.attrsOf (types.nullOr types.str);
        default = { };
        description = "Labels (`null` removes one the compose files set).";
      };
    };
  };

  secret = submodule {
    options = {
      file = optional hostPath ''
        File holding the secret, as a string: absolute (for example
        `config.sops.secrets.db.path` or `config.age.secrets.db.path`) or relative to
        {option}`projectDirectory`. It is bind-mounted when the container starts and never
        copied into the Nix store (a Nix path value is rejected for that reason).
      '' { example = literalExpression "config.sops.secrets.db_password.path"; };
      environment = optional types.str "Take the secret from this variable of the environment." { };
      name = optional types.str "Name of the secret." { };
      external = optional types.bool "The secret is managed outside the composition." { };
    };
  };

  configFile = submodule {
    options = {
      file = optional hostPath ''
        The file, as a string: absolute or relative to {option}`projectDirectory`. It is
        bind-mounted when the container starts and never copied into the Nix store.
      '' { };
      content = optional types.str "The content, inline; written to the Nix store: no secrets." { };
      environment = optional types.str "Take the content from this environment variable." { };
      name = optional types.str "Name of the config." { };
      external = optional types.bool "The config is managed outside the composition." { };
    };
  };

  # A network or volume several compositions share, declared once: `khepri.networks.<name>`.
  sharedResource =
    kind:
    submodule {
      options = {
        driver = optional types.str "${kind} driver." { };
        driverOpts = mkOption {
          type = types.attrsOf types.str;
          default = { };
          description = "Driver options (`--opt`).";
        };
        labels = mkOption {
          type = types.attrsOf types.str;
          default = { };
          description = "Labels.";
        };
      };
    };

  composition = submodule (
    { options, ... }:
    {
      options = {
        enable = mkOption {
          type = types.bool;
          default = true;
          description = "Whether to generate this composition.";
        };

        composeFile = mkOption {
          type = types.nullOr types.path;
          default = null;
          example = literalExpression "./compose.yaml";
          description = ''
            A compose file to start from; the composition's Nix options are merged on top of it
            like an override file. Copied into the Nix store alone (it stays the source of truth:
            no generated file to commit); files it includes or extends are listed in
            {option}`includes`.
          '';
        };

        composeFiles = mkOption {
          type = types.listOf types.path;
          default = [ ];
          example = literalExpression "[ ./compose.yaml ./compose.prod.yaml ]";
          description = ''
            Compose files merged in order (after {option}`composeFile`), like
            `docker compose -f a -f b`.
          '';
        };

        includes = mkOption {
          type = types.listOf types.path;
          default = [ ];
          example = literalExpression "[ ./stack/common/compose.yaml ./stack/base.yaml ]";
          description = ''
            Compose files the compose files `include:` or `extends: file:`. These and the
            compose files are copied into the Nix store together, keeping their places relative
            to each other, and nothing else is: an `.env` or secret file beside them stays out of
            the store (unlike `"''${./stack}/compose.yaml"`, which copies the whole directory).
          '';
        };

        envFiles = mkOption {
          type = types.listOf types.path;
          default = [ ];
          example = literalExpression "[ ./stack.env ]";
          description = ''
            Files of variables for `''${VAR}` interpolation in the compose files (compose's
            `--env-file`). They are read when the configuration is built, so they are copied
            into the Nix store: no secrets here (use a service's `environmentFiles`, read at run
            time). A `.env` file in {option}`projectDirectory` is not read.
          '';
        };

        profiles = strings "Compose profiles to activate." { example = [ "debug" ]; };

        projectDirectory = mkOption {
          type = types.nullOr (
            stringNotPath (types.strMatching "/.*") "an absolute host path such as \"/srv/app\""
              ", which would be copied into the Nix store"
          );
          default = null;
          example = "/srv/paperless";
          description = ''
            Host directory that relative paths (bind mounts, `env_file`, secret and config files)
            are relative to. A string, never copied into the Nix store. Required when the
            composition uses such paths: evaluation stops and names this option otherwise.
          '';
        };

        autoStart = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Whether the composition starts at boot (its root target is wanted by
            `multi-user.target`).
          '';
        };

        podman.user = mkOption {
          # the converter's rule for a user name (src/model/userName.ts): it becomes systemd's `User=`
          type = types.nullOr (types.strMatching "[A-Za-z_][A-Za-z0-9_.-]{0,31}");
          default = null;
          example = "alice";
          description = ''
            Run the whole composition with this user's rootless podman: its containers get
            `podman.user`, its network and volume units run as the user with the user's
            runtime directory, after `user@<uid>.service`. The user must be a normal user with a
            static uid and subordinate uid/gid ranges (`autoSubUidGidRange` or
            `subUidRanges`/`subGidRanges`); `linger = true` when a dependency waits for a
            healthcheck. Ports below `net.ipv4.ip_unprivileged_port_start` (1024) cannot be
            published. Needs `virtualisation.oci-containers.backend = "podman"`.
          '';
        };

        services = mkOption {
          type = types.attrsOf service;
          default = { };
          description = ''
            The containers of the composition, by service name. With {option}`composeFile`,
            options set here override or extend the compose file's services (environment and
            labels merged by name, ports appended, ...); a service only declared here is added.
            Other compose service keys can be given in camelCase too (`deploy`, `gpus`, ...).
          '';
        };

        networks = mkOption {
          type = namedOrList network;
          default = { };
          example = literalExpression ''
            {
              paperless = { };
              proxy_net.external = true;
            }
          '';
          description = ''
            Networks of the composition, as a list of names or an attribute set. Each gets a unit
            `<runtime>-network-<name>`, except external ones.
          '';
        };

        volumes = mkOption {
          type = namedOrList volume;
          default = { };
          example = [
            "data"
            "pgdata"
          ];
          description = ''
            Named volumes of the composition, as a list of names or an attribute set. Each gets a
            unit `<runtime>-volume-<name>`, except external ones.
          '';
        };

        secrets = mkOption {
          type = types.attrsOf secret;
          default = { };
          example = literalExpression ''
            {
              db_password.file = config.sops.secrets.db_password.path;
            }
          '';
          description = "Secrets services can mount (compose's top-level `secrets`).";
        };

        configs = mkOption {
          type = types.attrsOf configFile;
          default = { };
          description = "Configs services can mount (compose's top-level `configs`).";
        };
        definitions = definitions options;
      };
    }
  );

  # ---------------------------------------------------------------------------------------------
  # From options to the converter's JSON spec
  # ---------------------------------------------------------------------------------------------

  enabled = lib.filterAttrs (_: c: c.enable) cfg.compositions;

  # Unset options (null) and empty defaults say nothing: leaving them out keeps the compose
  # files' values, as an override file that does not mention a key would.
  isEmpty = v: v == null || v == [ ] || v == { };
  # A submodule's value also holds the module system's own `_module`.
  prune = v: lib.filterAttrs (_: x: !isEmpty x) (removeAttrs v [ "_module" ]);
  deepPrune =
    v:
    if builtins.isAttrs v then
      prune (lib.mapAttrs (_: deepPrune) v)
    else if builtins.isList v then
      map deepPrune v
    else
      v;
  # Maps from names to settings, where `{ }` is meaningful (declare network `x` with defaults).
  namedMap = v: lib.mapAttrs (_: deepPrune) (removeAttrs v [ "_module" ]);

  # Networks and volumes: `null` for a driver option or a label removes the compose files' one.
  resourceMap =
    v:
    lib.mapAttrs (
      _: r:
      deepPrune r
      // lib.optionalAttrs (r.driverOpts != { }) { driverOpts = entries lib.id r.driverOpts; }
      // lib.optionalAttrs (r.labels != { }) { labels = entries lib.id r.labels; }
    ) (removeAttrs v [ "_module" ]);

  validName = name: builtins.match "[a-z0-9][a-z0-9_-]*" name != null;

  # Relative paths resolve against a directory that does not exist when none is set; finding it
  # in the converter's output means the composition needed `projectDirectory`.
  unsetDirectory = name: "/khepri-projectDirectory-is-not-set/${name}";

  # A file given to the converter: the store copy of a path (named after the file, so the
  # converter's messages name it), or a string already in the store (which keeps its context).
  storeFile =
    file:
    let
      text = toString file;
      name = lib.strings.sanitizeDerivationName (baseNameOf text);
    in
    if builtins.isPath file then
      builtins.path { path = file; inherit name; }
    else if lib.hasPrefix "${builtins.storeDir}/" text then
      file
    else
      builtins.path {
        path = /. + text;
        inherit name;
      };

  # The compose files of a composition in the store: each alone, or with its `includes`, the
  # files copied from their common directory with their layout and nothing else beside them.
  # With `withIncludes`, the included files' copies too (for messages).
  composeCopies = c: composeCopiesOf c false;
  composeCopiesOf =
    c: withIncludes:
    let
      files = lib.optional (c.composeFile != null) c.composeFile ++ c.composeFiles;
      wanted = map toString (files ++ c.includes);
      directories = map (f: lib.splitString "/" (dirOf f)) wanted;
      root = lib.concatStringsSep "/" (lib.foldl' lib.lists.commonPrefix (lib.head directories) directories);
      copy = builtins.path {
        path = /. + root;
        name = "khepri-compose-sources";
        filter =
          file: type:
          lib.elem file wanted || (type == "directory" && lib.any (w: lib.hasPrefix "${file}/" w) wanted);
      };
    in
    map (
      file:
      {
        given = toString file;
        store =
          if c.includes == [ ] then
            toString (storeFile file)
          else
            "${copy}${lib.removePrefix root (toString file)}";
      }
    ) (files ++ lib.optionals withIncludes c.includes);

  # `"${./stack}/compose.yaml"`: the whole directory went into the store.
  wholeDirectories = lib.concatLists (
    lib.mapAttrsToList (
      name: c:
      map (file: "khepri.compositions.${name}: ${toString file}") (
        lib.filter (
          file:
          builtins.isString file
          && lib.hasPrefix "${builtins.storeDir}/" file
          && dirOf file != builtins.storeDir
        ) (lib.optional (c.composeFile != null) c.composeFile ++ c.composeFiles)
      )
    ) enabled
  );

  # Compose reads `<projectDirectory>/.env` when no env file is given: that would make the build
  # depend on the host (and copy what it holds into the store). An empty env file turns it off.
  noEnvFile = builtins.toFile "khepri-no-env-file" "";

  isImageDerivation = lib.isDerivation;

  # Only the image's name and tag go into the spec, without string context, so the conversion
  # does not depend on (and evaluation never builds) the image.
  imageRef =
    where: image:
    if image ? imageName && image ? imageTag then
      builtins.unsafeDiscardStringContext "${image.imageName}:${image.imageTag}"
    else
      throw (
        "${where}.image: a derivation must be an image made by pkgs.dockerTools "
        + "(with imageName and imageTag)."
      );

  # As compose writes them: `true`, `2`, `1.5` (`toString 1.5` would be "1.500000").
  envValue =
    v:
    if builtins.isBool v then
      lib.boolToString v
    else if builtins.isString v then
      v
    else
      builtins.toJSON v;

  # The converter's words for compose's `!reset` and `!override` (src/model/specNames.ts).
  reset = {
    "!reset" = null;
  };

  # How a Nix value meets the compose files' value of the same key, by the priority of its
  # definition against the compose files' (a plain definition's): a plain definition merges like
  # a compose override file, except that an explicit `[ ]` or `{ }` empties the key; a
  # definition of higher priority (`lib.mkForce`, `lib.mkOverride 50`) replaces it whole, and
  # `null` there removes it. Options nobody defined (their default) say nothing.
  againstCompose =
    definitions: key: value:
    let
      priority = definitions.${key}.priority or lib.modules.defaultOverridePriority;
    in
    if priority < lib.modules.defaultOverridePriority then
      (if value == null then reset else { "!override" = withoutResets value; })
    else if priority == lib.modules.defaultOverridePriority && (value == [ ] || value == { }) then
      reset
    else
      value;

  # `null` for an entry of a map (an environment variable, a label, a sysctl, a dependency, ...):
  # the compose files' one is removed.
  entries = f: lib.mapAttrs (_: v: if v == null then reset else f v);

  # In a value that replaces the compose files' whole (`lib.mkForce`), a removed entry is left out.
  withoutResets =
    v:
    if builtins.isAttrs v then
      lib.mapAttrs (_: withoutResets) (lib.filterAttrs (_: x: x != reset) v)
    else if builtins.isList v then
      map withoutResets v
    else
      v;

  # Compose's maps of strings among the service keys without a typed option: there too, `null`
  # removes one entry (elsewhere in a freeform value, `null` says nothing, as in the options).
  freeformMaps = [
    "annotations"
    "storageOpt"
  ];

  # Only options that have a definition besides their default, and freeform keys: the other
  # options say nothing, and reading their values would merge every option of every service.
  optionDefaultPriority = (lib.mkOptionDefault null).priority;
  serviceSpec =
    where: keys: svc:
    let
      attributes = removeAttrs svc [
        "_module"
        "definitions"
      ];
      # `keys`: what the definitions name (see keysUnder), or `null` for any
      mentioned =
        if keys == null then attributes else builtins.intersectAttrs (lib.genAttrs keys (_: null)) attributes;
      given = lib.filterAttrs (key: _: (svc.definitions.${key}.priority or 0) < optionDefaultPriority) mentioned;
      values =
        lib.mapAttrs (key: v: if lib.elem key freeformMaps then entries deepPrune v else deepPrune v) given
        // lib.intersectAttrs given {
          image = if isImageDerivation svc.image then imageRef where svc.image else svc.image;
          environment = entries envValue svc.environment;
          labels = entries lib.id svc.labels;
          networks = entries deepPrune svc.networks;
          dependsOn = entries deepPrune svc.dependsOn;
          extraHosts =
            if builtins.isAttrs svc.extraHosts then entries lib.id svc.extraHosts else svc.extraHosts;
          sysctls = entries lib.id svc.sysctls;
          ulimits = entries deepPrune svc.ulimits;
          logging = lib.mapNullable (
            l:
            deepPrune l
            // lib.optionalAttrs (l.options != { }) { options = entries lib.id l.options; }
          ) svc.logging;
        };
    in
    prune (lib.mapAttrs (againstCompose svc.definitions) values);

  compositionSpec =
    name: c:
    let
      where = "khepri.compositions.${name}";
      keys = keysUnder options.khepri.compositions.definitionsWithLocations name;
      # Options no definition names keep their empty default, which says nothing.
      mentioned = lib.filterAttrs (key: _: keys == null || lib.elem key keys) {
        inherit (c) profiles;
        envFiles = map storeFile c.envFiles;
        networks = resourceMap c.networks;
        volumes = resourceMap c.volumes;
        secrets = namedMap c.secrets;
        configs = namedMap c.configs;
      };
    in
    if !validName name then
      throw (
        "${where}: a composition's name is its compose project name: "
        + "lowercase letters, digits, '-' and '_', starting with a letter or digit."
      )
    else
      prune (
        mentioned
        // {
          composeFiles = map (f: f.store) (composeCopies c);
          envFiles = if mentioned.envFiles or [ ] == [ ] then [ noEnvFile ] else mentioned.envFiles;
          inherit (c) autoStart;
          podmanUser = c.podman.user;
          projectDirectory =
            if c.projectDirectory != null then c.projectDirectory else unsetDirectory name;
          services = lib.mapAttrs (
            svc: serviceSpec "${where}.services.${svc}" (c.definitions.services.keysUnder svc)
          ) c.services;
        }
      );

  specJson = builtins.toJSON { compositions = lib.mapAttrs compositionSpec enabled; };

  # The one conversion of all compositions. The converter is the builder itself (no shell);
  # `placeholder "out"` becomes the output path when it runs.
  conversion = derivation {
    name = "khepri-compositions.nix";
    system = cfg.package.system or buildSystem;
    builder = lib.getExe' cfg.package "khepri";
    args = [
      "convert"
      "--spec"
      (builtins.toFile "khepri-spec.json" (builtins.unsafeDiscardStringContext specJson))
      "--runtime"
      backend
      # The setup block would define `virtualisation.oci-containers.backend`, which the
      # conversion reads: this module does the setup itself (below).
      "--no-setup"
      # A failed build's log shows the spec's store path: errors go to assertions instead.
      "--module-errors"
      # A successful build's log is never read: what khepri could not honour goes to
      # NixOS `warnings` instead, shown by nixos-rebuild.
      "--module-warnings"
      # The builder's environment (HOME=/homeless-shelter, out, ...) is not the user's:
      # `${VAR}` comes from `envFiles` only.
      "--ignore-process-env"
      "-o"
      (builtins.placeholder "out")
    ];
    # The spec again, with its string context, so the store files it names (compose files, env
    # files) are inputs of the build; `nix derivation show` shows it too.
    khepriSpec = specJson;
    preferLocalBuild = true;
    allowSubstitutes = false;
  };

  # ---------------------------------------------------------------------------------------------
  # From the converter's module to this module's config
  # ---------------------------------------------------------------------------------------------

  # Option paths the generated module may define. Each is defined here with a static key, its
  # value read from the conversion only when the option is evaluated.
  forwardedPaths = [
    [ "virtualisation" "oci-containers" "containers" ]
    [ "systemd" "services" ]
    [ "systemd" "targets" ]
    [ "systemd" "timers" ]
    [ "systemd" "user" "services" ]
    [ "systemd" "tmpfiles" "rules" ]
    [ "systemd" "tmpfiles" "settings" ]
    # (a container binding /var/run/docker.sock on podman)
    [ "virtualisation" "podman" "dockerSocket" "enable" ]
    [ "assertions" ]
    [ "warnings" ]
  ];
  forwardedTree = lib.foldl' (
    tree: path: lib.recursiveUpdate tree (lib.setAttrByPath path true)
  ) { } forwardedPaths;

  # mkMerge / mkIf / mkOverride around attribute sets, moved onto the attributes so the
  # definitions at a path can be collected (what the module system does when it merges).
  pushDown =
    v:
    let
      kind = v._type or null;
    in
    if kind == "merge" then
      lib.concatMap pushDown v.contents
    else if kind == "if" then
      map (lib.mapAttrs (_: lib.mkIf v.condition)) (pushDown v.content)
    else if kind == "override" then
      map (lib.mapAttrs (_: lib.mkOverride v.priority)) (pushDown v.content)
    else
      [ v ];

  definitionsAt =
    path: value:
    if path == [ ] then
      [ value ]
    else
      lib.concatMap (
        piece:
        let
          key = lib.head path;
        in
        lib.optionals (piece ? ${key}) (definitionsAt (lib.tail path) piece.${key})
      ) (pushDown value);

  # Paths the generated module defines that are not forwarded (a converter newer than this module).
  unforwarded =
    prefix: tree: value:
    lib.concatMap (
      piece:
      lib.concatMap (
        key:
        if !(tree ? ${key}) then
          [ (lib.concatStringsSep "." (prefix ++ [ key ])) ]
        else if tree.${key} == true then
          [ ]
        else
          unforwarded (prefix ++ [ key ]) tree.${key} piece.${key}
      ) (builtins.attrNames piece)
    ) (pushDown value);

  conversionText = builtins.readFile conversion;

  # Bad input makes the converter write `{"khepriError": ...}` (`--module-errors`) instead of
  # failing the build, whose log would show a spec file in the store: the error is reported
  # here, as an assertion naming the option or the compose file.
  conversionError =
    if lib.hasPrefix "{\"khepriError\"" conversionText then
      (builtins.fromJSON (builtins.unsafeDiscardStringContext conversionText)).khepriError
    else
      null;

  # `services.web.dependsOn.dbb`, `services.web.ports[0]`
  keyPath =
    path:
    lib.concatStringsSep "" (
      lib.imap0 (
        i: s:
        if builtins.isInt s then
          "[${toString s}]"
        else if builtins.match "[A-Za-z0-9_-]+" s != null then
          (if i == 0 then "" else ".") + s
        else
          ".${builtins.toJSON s}"
      ) path
    );

  # Compose files as the converter saw them (store paths) and as the user gave them.
  composeSources = lib.concatLists (
    lib.mapAttrsToList (name: c: map (f: f // { composition = name; }) (composeCopiesOf c true)) enabled
  );

  errorMessage =
    e:
    let
      path = if e.path == null then [ ] else e.path;
      at = lib.elemAt path;
      source = lib.findFirst (s: s.store == e.file) null composeSources;
      composition = cfg.compositions.${at 1} or null;
      # what the module system knows of the option's definitions
      files =
        if composition == null || lib.length path < 3 then
          [ ]
        else if at 2 == "services" && lib.length path >= 5 then
          composition.services.${at 3}.definitions.${at 4}.files or [ ]
        else
          composition.definitions.${at 2}.files or [ ];
      known = lib.filter (f: f != "<unknown-file>") files;
      definedIn = lib.optionalString (known != [ ]) " (defined in ${lib.concatStringsSep ", " known})";
    in
    if source != null then
      "khepri.compositions.${source.composition}: ${source.given}:${toString e.line}:${toString e.col}: "
      + "${keyPath path}: ${e.message}"
    else if lib.take 1 path == [ "compositions" ] && composition != null then
      "khepri.${keyPath path}: ${e.message}${definedIn}"
    else
      "khepri: ${e.message}";

  generated =
    let
      text = conversionText;
      # `<dir>/x`, `<dir>:/app`, `"<dir>"`, ...; not `<dir>2/x` (another composition's).
      mentions =
        dir:
        lib.any (end: lib.hasInfix (dir + end) text) [
          "/"
          ":"
          "\""
          "'"
          ","
          " "
        ];
      missingDirectory = lib.filter (
        name: enabled.${name}.projectDirectory == null && mentions (unsetDirectory name)
      ) (builtins.attrNames enabled);
      imported = import conversion;
      applied = if lib.isFunction imported then imported moduleArgs else imported;
      extra = unforwarded [ ] forwardedTree applied;
    in
    if conversionError != null then
      { }
    else if missingDirectory != [ ] then
      throw (
        lib.concatMapStringsSep "\n" (name: ''
          khepri: composition "${name}" uses paths relative to its project directory (bind mounts,
          env_file, secret or config files), but none is set. Set
          khepri.compositions.${name}.projectDirectory (or `projectDirectory` of
          khepri.lib.composeModule) to the host directory they are relative to, as a string such
          as "/srv/${name}"; it is never copied into the Nix store.'') missingDirectory
      )
    else if extra != [ ] then
      throw (
        "khepri: the converter's module defines ${lib.concatStringsSep ", " extra}, "
        + "which khepri.compositions does not forward; khepri.package is newer than this module."
      )
    else
      applied;

  forwarded = path: lib.mkMerge (definitionsAt path generated);

  # Every service of every enabled composition, with the option path it is declared under.
  allServices = lib.concatLists (
    lib.mapAttrsToList (
      name: c:
      lib.mapAttrsToList (svc: s: {
        where = "khepri.compositions.${name}.services.${svc}";
        service = s;
      }) c.services
    ) enabled
  );

  # dockerTools images, with the reference the spec gives them.
  imageServices = map (s: s // { ref = imageRef s.where s.service.image; }) (
    lib.filter (s: isImageDerivation s.service.image) allServices
  );

  # dockerTools images by the reference the spec gave them, to set `imageFile`/`imageStream` on
  # the generated containers that run them.
  images = lib.listToAttrs (
    map (s: {
      name = s.ref;
      # streamLayeredImage makes a script that writes the image (`isExe`)
      value =
        if s.service.image.isExe or false then
          { imageStream = s.service.image; }
        else
          { imageFile = s.service.image; };
    }) imageServices
  );

  # Two different images under one reference: the runtime would run whichever was loaded last.
  imageClashes = lib.filterAttrs (_: group: lib.length (lib.unique (map (s: s.service.image.outPath) group)) > 1) (
    lib.groupBy (s: s.ref) imageServices
  );

  # composeModule calls by project name: two compose files in directories of the same name would
  # silently become one composition.
  composeModuleClashes = lib.filterAttrs (_: calls: lib.length calls > 1) (
    lib.groupBy (call: call.name) cfg.composeModuleProjects
  );

  # `ports = [ 8080 ]` publishes the container port on a random host port, as compose does.
  bareContainerPorts = map (s: "${s.where}.ports") (
    lib.filter (s: lib.any builtins.isInt s.service.ports) allServices
  );

  # -- Networks and volumes shared between compositions ----------------------------------------

  # `khepri.networks.<name>` / `khepri.volumes.<name>`: created at boot, left in place.
  sharedUnit = kind: name: r: {
    description = "khepri: shared ${kind} ${name}";
    path = [ config.virtualisation.${backend}.package ];
    script =
      "${backend} ${kind} inspect ${lib.escapeShellArg name} >/dev/null 2>&1 || "
      + "${backend} ${kind} create ${
        lib.escapeShellArgs (
          [ name ]
          ++ lib.optional (r.driver != null) "--driver=${r.driver}"
          ++ lib.mapAttrsToList (k: v: "--opt=${k}=${v}") r.driverOpts
          ++ lib.mapAttrsToList (k: v: "--label=${k}=${v}") r.labels
        )
      }";
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
    };
    wantedBy = [ "multi-user.target" ];
  };

  sharedUnits = lib.mkMerge [
    (lib.mapAttrs' (name: r: lib.nameValuePair "${backend}-network-${name}" (sharedUnit "network" name r)) cfg.networks)
    (lib.mapAttrs' (name: r: lib.nameValuePair "${backend}-volume-${name}" (sharedUnit "volume" name r)) cfg.volumes)
  ];

  # Runtime networks every runtime has; no unit makes them.
  builtinNetworks = [
    "host"
    "none"
    "bridge"
    "podman"
    "default"
  ];

  # `proxy_net`, `proxy_net:alias=web`, `name=proxy_net,alias=web` -> `proxy_net`;
  # `data:/data:ro` -> `data`.
  resourceOf = entry: lib.elemAt (builtins.match "(name=)?([^:,]*).*" entry) 1;

  generatedUnits = definitionsAt [ "systemd" "services" ] generated;

  # The user whose podman runs a container or a unit; `null` for root.
  userOf = user: if user == "root" then null else user;

  # Per generated container: the networks and volumes it uses whose units its own composition
  # does not make (external ones), each with the unit that would provide it, and the composition
  # and the user (`null`: root) that run the container.
  externalUses = lib.concatMap (
    containers:
    lib.mapAttrsToList (
      container: c:
      let
        unit = "${backend}-${container}";
        own = lib.concatMap (units: units.${unit}.requires or [ ]) generatedUnits;
        uses =
          kind: names:
          map (resource: {
            inherit kind resource container;
            unit = "${backend}-${kind}-${resource}";
            composition = (c.labels or { })."com.docker.compose.project" or container;
            user = userOf ((c.podman or { }).user or null);
          }) (lib.filter (r: !(lib.elem "${backend}-${kind}-${r}.service" own)) names);
        volumeSources = lib.filter (v: builtins.isString v && lib.hasInfix ":" v) (c.volumes or [ ]);
      in
      {
        inherit unit;
        uses =
          uses "network" (lib.subtractLists builtinNetworks (map resourceOf (c.networks or [ ])))
          ++ uses "volume" (lib.filter (r: !(lib.hasPrefix "/" r)) (map resourceOf volumeSources));
      }
    ) containers
  ) (definitionsAt [ "virtualisation" "oci-containers" "containers" ] generated);

  provided = use: config.systemd.services ? ${use.unit};

  # A consumer starts after the unit that makes what it uses, and stops with it.
  sharedOrdering = lib.mkMerge (
    map (
      x:
      let
        units = map (use: "${use.unit}.service") (lib.filter provided x.uses);
      in
      {
        ${x.unit} = {
          requires = units;
          after = units;
        };
      }
    ) (lib.filter (x: x.uses != [ ]) externalUses)
  );

  # (a rootless user's are its own: another than root's of the same name)
  missingShared = lib.groupBy (
    use:
    "${use.kind} ${use.resource}"
    + lib.optionalString (use.user != null) " of ${use.user}'s rootless podman"
  ) (lib.filter (use: !(provided use)) (lib.concatMap (x: x.uses) externalUses));

  # A network or volume exists in one podman only, root's or one user's: the unit that creates
  # it runs as that user (`khepri.networks`, `khepri.volumes` and rootful compositions as root).
  # A container run by another user's podman cannot see it, however its unit is ordered.
  unitUser = unit: userOf (config.systemd.services.${unit}.serviceConfig.User or null);
  crossUserUses = lib.groupBy (use: "${use.composition} ${use.kind} ${use.resource}") (
    lib.filter (use: use.owner != use.user) (
      map (use: use // { owner = unitUser use.unit; }) (
        lib.filter provided (lib.concatMap (x: x.uses) externalUses)
      )
    )
  );

  podmanOf = user: if user == null then "root's podman" else "${user}'s rootless podman";

  # What makes a shared network or volume, for messages: the composition whose root target the
  # unit is part of (the converter writes a rootless unit as a `lib.mkMerge`).
  providerOf =
    use:
    let
      partOf = lib.concatMap (
        units:
        lib.concatMap (piece: lib.toList (piece.partOf or [ ])) (pushDown (units.${use.unit} or { }))
      ) generatedUnits;
      owner = lib.findFirst (name: lib.elem "${backend}-compose-${name}-root.target" partOf) null (
        builtins.attrNames enabled
      );
    in
    if cfg.${use.kind + "s"} ? ${use.resource} then
      "khepri.${use.kind}s.${use.resource}"
    else if owner != null then
      "composition ${owner}"
    else
      "the unit ${use.unit}";

  crossUserAssertions = lib.mapAttrsToList (
    _: uses:
    let
      use = lib.head uses;
      where =
        "khepri.compositions.${use.composition}"
        + lib.optionalString (use.user != null) ".podman.user";
      containers = lib.concatStringsSep ", " (lib.unique (map (u: u.container) uses));
      what = "${use.kind} ${use.resource}";
    in
    {
      assertion = false;
      message =
        "${where}: composition ${use.composition} runs in ${podmanOf use.user}, but the ${what} "
        + "it uses (${containers}) is created by ${providerOf use} in ${podmanOf use.owner}, "
        + "where ${if use.user == null then "root" else use.user}'s containers cannot see it. "
        + (
          if use.user != null then
            "Shared networks and volumes (khepri.networks, khepri.volumes) are created in "
            + "root's podman, so a rootless composition must declare its own: "
          else
            "Declare "
        )
        + "${use.kind}s.${use.resource} = { }; in ${use.composition}, not external. "
        + "Compositions that share one must all run as the same user (podman.user).";
    }
  ) crossUserUses;

  # -- Rootless podman ------------------------------------------------------------------------

  rootless = lib.filterAttrs (_: c: c.podman.user != null) enabled;
  rootful = lib.filterAttrs (_: c: c.podman.user == null) enabled;

  rootlessUser = c: config.users.users.${c.podman.user} or { };

  # The containers of a composition.
  containersOf =
    name:
    lib.concatMap (
      containers:
      lib.attrValues (lib.filterAttrs (_: c: (c.labels or { })."com.docker.compose.project" or null == name) containers)
    ) (definitionsAt [ "virtualisation" "oci-containers" "containers" ] generated);

  # A container waits for another's healthcheck through `--sdnotify=healthy`, which a rootless
  # container reports through the user's systemd: the user manager must run (lingering).
  healthGated = name: lib.any (c: (c.podman or { }).sdnotify or null == "healthy") (containersOf name);

  # The host port of `8080:80/tcp`, `127.0.0.1:8080:80`, `8000-8010:8000-8010` (its first).
  hostPort =
    port:
    let
      parts = lib.splitString ":" (lib.head (lib.splitString "/" port));
      published = lib.elemAt parts (lib.length parts - 2);
      first = lib.head (lib.splitString "-" published);
    in
    if lib.length parts < 2 || builtins.match "[0-9]+" first == null then null else lib.toInt first;

  unprivilegedPortStart = config.boot.kernel.sysctl."net.ipv4.ip_unprivileged_port_start" or 1024;

  rootlessAssertions = lib.concatLists (
    lib.mapAttrsToList (
      name: c:
      let
        where = "khepri.compositions.${name}.podman.user";
        userName = c.podman.user;
        user = rootlessUser c;
      in
      [
        {
          assertion = backend == "podman";
          message = "${where}: rootless containers need virtualisation.oci-containers.backend = \"podman\".";
        }
        {
          assertion = user.isNormalUser or false;
          message = "${where}: ${userName} must be a normal user (users.users.${userName}.isNormalUser = true).";
        }
        # (a static uid: the generated module asserts it, as its units read it for /run/user/<uid>)
        {
          assertion =
            (user.autoSubUidGidRange or false)
            || ((user.subUidRanges or [ ]) != [ ] && (user.subGidRanges or [ ]) != [ ]);
          message =
            "${where}: ${userName} needs subordinate uids and gids for rootless podman: "
            + "users.users.${userName}.autoSubUidGidRange = true, or subUidRanges and subGidRanges.";
        }
        {
          # (`linger` is null unless set, from nixpkgs 25.05 on)
          assertion = !(healthGated name) || (user.linger or null) == true;
          message =
            "${where}: a service of ${name} waits for a healthcheck (podman --sdnotify=healthy), which "
            + "rootless podman reports through ${userName}'s systemd: set users.users.${userName}.linger = true.";
        }
      ]
    ) rootless
  );

  lowRootlessPorts = lib.concatLists (
    lib.mapAttrsToList (
      name: c:
      map (
        port:
        "khepri.compositions.${name}: port ${port} cannot be published by ${c.podman.user}'s rootless podman "
        + "(below net.ipv4.ip_unprivileged_port_start = ${toString unprivilegedPortStart}); publish a port "
        + "from ${toString unprivilegedPortStart} up, or lower that sysctl (boot.kernel.sysctl)."
      ) (
        lib.filter (
          port:
          let
            p = hostPort port;
          in
          p != null && p < unprivilegedPortStart
        ) (lib.concatMap (container: container.ports or [ ]) (containersOf name))
      )
    ) rootless
  );

  khepriAssertions =
    rootlessAssertions
    ++ crossUserAssertions
    ++ lib.optional (conversionError != null) {
      assertion = false;
      message = errorMessage conversionError;
    }
    ++ lib.mapAttrsToList (ref: group: {
      assertion = false;
      message =
        "khepri: different dockerTools images are both named ${ref} "
        + "(${lib.concatMapStringsSep ", " (s: "${s.where}.image") group}); "
        + "give them different names or tags: the runtime keeps one image per name:tag.";
    }) imageClashes
    ++ lib.mapAttrsToList (name: calls: {
      assertion = false;
      message =
        "khepri.lib.composeModule: ${toString (lib.length calls)} calls make the project \"${name}\" "
        + "(from ${lib.concatMapStringsSep " and " (call: call.source) calls}); they would merge into one "
        + "composition. Pass a different projectName to each.";
    }) composeModuleClashes;

  khepriWarnings =
    lowRootlessPorts
    ++ map (
      what:
      "${what} is in a directory copied whole into the Nix store (\"\${./dir}/compose.yaml\"), "
      + "with any .env or secret file beside it: give composeFile = ./dir/compose.yaml and list the "
      + "files it includes or extends in includes, which copies only those."
    ) wholeDirectories
    ++ lib.mapAttrsToList (
      what: uses:
      let
        use = lib.head uses;
      in
      "khepri: ${what} is external (used by ${lib.concatStringsSep ", " (lib.unique (map (u: u.container) uses))}) "
      + "but nothing on this system creates it: "
      + (
        if use.user == null then
          "declare khepri.${use.kind}s.${use.resource} = { }; "
          + "(or a composition's non-external ${use.kind} with name = \"${use.resource}\"), "
          + "or create it by hand with `${backend} ${use.kind} create ${use.resource}`."
        else
          "declare it in a composition run by ${use.user} (a non-external ${use.kind} with "
          + "name = \"${use.resource}\"), or create it by hand as ${use.user} with "
          + "`${backend} ${use.kind} create ${use.resource}`."
      )
    ) missingShared
    ++ map (
    where:
    "${where}: a bare number publishes the container port on a random host port (compose's rule); "
    + "write \"8080:8080\" to publish it on the same host port, or use `expose` to publish nothing."
  ) bareContainerPorts;

  imageLoads = lib.mkMerge (
    map (
      containers:
      lib.mapAttrs (_: c: images.${c.image}) (
        lib.filterAttrs (
          _: c: builtins.isString (c.image or null) && images ? ${c.image}
        ) containers
      )
    ) (definitionsAt [ "virtualisation" "oci-containers" "containers" ] generated)
  );

  forwardedConfig = lib.foldl' lib.recursiveUpdate { } (
    map (path: lib.setAttrByPath path (forwarded path)) forwardedPaths
  );
in
{
  # Imported by both `nixosModules.default` and `lib.composeModule`: declare the options once.
  key = "khepri#nixosModules.default";
  _file = ./module.nix;

  options.khepri = {
    package = mkOption {
      type = types.package;
      default =
        khepriPackages.${buildSystem}.default
          or (throw "khepri has no package for ${buildSystem}; set khepri.package to the converter.");
      defaultText = literalExpression "khepri.packages.\${pkgs.buildPackages.stdenv.hostPlatform.system}.default";
      description = ''
        The khepri converter that turns the compositions into NixOS configuration while the
        system is built, so the build platform's (`pkgs.buildPackages`): a configuration for
        another architecture evaluates and builds without a builder for it. The container
        runtime is {option}`virtualisation.oci-containers.backend`.
      '';
    };

    networks = mkOption {
      type = types.attrsOf (sharedResource "Network");
      default = { };
      example = {
        proxy_net = { };
      };
      description = ''
        Networks shared by compositions, by the name the runtime knows them by. Each gets a unit
        `<runtime>-network-<name>` started at boot (and never removed by a composition's stop);
        the containers of every composition that declares the network `external` require that
        unit and start after it. A composition that declares a network non-external under a
        fixed `name` provides it the same way.
      '';
    };

    volumes = mkOption {
      type = types.attrsOf (sharedResource "Volume");
      default = { };
      example = {
        media = { };
      };
      description = ''
        Volumes shared by compositions, as {option}`khepri.networks` for networks: a unit
        `<runtime>-volume-<name>` that the containers of compositions declaring the volume
        `external` require and start after.
      '';
    };

    compositions = mkOption {
      type = types.attrsOf composition;
      default = { };
      example = literalExpression ''
        {
          paperless = {
            networks = {
              paperless = { };
              proxy_net.external = true;
            };
            volumes = [ "data" "pgdata" ];
            services.db = {
              image = "docker.io/library/postgres:15";
              environmentFiles = [ config.sops.secrets."paperless-db.env".path ];
              volumes = [ "pgdata:/var/lib/postgresql/data:rw" ];
              networks = [ "paperless" ];
              restart = "unless-stopped";
            };
          };
          mealie = {
            composeFile = ./mealie/compose.yaml;
            projectDirectory = "/srv/mealie";
            services.mealie.environment.TZ = "Europe/Berlin";
          };
        }
      '';
      description = ''
        Compose projects, by project name. Each is made of {option}`composeFile`s, Nix options,
        or both, and becomes `virtualisation.oci-containers.containers` plus systemd units: one
        per container (`<runtime>-<container>`), network and volume, and a root target
        `<runtime>-compose-<name>-root` that starts and stops the whole composition.
      '';
    };

    composeModuleProjects = mkOption {
      type = types.listOf (types.attrsOf types.str);
      internal = true;
      default = [ ];
      description = "The project of each `khepri.lib.composeModule` call (`name`, `source`), to find clashes.";
    };

    generated = mkOption {
      type = types.nullOr types.package;
      readOnly = true;
      default = if enabled == { } then null else conversion;
      defaultText = literalExpression "<the converter's output for all compositions>";
      description = ''
        The NixOS module the converter generated for all enabled compositions (a store file),
        to read what khepri made of them, e.g. with
        `nix build .#nixosConfigurations.<host>.config.khepri.generated`.
      '';
    };
  };

  config = lib.mkMerge [
    { systemd.services = sharedUnits; }
    (lib.mkIf (enabled != { }) (
    lib.mkMerge [
      forwardedConfig
      { systemd.services = sharedOrdering; }
      { virtualisation.oci-containers.containers = imageLoads; }
      {
        assertions = khepriAssertions;
        warnings = khepriWarnings;
      }
      # What the converter's setup block (left out, see `--no-setup`) does for podman:
      # containers find each other by name only with DNS on their networks, and the DNS server
      # listens on the network's bridge, behind the firewall. Enabling the runtime itself is
      # done by oci-containers. The conditions sit on the values, so reading the backend never
      # depends on these definitions.
      {
        # (for rootful podman only: a rootless user's networks and DNS are the user's own)
        virtualisation.podman.defaultNetwork.settings.dns_enabled =
          lib.mkIf (backend == "podman" && rootful != { })
            (lib.mkDefault true);
        # iptables matches interface names with `+`, nftables with `*`.
        networking.firewall.interfaces = lib.mkIf (backend == "podman" && rootful != { }) {
          "podman+".allowedUDPPorts = [ 53 ];
          "podman*".allowedUDPPorts = [ 53 ];
        };
      }
    ]
    ))
  ];
}
