import { parseCidr } from '../../src/core/config/cidr';

describe('parseCidr (config check and Thrift allow-list)', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, type: 'ipv4' }],
    ['127.0.0.1', { address: '127.0.0.1', prefix: 32, type: 'ipv4' }],
    ['::1/128', { address: '::1', prefix: 128, type: 'ipv6' }],
    ['fd00::', { address: 'fd00::', prefix: 128, type: 'ipv6' }],
  ])('when %s is given, then it is that network', (cidr, expected) => {
    expect(parseCidr(cidr)).toEqual(expected);
  });

  it.each(['10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '10.0.0.0/x', '10.0.0/8', 'localhost', '', '/8'])(
    'when %s is given, then it is refused',
    (cidr) => {
      expect(parseCidr(cidr)).toBeUndefined();
    },
  );
});
