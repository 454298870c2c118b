/**
 * `map[key]` when `key` is one of `map`'s own keys, else undefined.
 *
 * Names in a compose file are the user's: a service, network, volume or variable called
 * `constructor` or `toString` must not find what every JavaScript object inherits. Every lookup by
 * a name the user wrote, to learn whether it is declared, goes through here.
 */
export function own<T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}
