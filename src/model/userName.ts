/**
 * A user for rootless podman (`podmanUser`, `--podman-user`): it becomes systemd's `User=` and
 * `podman.user`, so it is held to the names NixOS and systemd accept (a newline would start a new
 * line of the unit file).
 */
export const USER_NAME_RULE = "a letter or '_', then up to 31 letters, digits, '_', '.' and '-'";

export const isUserName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(name);
