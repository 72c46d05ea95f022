import ipaddr from 'ipaddr.js';

/**
 * An address in its one canonical spelling (IPv4 dotted, IPv6 as RFC 5952 writes it, an
 * IPv4-mapped IPv6 address as the IPv4 it maps), or null when it is not an IP address at all.
 */
export function canonicalIp(value: string | undefined | null): string | null {
  if (!value || value.length > 64) return null;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (seen.size >= SEEN_MAX) seen.clear();
  const canonical = parse(value);
  seen.set(value, canonical);
  return canonical;
}

/**
 * Addresses already parsed: a server sees the same few again and again (a proxy, its clients),
 * and this runs on every authenticated request. Bounded; emptied whole when full.
 */
const seen = new Map<string, string | null>();
const SEEN_MAX = 4096;

function parse(value: string): string | null {
  const bare = value.replace(/%[0-9A-Za-z._~-]{1,32}$/, '');
  if (!ipaddr.isValid(bare)) return null;
  const parsed = ipaddr.process(bare);
  return parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
}

/** The part of a request the client address is read from. */
export interface AddressedRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
}

/**
 * The client's address as stored, logged and rate limited. `request.ip` follows TRUST_PROXY;
 * should what it names not parse as an address (a trusted hop forwarding garbage), the peer's
 * own address stands instead, so no forwarded text ever reaches a log or a key, and the limits
 * count such clients together. A token's networks are held to `namedClientIp` instead.
 */
export function clientIp(request: AddressedRequest): string | null {
  return canonicalIp(request.ip) ?? canonicalIp(request.socket?.remoteAddress);
}

/**
 * The client's address exactly as TRUST_PROXY names it, with no fallback: null when a trusted hop
 * forwarded something that is not an address (a proxy that appends a port, say). What a token's
 * networks are held to and what audit records, so a garbled forwarded address never borrows the
 * proxy's own, which may well lie inside a token's networks.
 */
export function namedClientIp(request: AddressedRequest): string | null {
  return request.ip !== undefined
    ? canonicalIp(request.ip)
    : canonicalIp(request.socket?.remoteAddress);
}
