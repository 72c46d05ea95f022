import { lookup as lookupWithCallback } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface TargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** An outbound target that must not be called: its URL breaks a rule, or it reaches a forbidden address. */
export class TargetRefused extends Error {
  override name = 'TargetRefused';
}

export const MAX_URL_LENGTH = 2048;

const FORBIDDEN_ADDRESS = 'the URL must not point to a private or reserved address';
export const UNRESOLVED = 'the host name does not resolve';
const RESOLVES_FORBIDDEN = 'the host name resolves to a private or reserved address';

// Cloud instance-metadata endpoints. Each already lies in a forbidden range; naming them keeps
// them refused should a range ever be narrowed.
const METADATA_ADDRESSES = new Set(
  ['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '100.100.100.200'].map((text) =>
    ipaddr.parse(text).toNormalizedString(),
  ),
);

// IANA's global unicast block: everything outside it (bar the IPv4 translation forms, judged by
// the IPv4 they reach) is special-purpose or unassigned.
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/** Why a URL is refused, or null when it is acceptable as text (before DNS). */
export function urlProblem(url: string, policy: TargetPolicy): string | null {
  if (url.length > MAX_URL_LENGTH) return `the URL must be at most ${MAX_URL_LENGTH} characters`;
  // The URL parser silently drops tabs and newlines and trims spaces, so the text a caller sees
  // stored could differ from the address called.
  if (hasSpaceOrControl(url)) return 'the URL must not contain spaces or control characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the URL must be an absolute URL';
  }
  if (parsed.protocol !== 'https:' && !(policy.allowHttp && parsed.protocol === 'http:')) {
    return policy.allowHttp ? 'the URL must use http or https' : 'the URL must use https';
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'the URL must not contain a user name or password';
  }
  // An empty fragment leaves `hash` empty but still shows in the href.
  if (parsed.hash !== '' || parsed.href.endsWith('#')) return 'the URL must not contain a fragment';
  const host = bareHost(parsed);
  if (host === '') return 'the URL must name a host';
  if (!policy.allowPrivate && isIP(host) !== 0 && isForbiddenAddress(host)) {
    return FORBIDDEN_ADDRESS;
  }
  return null;
}

/**
 * true for addresses a webhook must not reach. Only ordinary unicast passes; an IPv6 form that
 * carries an IPv4 address (mapped, compatible, SIIT, NAT64, 6to4) is judged by that IPv4, since
 * that is where the packets go. Text that is not an address is forbidden: what cannot be judged
 * is not reached.
 */
export function isForbiddenAddress(ip: string): boolean {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(text);
  } catch {
    return true;
  }
  return address.kind() === 'ipv4'
    ? isForbiddenIPv4(address as ipaddr.IPv4)
    : isForbiddenIPv6(address as ipaddr.IPv6);
}

function isForbiddenIPv4(address: ipaddr.IPv4): boolean {
  return METADATA_ADDRESSES.has(address.toNormalizedString()) || address.range() !== 'unicast';
}

function isForbiddenIPv6(address: ipaddr.IPv6): boolean {
  if (METADATA_ADDRESSES.has(address.toNormalizedString())) return true;
  const embedded = embeddedIPv4(address);
  if (embedded !== null) return isForbiddenIPv4(embedded);
  // Teredo, the local-use NAT64 prefix and the rest of the named ranges fall here too.
  return address.range() !== 'unicast' || !address.match(GLOBAL_UNICAST);
}

/** The IPv4 address an IPv6 translation form reaches, or null when the address is not one. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const [p0, p1, p2, p3, p4, p5, p6, p7] = address.parts;
  const ipv4 = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const zeroTo64 = p0 === 0 && p1 === 0 && p2 === 0 && p3 === 0;
  // ::a.b.c.d (compatible, RFC 4291; :: and ::1 land on 0.0.0.0/8), ::ffff:a.b.c.d (mapped) and
  // ::ffff:0:a.b.c.d (SIIT, RFC 6145).
  if (zeroTo64 && ((p4 === 0 && (p5 === 0 || p5 === 0xffff)) || (p4 === 0xffff && p5 === 0))) {
    return ipv4(p6, p7);
  }
  // 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052).
  if (p0 === 0x64 && p1 === 0xff9b && p2 === 0 && p3 === 0 && p4 === 0 && p5 === 0) {
    return ipv4(p6, p7);
  }
  // 2002:aabb:ccdd::/48, 6to4 (RFC 3056).
  if (p0 === 0x2002) return ipv4(p1, p2);
  return null;
}

/**
 * Resolves the host (node:dns/promises lookup, all: true) and answers its addresses; throws
 * TargetRefused when the URL breaks a rule, when any resolved address is forbidden and
 * !policy.allowPrivate, or when none resolve. An IP literal host is judged without DNS.
 */
export async function resolveTarget(url: string, policy: TargetPolicy): Promise<string[]> {
  const problem = urlProblem(url, policy);
  if (problem !== null) throw new TargetRefused(problem);
  const host = bareHost(new URL(url));
  // urlProblem has already judged a literal.
  if (isIP(host) !== 0) return [host];
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) throw new TargetRefused(UNRESOLVED);
  // One forbidden answer refuses the host: which of its addresses a later connect uses is not ours
  // to choose.
  if (!policy.allowPrivate && addresses.some(isForbiddenAddress)) {
    throw new TargetRefused(RESOLVES_FORBIDDEN);
  }
  return addresses;
}

/**
 * A `lookup` for http(s).request that resolves as dns.lookup does but fails the connection with
 * TargetRefused when an address it would hand over is forbidden and !allowPrivate, so a DNS answer
 * that changed after registration (rebinding) is judged against the address actually used.
 *
 * Node does not call `lookup` for an IP literal host: a caller must judge literals itself.
 */
export function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    lookupWithCallback(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '');
      } else if (addresses.length === 0) {
        callback(Object.assign(new Error(UNRESOLVED), { code: 'ENOTFOUND' }), '');
      } else if (!policy.allowPrivate && addresses.some((a) => isForbiddenAddress(a.address))) {
        callback(new TargetRefused(RESOLVES_FORBIDDEN), '');
      } else if (options.all) {
        callback(null, addresses);
      } else {
        callback(null, addresses[0].address, addresses[0].family);
      }
    });
  };
}

/** The URL's host without the brackets an IPv6 literal wears. */
export function bareHost(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}
