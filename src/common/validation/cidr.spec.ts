import fc from 'fast-check';
import { AddressSet, canonicalCidr, cidrWithin } from './cidr';

describe('canonicalCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.7', '192.168.1.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::1/32', '2001:db8::/32'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1/128'],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8'],
    ['::ffff:192.168.1.7', '192.168.1.7/32'],
    ['::/0', '::/0'],
  ])('%s is %s', (text, canonical) => {
    expect(canonicalCidr(text)).toBe(canonical);
  });

  it.each([
    '',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/',
    '10.0.0.0/08',
    '10.0.0.0/-1',
    '010.0.0.1/32',
    '10.0.0',
    '0x0a.0.0.1',
    'fe80::1%eth0/64',
    'example.com/8',
    '10.0.0.0/8\n',
    ' 10.0.0.0/8',
    '1'.repeat(60),
  ])('%j is refused', (text) => {
    expect(canonicalCidr(text)).toBeNull();
  });

  it('is idempotent on what it answers', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.nat(128), (ip, bits) => {
        const canonical = canonicalCidr(`${ip}/${bits}`);
        if (canonical !== null) expect(canonicalCidr(canonical)).toBe(canonical);
      }),
      { seed: 24, numRuns: 500 },
    );
  });
});

describe('cidrWithin', () => {
  it.each([
    ['10.1.0.0/16', '10.0.0.0/8', true],
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.0/7', '10.0.0.0/8', false],
    ['11.0.0.0/16', '10.0.0.0/8', false],
    ['10.0.0.5', '10.0.0.0/24', true],
    ['2001:db8:1::/48', '2001:db8::/32', true],
    ['2001:db9::/48', '2001:db8::/32', false],
    ['10.0.0.0/8', '::ffff:0:0/96', true],
    ['10.0.0.0/8', '::/0', true],
    ['::ffff:10.1.0.0/112', '10.0.0.0/8', true],
    ['2001:db8::/32', '0.0.0.0/0', false],
    ['not-a-cidr', '0.0.0.0/0', false],
  ])('%s within %s: %s', (inner, outer, expected) => {
    expect(cidrWithin(inner, outer)).toBe(expected);
  });
});

describe(AddressSet.name, () => {
  const sut = new AddressSet(['10.0.0.0/8', '2001:db8::/32']);

  it.each([
    ['10.2.3.4', true],
    ['11.0.0.1', false],
    ['127.0.0.1', false],
    ['2001:db8::7', true],
    ['2001:db9::7', false],
    ['::ffff:10.2.3.4', true],
    ['garbage', false],
  ])('%s: %s', (ip, expected) => {
    expect(sut.has(ip)).toBe(expected);
    expect(sut.has(ip)).toBe(expected); // remembered, same answer
  });

  it('refuses a missing address', () => {
    expect(sut.has(null)).toBe(false);
  });

  it('matches an IPv4 client against an IPv6 network that maps it', () => {
    expect(new AddressSet(['::ffff:0:0/96']).has('192.0.2.1')).toBe(true);
  });

  it('stays bounded and right under many addresses', () => {
    for (let i = 0; i < 2000; i++) {
      expect(sut.has(`10.0.${i % 256}.${i >> 8}`)).toBe(true);
      expect(sut.has(`12.0.${i % 256}.${i >> 8}`)).toBe(false);
    }
  });
});
