import { configErrorLines as errorLines } from '../helpers/config-errors';
import { buildConfig, formatHostPort, parseHostPort, splitHostPort } from '../../src/core/config';

describe('splitHostPort', () => {
  it.each([
    ['10.0.0.5:26379', { host: '10.0.0.5', port: 26379 }],
    ['redis-1.internal:6379', { host: 'redis-1.internal', port: 6379 }],
    ['redis_sentinel_1:26379', { host: 'redis_sentinel_1', port: 26379 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['[::1]:6379', { host: '::1', port: 6379 }],
    ['[fd00::5]:65535', { host: 'fd00::5', port: 65535 }],
    ['[::ffff:10.0.0.1]:9190', { host: '::ffff:10.0.0.1', port: 9190 }],
  ])('when %s is given, then it is that host and port', (text, expected) => {
    expect(splitHostPort(text)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['10.0.0.5', 'no port'],
    ['10.0.0.5:', 'an empty port'],
    [':6379', 'no host'],
    ['10.0.0.5:0', 'port 0'],
    ['10.0.0.5:65536', 'a port over 65535'],
    ['10.0.0.5:63a', 'a port with a letter'],
    ['10.0.0.5:+80', 'a signed port'],
    ['10.0.0.5:6379 ', 'a trailing space'],
    ['redis 1:6379', 'a space in the host'],
    ['10.0.0.256:6379', 'digits and dots that are no IPv4 address'],
    ['::1:6379', 'an IPv6 host without brackets'],
    ['[::1]', 'brackets and no port'],
    ['[::1]6379', 'no colon after the brackets'],
    ['[redis-1]:6379', 'a name in brackets'],
    ['redis://10.0.0.5:6379', 'a URL'],
  ])('when %s (%s) is given, then it is refused', (text) => {
    expect(splitHostPort(text)).toBeUndefined();
  });

  it('when a default port is allowed, then an address without one takes it, a bare IPv6 included', () => {
    const rules = { defaultPort: 3306 };

    expect(splitHostPort('10.0.0.2', rules)).toEqual({ host: '10.0.0.2', port: 3306 });
    expect(splitHostPort('db-2.internal', rules)).toEqual({ host: 'db-2.internal', port: 3306 });
    expect(splitHostPort('fd00::2', rules)).toEqual({ host: 'fd00::2', port: 3306 });
    expect(splitHostPort('[fd00::2]', rules)).toEqual({ host: 'fd00::2', port: 3306 });
    expect(splitHostPort('[fd00::2]:3307', rules)).toEqual({ host: 'fd00::2', port: 3307 });
    expect(splitHostPort('10.0.0.2:3307', rules)).toEqual({ host: '10.0.0.2', port: 3307 });
    expect(splitHostPort('10.0.0.2:x', rules)).toBeUndefined();
  });

  it('when an address the program joined itself is split at its last colon, then an unbracketed IPv6 host is kept whole', () => {
    expect(splitHostPort('::1:9190', { lastColon: true })).toEqual({ host: '::1', port: 9190 });
    expect(splitHostPort('10.0.0.1:9190', { lastColon: true })).toEqual({ host: '10.0.0.1', port: 9190 });
    expect(splitHostPort('nonsense', { lastColon: true })).toBeUndefined();
  });

  it('when a host and port are formatted again, then an IPv6 host is bracketed', () => {
    expect(formatHostPort({ host: '::1', port: 6379 })).toBe('[::1]:6379');
    expect(formatHostPort({ host: '10.0.0.5', port: 6379 })).toBe('10.0.0.5:6379');
    expect(splitHostPort(formatHostPort({ host: 'fd00::5', port: 1 }))).toEqual({ host: 'fd00::5', port: 1 });
  });
});

describe('parseHostPort', () => {
  it('when the address is good, then it is split', () => {
    expect(parseHostPort('[::1]:26379', 'redis.sentinels[0]')).toEqual({ host: '::1', port: 26379 });
  });

  it('when the address is bad, then the error names the key, the value and what is expected', () => {
    expect(() => parseHostPort('10.0.0.5', 'redis.sentinels[2]')).toThrow(
      /^Configuration key redis\.sentinels\[2\] is "10\.0\.0\.5", which is not an address: expected host:port/,
    );
    expect(() => parseHostPort('db:x', 'mysql.replicas[0]', { defaultPort: 3306 })).toThrow(
      /mysql\.replicas\[0\] is "db:x".*the port may be left out: 3306/,
    );
  });
});

describe('host:port keys at config load', () => {
  it('when redis.sentinels lists good addresses, IPv6 included, then the configuration is built', () => {
    const config = buildConfig(undefined, {
      TANDEM_REDIS_SENTINELS: '10.0.0.11:26379, sentinel-2:26379,[fd00::13]:26379',
    });

    expect(config.redis.sentinels).toEqual(['10.0.0.11:26379', 'sentinel-2:26379', '[fd00::13]:26379']);
  });

  it('when a redis.sentinels entry is bad in config.ts, then the start is refused naming redis.sentinels[i] and the value', () => {
    const lines = errorLines({ redis: { sentinels: ['10.0.0.11:26379', '10.0.0.12', '10.0.0.13:26379'] } });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration key redis\.sentinels\[1\] from config\.ts \(or TANDEM_REDIS_SENTINELS\)/);
    expect(lines[0]).toContain('"10.0.0.12"');
    expect(lines[0]).toContain('expected host:port');
  });

  it('when redis.sentinels comes from its variable with two bad entries, then each is a line naming the variable', () => {
    const lines = errorLines(undefined, { TANDEM_REDIS_SENTINELS: '::1:26379,10.0.0.12:26379,10.0.0.13:99999' });

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^Configuration key redis\.sentinels\[0\] from environment variable TANDEM_REDIS_SENTINELS is "::1:26379"/,
    );
    expect(lines[1]).toMatch(
      /^Configuration key redis\.sentinels\[2\] from environment variable TANDEM_REDIS_SENTINELS is "10\.0\.0\.13:99999"/,
    );
  });

  it('when mysql.replicas name a host without a port, then it is accepted; a bad port is refused naming mysql.replicas[i]', () => {
    expect(buildConfig({ mysql: { replicas: ['10.0.0.2', '10.0.0.3:3307'] } }, {}).mysql.replicas).toEqual([
      '10.0.0.2',
      '10.0.0.3:3307',
    ]);

    const lines = errorLines({ mysql: { replicas: ['10.0.0.2', '10.0.0.3:'] } });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration key mysql\.replicas\[1\] from config\.ts .* is "10\.0\.0\.3:"/);
  });
});
