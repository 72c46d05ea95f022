import { parseTrustProxy, trustsPeer } from './trust-proxy';

describe(trustsPeer.name, () => {
  const peers = [
    '127.0.0.1',
    '::ffff:127.0.0.1',
    '::1',
    '10.1.2.3',
    '::ffff:10.1.2.3',
    '203.0.113.9',
    'fe80::1%eth0',
    'not-an-address',
    '',
  ];
  // Each TRUST_PROXY value, and the peers it trusts: every other peer of the list is not.
  const table: [string, string[]][] = [
    ['false', []],
    ['0', []],
    ['1', peers],
    ['3', peers],
    ['127.0.0.1', ['127.0.0.1', '::ffff:127.0.0.1']],
    ['10.0.0.0/8', ['10.1.2.3', '::ffff:10.1.2.3']],
    ['::ffff:10.0.0.0/104', ['10.1.2.3', '::ffff:10.1.2.3']],
    ['::1,10.1.2.3', ['::1', '10.1.2.3', '::ffff:10.1.2.3']],
    ['fe80::/10', ['fe80::1%eth0']],
    // Every address, IPv4 ones as their mapped forms, as Fastify's proxy-addr has it.
    ['::/0', peers.filter((p) => p !== 'not-an-address' && p !== '')],
  ];
  const cases = table.flatMap(([value, trusted]) =>
    peers.map((peer) => [value, peer, trusted.includes(peer)] as const),
  );

  it.each(cases)('TRUST_PROXY=%s, peer %j: trusted %s', (value, peer, trusted) => {
    expect(trustsPeer(parseTrustProxy(value))(peer)).toBe(trusted);
  });

  it('trusts no peer it cannot read', () => {
    expect(trustsPeer(['10.0.0.0/8'])(undefined)).toBe(false);
  });
});
