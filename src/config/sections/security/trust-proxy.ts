import ipaddr from 'ipaddr.js';

/**
 * What Fastify's `trustProxy` is given: off, a hop count, or the proxies' addresses and CIDRs.
 * Never `true`, which trusts every hop, so `request.ip` would be the left-most X-Forwarded-For
 * entry: whatever the client wrote.
 */
export type TrustProxy = false | number | string[];

/** The most proxies a request is believed to have passed, as a hop count. */
export const MAX_TRUSTED_HOPS = 16;

const CHOICES =
  'give false (the default: no proxy), a hop count such as 1 (one proxy in front), or the ' +
  "proxies' addresses and CIDRs, comma-separated (for example 10.0.0.0/8,127.0.0.1)";

/** Parses TRUST_PROXY, or throws a message that names the choices. */
export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  const lower = value.toLowerCase();
  if (lower === 'false' || lower === '0' || lower === '') return false;
  if (lower === 'true') {
    throw new Error(`true would trust the client's own X-Forwarded-For entries: ${CHOICES}`);
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_TRUSTED_HOPS) {
      throw new Error(`a hop count is at most ${MAX_TRUSTED_HOPS}: ${CHOICES}`);
    }
    return hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isAddressOrCidr(entry));
  if (bad.length > 0) {
    throw new Error(`${JSON.stringify(bad[0].slice(0, 64))} is not an address or CIDR: ${CHOICES}`);
  }
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(entry);
}

/**
 * Whether a connection's peer is a proxy TRUST_PROXY trusts, as Fastify reads it: none when off,
 * the peer itself for a hop count (it is the first hop), else a peer inside one of the listed
 * addresses and CIDRs (an IPv4-mapped IPv6 peer matches the IPv4 ones, and the other way round).
 */
export function trustsPeer(trust: TrustProxy): (peer: string | undefined) => boolean {
  if (trust === false || trust === 0) return () => false;
  if (typeof trust === 'number') return () => true;
  const ranges = trust.map((entry): [ipaddr.IPv4 | ipaddr.IPv6, number] => {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const address = ipaddr.parse(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  });
  return (peer) => {
    const bare = peer?.replace(/%[0-9A-Za-z._~-]{1,32}$/, '');
    if (!bare || !ipaddr.isValid(bare)) return false;
    const address = ipaddr.process(bare);
    return ranges.some(([network, bits]) => {
      const [range, prefix] =
        network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress()
          ? [(network as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)]
          : [network, bits];
      if (address.kind() === range.kind()) return address.match(range, prefix);
      // An IPv4 peer against an IPv6 range: as its mapped form (::ffff:a.b.c.d).
      return (
        address.kind() === 'ipv4' &&
        (address as ipaddr.IPv4).toIPv4MappedAddress().match(range, prefix)
      );
    });
  };
}
