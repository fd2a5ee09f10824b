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
