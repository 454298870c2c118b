/**
 * node:net's isIP, with the same patterns (lib/internal/net.js): importing
 * node:net itself loads its whole socket stack, ~2 ms of a conversion's start.
 * test/fast-paths.test.ts checks the two agree.
 */
const v4Seg = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
const v4Str = `(?:${v4Seg}\\.){3}${v4Seg}`;
// The patterns are made at the first address checked, not at start: most stacks have none.
const ipv4Pattern = () => new RegExp(`^${v4Str}$`);
const v6Seg = "(?:[0-9a-fA-F]{1,4})";
const ipv6Pattern = () =>
  new RegExp(
    "^(?:" +
      `(?:${v6Seg}:){7}(?:${v6Seg}|:)|` +
      `(?:${v6Seg}:){6}(?:${v4Str}|:${v6Seg}|:)|` +
      `(?:${v6Seg}:){5}(?::${v4Str}|(?::${v6Seg}){1,2}|:)|` +
      `(?:${v6Seg}:){4}(?:(?::${v6Seg}){0,1}:${v4Str}|(?::${v6Seg}){1,3}|:)|` +
      `(?:${v6Seg}:){3}(?:(?::${v6Seg}){0,2}:${v4Str}|(?::${v6Seg}){1,4}|:)|` +
      `(?:${v6Seg}:){2}(?:(?::${v6Seg}){0,3}:${v4Str}|(?::${v6Seg}){1,5}|:)|` +
      `(?:${v6Seg}:){1}(?:(?::${v6Seg}){0,4}:${v4Str}|(?::${v6Seg}){1,6}|:)|` +
      `(?::(?:(?::${v6Seg}){0,5}:${v4Str}|(?::${v6Seg}){1,7}|:))` +
      ")(?:%[0-9a-zA-Z-.:]{1,})?$",
  );

let patterns: { v4: RegExp; v6: RegExp } | undefined;

/** 4 for an IPv4 address, 6 for IPv6, 0 otherwise. */
export function isIP(s: string): 0 | 4 | 6 {
  patterns ??= { v4: ipv4Pattern(), v6: ipv6Pattern() };
  if (patterns.v4.test(s)) return 4;
  if (patterns.v6.test(s)) return 6;
  return 0;
}
