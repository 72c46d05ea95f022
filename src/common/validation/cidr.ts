import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
/** A network: its first address and prefix length, IPv4 kept as IPv4 (mapped forms unwrapped). */
type Range = [Address, number];

/** The longest spelling a CIDR may have: a full IPv6 address with an IPv4 tail, and `/128`. */
export const MAX_CIDR_LENGTH = 49;

/**
 * Parses `text` as a network, IPv4 or IPv6, or a bare address (a /32 or /128). IPv4 must be four
 * decimal parts (`010.0.0.1`, read as octal by some parsers, is refused); an IPv4-mapped IPv6
 * network of prefix ≥ 96 is the IPv4 network it maps. Null when it is none of these.
 */
function parseRange(text: string): Range | null {
  if (text.length === 0 || text.length > MAX_CIDR_LENGTH) return null;
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const bits = slash < 0 ? null : text.slice(slash + 1);
  if (bits !== null && !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return null;
  let address: Address;
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) address = ipaddr.IPv4.parse(host);
  else if (host.includes(':') && ipaddr.IPv6.isValid(host) && !host.includes('%')) {
    address = ipaddr.IPv6.parse(host);
  } else return null;
  const width = address.kind() === 'ipv4' ? 32 : 128;
  let prefix = bits === null ? width : Number(bits);
  if (prefix > width) return null;
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && prefix >= 96) {
    address = address.toIPv4Address();
    prefix -= 96;
  }
  return [networkOf(address, prefix), prefix];
}

/** The first address of the network of `prefix` bits that holds `address`. */
function networkOf(address: Address, prefix: number): Address {
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return ipaddr.fromByteArray(bytes);
}

function spell([address, prefix]: Range): string {
  const text = address instanceof ipaddr.IPv6 ? address.toRFC5952String() : address.toString();
  return `${text}/${prefix}`;
}

/**
 * A network in its one canonical spelling (`10.0.0.0/8`, `2001:db8::/32`; host bits cleared,
 * a bare address as /32 or /128, an IPv4-mapped network as IPv4), or null when `text` is not one.
 */
export function canonicalCidr(text: string): string | null {
  const range = parseRange(text);
  return range ? spell(range) : null;
}

/** Whether `address` lies in `range`; an IPv4 address is also matched in its mapped IPv6 form. */
function inRange(address: Address, [network, prefix]: Range): boolean {
  if (address.kind() === network.kind()) return address.match(network, prefix);
  if (address instanceof ipaddr.IPv4 && network instanceof ipaddr.IPv6) {
    return address.toIPv4MappedAddress().match(network, prefix);
  }
  return false;
}

/** Whether every address of network `inner` lies in network `outer` (both canonical or not). */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseRange(inner);
  const b = parseRange(outer);
  if (!a || !b) return false;
  const [network, prefix] = a;
  // An IPv4 network seen from IPv6 is 96 bits longer.
  const width = network.kind() === 'ipv4' && b[0].kind() === 'ipv6' ? prefix + 96 : prefix;
  return width >= b[1] && inRange(network, b);
}

/** Whether every network of `inner` lies in one of `outer`'s (null is everywhere). */
export function cidrsWithin(
  inner: readonly string[] | null,
  outer: readonly string[] | null,
): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  return inner.every((cidr) => outer.some((allowed) => cidrWithin(cidr, allowed)));
}

const MEMO_MAX = 64;

/**
 * A set of networks an address is tested against, parsed once. Built once per cached token, and
 * asked on every request it serves, so the answers for the few addresses a token is used from
 * are remembered (bounded; emptied whole when full).
 */
export class AddressSet {
  private readonly ranges: Range[];
  private readonly memo = new Map<string, boolean>();

  constructor(readonly cidrs: readonly string[]) {
    this.ranges = cidrs.map(parseRange).filter((r): r is Range => r !== null);
  }

  /** Whether `ip` (canonical, as `clientIp` gives it) lies in one of the networks. */
  has(ip: string | null): boolean {
    if (ip === null) return false;
    const known = this.memo.get(ip);
    if (known !== undefined) return known;
    const address = ipaddr.isValid(ip) ? ipaddr.process(ip) : null;
    const answer = address !== null && this.ranges.some((r) => inRange(address, r));
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(ip, answer);
    return answer;
  }
}
