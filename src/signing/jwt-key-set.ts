import { createECDH, createHash, createPrivateKey } from 'node:crypto';
import { ConfigValidationError } from '../config/load-config';

/**
 * The installation's JWT signing key set as its file holds it, `{"keys":[…]}`: private P-256 JWKs
 * (ES256), each with its kid and the instant it begins to sign (`active_from`). Plain functions of
 * the set and a time, so a rotation, the signer and their tests all read it alike.
 */

export const JWT_ALG = 'ES256';

/** The bytes of a P-256 coordinate or private scalar, as a JWK spells each (RFC 7518 §6.2). */
const P256_BYTES = 32;

/** x and y of an uncompressed P-256 point, as ECDH writes it: 0x04, then x, then y. */
function coordinatesOf(point: Buffer): [Buffer, Buffer] {
  return [point.subarray(1, 1 + P256_BYTES), point.subarray(1 + P256_BYTES)];
}

/** A key of the set: a private EC P-256 JWK, its kid, and when it begins to sign (ISO instant). */
export interface JwtSigningKey {
  kid: string;
  active_from: string;
  kty: 'EC';
  crv: 'P-256';
  alg: typeof JWT_ALG;
  x: string;
  y: string;
  /** The private part: a secret, never logged, printed or published. */
  d: string;
}

/** What a JWKS publishes of a key (RFC 7517, RFC 7518 §6.2.1): never `d`. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: typeof JWT_ALG;
  use: 'sig';
}

/** A bound on the set, so a start and a JWKS stay small; a rotation keeps far fewer. */
export const MAX_KEYS = 64;

const MEMBERS = new Set(['kid', 'active_from', 'kty', 'crv', 'alg', 'x', 'y', 'd', 'use']);
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;
const KID = /^[A-Za-z0-9._~-]{1,128}$/;
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

/** RFC 7638's thumbprint of a P-256 key: SHA-256 over its required members, in this order. */
export function jwkThumbprint(jwk: { x: string; y: string }): string {
  const members = JSON.stringify({ crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y });
  return createHash('sha256').update(members).digest('base64url');
}

/**
 * A new key that signs from `activeFrom` (ms), its kid its thumbprint. Synchronous (node:crypto,
 * not jose's async thumbprint), as a start makes the embedded default's file before Nest builds.
 */
export function newJwtSigningKey(activeFrom: number): JwtSigningKey {
  // ECDH makes the same P-256 pair without a KeyObject. On Node 20, exporting as a JWK a key that
  // generateKeyPairSync made can deadlock the process: a collection during the export frees the
  // job that made the key, whose destructor waits on the lock the export holds (it hung a test
  // worker, and would hang the server's key rotation).
  const ecdh = createECDH('prime256v1');
  const point = ecdh.generateKeys();
  const scalar = ecdh.getPrivateKey(); // without its leading zero bytes, one time in 256
  const d = Buffer.alloc(P256_BYTES);
  scalar.copy(d, P256_BYTES - scalar.length);
  const [x, y] = coordinatesOf(point).map((c) => c.toString('base64url'));
  return {
    kid: jwkThumbprint({ x, y }),
    active_from: new Date(activeFrom).toISOString(),
    kty: 'EC',
    crv: 'P-256',
    alg: JWT_ALG,
    x,
    y,
    d: d.toString('base64url'),
  };
}

/** The file's text of a set. */
export function formatJwtKeySet(keys: readonly JwtSigningKey[]): string {
  return JSON.stringify({ keys }, null, 2);
}

/**
 * The set in `text`, checked whole: JSON `{"keys":[…]}` with 1 to 64 keys, each a P-256 private
 * key whose `d` is that of its `x` and `y`, with a kid of its own, alg ES256 and an ISO instant.
 * Throws a `ConfigValidationError`, each problem starting with `where`, none holding a key's text.
 */
export function parseJwtKeySet(where: string, text: string): JwtSigningKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message: V8's quotes the text around the fault, which may be a key.
    throw new ConfigValidationError([`${where}: not JSON`]);
  }
  const keys = isObject(json) && Object.keys(json).length === 1 ? json.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    throw new ConfigValidationError([
      `${where}: not a key set: {"keys":[…]} with 1 to ${MAX_KEYS} keys and nothing else`,
    ]);
  }
  const problems: string[] = [];
  const parsed = keys.map((key: unknown, i) => {
    const problem = problemOf(key);
    if (problem) problems.push(`keys[${i}]${kidOf(key)}: ${problem}`);
    return problem ? null : asKey(key as JwtSigningKey);
  });
  if (problems.length === 0) problems.push(...duplicatesIn(parsed as JwtSigningKey[]));
  if (problems.length > 0) {
    throw new ConfigValidationError(problems.map((problem) => `${where}: ${problem}`));
  }
  return parsed as JwtSigningKey[];
}

