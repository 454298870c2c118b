# NixOS VM test of the module, for one container runtime: a composition of two services from a
# local image (pkgs.dockerTools, so nothing is pulled), converted while the system is built.
#
# - web serves a page with busybox httpd; its healthcheck passes once /tmp/ready exists, which
#   only the test script creates;
# - client depends on web with `condition = "service_healthy"`: it must not start before that.
#
# The test then checks name resolution between the containers on the composition's network and
# that stopping the root target stops the whole composition.
{
  pkgs,
  module,
  backend,
}:

let
  # `buildLayeredImage` for docker (loaded from `imageFile`), `streamLayeredImage` for podman
  # (piped from `imageStream`): both ways of passing an image derivation are exercised.
  buildImage =
    if backend == "docker" then
      pkgs.dockerTools.buildLayeredImage
    else
      pkgs.dockerTools.streamLayeredImage;
  image = buildImage {
    name = "khepri-test";
    tag = "latest";
    contents = [ pkgs.busybox ];
  };
  project = "demo";
  unit = name: "${backend}-${project}-${name}.service";
  rootTarget = "${backend}-compose-${project}-root.target";
in
pkgs.testers.runNixOSTest {
  name = "khepri-${backend}";

  nodes.machine = {
    imports = [ module ];

    virtualisation.oci-containers.backend = backend;
    virtualisation.memorySize = 2048;

    khepri.compositions.${project}.services = {
      web = {
        inherit image;
        cmd = [
          "sh"
          "-c"
          "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 8080 -h /www"
        ];
        healthcheck = {
          test = [
            "CMD"
            "test"
            "-f"
            "/tmp/ready"
          ];
          interval = "1s";
          retries = 600;
        };
      };
      client = {
        inherit image;
        cmd = [
          "sh"
          "-c"
          "trap 'exit 0' TERM; while true; do sleep 1; done"
        ];
        dependsOn.web.condition = "service_healthy";
      };
    };
  };

  testScript = ''
    machine.start()

    with subtest("web starts, client waits for its healthcheck"):
        machine.wait_until_succeeds("${backend} exec ${project}-web true", timeout=600)
        machine.sleep(10)
        machine.fail("${backend} exec ${project}-client true")
        machine.succeed("${backend} exec ${project}-web touch /tmp/ready")
        machine.wait_for_unit("${unit "client"}")
        machine.wait_until_succeeds("${backend} exec ${project}-client true")

    with subtest("the root target is reached"):
        machine.wait_for_unit("${rootTarget}")

    with subtest("containers resolve each other by service name"):
        machine.wait_until_succeeds(
            "${backend} exec ${project}-client wget -q -O - http://web:8080/"
            + " | grep -q 'hello from web'",
            timeout=60,
        )

    with subtest("stopping the root target stops the composition"):
        machine.systemctl("stop ${rootTarget}")
        machine.wait_until_fails("systemctl is-active ${unit "web"}")
        machine.wait_until_fails("systemctl is-active ${unit "client"}")
        machine.wait_until_succeeds("test -z \"$(${backend} ps -q)\"")
  '';
}
