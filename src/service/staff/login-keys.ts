import net from 'node:net';

/**
 * A username as the staff table compares it (utf8mb4_unicode_ci): width and
 * compatibility forms folded (NFKD: `ｖ` is `v`), accents dropped (`í` is
 * `i`), case folded. Only for names that match no account; an account's
 * failures are counted under its id, whatever spelling found it.
 */
export function foldedUsername(username: string): string {
  return username.trim().normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The key failed logins for a username count under: the account's id when the name finds one. */
export function userKeyOf(username: string, accountId: number | undefined): string {
  return accountId === undefined ? `name:${foldedUsername(username)}` : `id:${accountId}`;
}

/**
 * The key failed logins from an address count under. IPv4 (also written as
 * IPv6, `::ffff:10.0.0.1`) is the address itself; IPv6 is its /64, since one
 * client commonly holds a whole /64 and could take a new address per guess.
 */
export function addressKeyOf(address: string): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (net.isIPv4(v4)) return v4;
  if (!net.isIPv6(address)) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('%')[0]?.split('::') ?? [''];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) is two groups; it only matters past the /64, so it is counted, not kept.
  const width = (groups: string[]): number => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const missing = tail === undefined ? 0 : 8 - width(left) - width(right);
  const groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  return groups.map((g) => (g.includes('.') ? g : g.replace(/^0+(?=.)/, '')));
}