/** The key's members alone, in the file's order (`use` is implied). */
function asKey({ kid, active_from, kty, crv, alg, x, y, d }: JwtSigningKey): JwtSigningKey {
  return { kid, active_from, kty, crv, alg, x, y, d };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ` (kid …)` when the key has a well-formed kid to name it by: a kid is public. */
function kidOf(key: unknown): string {
  return isObject(key) && typeof key.kid === 'string' && KID.test(key.kid)
    ? ` (kid ${key.kid})`
    : '';
}

/** What is wrong with one key, or null. Names members, never their values. */
function problemOf(key: unknown): string | null {
  if (!isObject(key)) return 'not a JWK object';
  const unknown = Object.keys(key).filter((name) => !MEMBERS.has(name));
  if (unknown.length > 0) {
    const named = unknown.every((name) => /^[A-Za-z_]{1,32}$/.test(name));
    return named ? `unknown member(s) ${unknown.join(', ')}` : 'unknown members';
  }
  if (typeof key.kid !== 'string' || !KID.test(key.kid)) {
    return 'kid must be 1 to 128 letters, digits or any of . _ ~ -';
  }
  if (key.kty !== 'EC' || key.crv !== 'P-256') return 'not an EC P-256 key (kty "EC", crv "P-256")';
  if (key.alg !== JWT_ALG) return `alg must be "${JWT_ALG}"`;
  if (key.use !== undefined && key.use !== 'sig') return 'use must be "sig" when given';
  if (typeof key.active_from !== 'string' || !INSTANT.test(key.active_from)) {
    return 'active_from must be an ISO instant in UTC, such as 2025-01-01T00:00:00.000Z';
  }
  if (Number.isNaN(Date.parse(key.active_from))) return 'active_from is not a real instant';
  if (key.d === undefined) return 'the private part (d) is missing: a public key cannot sign';
  for (const name of ['x', 'y', 'd'] as const) {
    if (typeof key[name] !== 'string' || !COORDINATE.test(key[name])) {
      return `${name} must be 32 bytes in base64url`;
    }
  }
  return matchesItsPrivatePart(key as unknown as JwtSigningKey)
    ? null
    : 'd is not the private key of this x and y';
}

/** Whether `d` makes the public point `x`,`y`, and the whole JWK imports as a P-256 key. */
function matchesItsPrivatePart(key: JwtSigningKey): boolean {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(key.d, 'base64url'));
    const [px, py] = coordinatesOf(ecdh.getPublicKey());
    const { x, y, d, kty, crv } = key;
    createPrivateKey({ key: { kty, crv, x, y, d }, format: 'jwk' });
    return px.equals(Buffer.from(x, 'base64url')) && py.equals(Buffer.from(y, 'base64url'));
  } catch {
    return false;
  }
}

/** Two keys under one kid, or one key under two kids: which a `kid` names must be certain. */
function duplicatesIn(keys: readonly JwtSigningKey[]): string[] {
  const problems: string[] = [];
  const kids = new Map<string, number>();
  const points = new Map<string, number>();
  keys.forEach((key, i) => {
    const kid = kids.get(key.kid);
    if (kid !== undefined) problems.push(`keys[${i}]: kid ${key.kid} is also keys[${kid}]'s`);
    kids.set(key.kid, i);
    const point = points.get(jwkThumbprint(key));
    if (point !== undefined)
      problems.push(`keys[${i}] (kid ${key.kid}): the same key as keys[${point}]`);
    points.set(jwkThumbprint(key), i);
  });
  return problems;
}

interface Placed {
  key: JwtSigningKey;
  at: number;
}

/** Oldest first by `active_from`; keys of one instant keep the file's order, the later winning. */
function byActiveFrom(keys: readonly JwtSigningKey[]): Placed[] {
  return keys
    .map((key, i) => ({ key, at: Date.parse(key.active_from), i }))
    .sort((a, b) => a.at - b.at || a.i - b.i);
}

/**
 * The key that signs at `now`: the latest whose `active_from` has come. When none has (a clock
 * behind the one that wrote the set), the earliest: every instance already lists a key that is
 * not yet active, so what it signs still verifies.
 */
export function currentKey(keys: readonly JwtSigningKey[], now: number): JwtSigningKey {
  const placed = byActiveFrom(keys);
  const active = placed.filter((p) => p.at <= now);
  return (active[active.length - 1] ?? placed[0]).key;
}

/**
 * The keys a JWKS lists at `now`, oldest first: the current one, those not yet active, and those
 * replaced (a later key became active) less than `retiredListedMs` ago, so a JWT signed just
 * before its key was replaced still verifies for that long.
 */
export function listedKeys(
  keys: readonly JwtSigningKey[],
  now: number,
  retiredListedMs: number,
): JwtSigningKey[] {
  const placed = byActiveFrom(keys);
  return placed
    .filter((p, i) => {
      const next = placed[i + 1];
      const replacedAt = next && next.at <= now ? next.at : null;
      return replacedAt === null || now - replacedAt < retiredListedMs;
    })
    .map((p) => p.key);
}

/** The public half of a key, as a JWKS lists it. */
export function publicJwk(key: JwtSigningKey): PublicJwk {
  return { kty: 'EC', crv: 'P-256', x: key.x, y: key.y, kid: key.kid, alg: JWT_ALG, use: 'sig' };
}
