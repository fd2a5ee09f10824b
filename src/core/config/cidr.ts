import net from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  type: 'ipv4' | 'ipv6';
}

/**
 * `10.0.0.0/8`, `::1/128` or a bare address (a network of one), or
 * undefined when it is none of those. The one parser for configured client
 * networks: the config check at load and the Thrift server's allow-list.
 */
export function parseCidr(cidr: string): Cidr | undefined {
  const [address, bits, extra] = cidr.split('/');
  const family = address ? net.isIP(address) : 0;
  if (!address || family === 0 || extra !== undefined) return undefined;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const max = family === 6 ? 128 : 32;
  if (bits === undefined) return { address, prefix: max, type };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { address, prefix: Number(bits), type };
}

/** The allow-list of client networks (Thrift's, /metrics'); undefined allows every address. Throws on a malformed CIDR. */
export function buildAllowList(networks: readonly string[]): net.BlockList | undefined {
  if (networks.length === 0) return undefined;
  const list = new net.BlockList();
  for (const cidr of networks) {
    const network = parseCidr(cidr);
    if (!network) throw new Error(`"${cidr}" is not an IP network in CIDR form`);
    list.addSubnet(network.address, network.prefix, network.type);
  }
  return list;
}

/** Whether an address is on the list; an IPv4-mapped IPv6 address (::ffff:10.0.0.1) counts as IPv4. */
export function isAllowed(list: net.BlockList | undefined, remote: string | undefined): boolean {
  if (!list) return true;
  if (!remote) return false;
  const v4 = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
  return net.isIPv4(v4) ? list.check(v4, 'ipv4') : list.check(remote, 'ipv6');
}
