import { createPrivateKey, createPublicKey, hkdfSync, KeyObject, sign } from 'node:crypto';

/** PKCS #8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** HKDF's salt, and the start of its info: a change to either changes every key (see the spec). */
const HKDF_SALT = 'latchkey webhooks';
const HKDF_INFO = 'v1a ed25519 signing key';

/** A generation is a non-negative integer of at most 9 digits: it fits the column's integer. */
export const MAX_KEY_GENERATION = 999_999_999;

/**
 * `<chain>.<generation>`: the chain is a business id (a lowercase UUID) or `platform` (the
 * platform chain's id). One spelling per key, so a key is never served under two names.
 */
export const KID_PATTERN =
  /^(platform|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(0|[1-9][0-9]{0,8})$/;

/** The key id of a chain's key of one generation, as messages and the well-known route name it. */
export const kidOf = (chainId: string, generation: number): string => `${chainId}.${generation}`;

/** The chain and generation a key id names, or null for text that is not one. */
export function parseKid(kid: string): { chainId: string; generation: number } | null {
  const m = KID_PATTERN.exec(kid);
  return m ? { chainId: m[1], generation: Number(m[2]) } : null;
}

/**
 * One chain's Ed25519 key for `v1a` webhook signatures, of one generation. The seed is
 * HKDF-SHA256 of the installation's webhook key (`WEBHOOK_SECRETS_KEY`), with the chain (a
 * business id, or the platform's) and the generation in the info: every instance derives the
 * same key, the database holds none, and no two businesses share one, so a message signed for
 * one business does not verify under another's key.
 */
export class WebhookSigningKey {
  private readonly privateKey: KeyObject;
  /** `<chain>.<generation>`, as the `webhook-key-id` header names it. */
  readonly kid: string;
  /** The raw 32-byte public key. */
  readonly publicKey: Buffer;
  /** `whpk_` and the public key in base64, as Standard Webhooks spells one. */
  readonly publicKeyText: string;

  constructor(
    secretsKey: Buffer,
    readonly chainId: string,
    readonly generation: number,
  ) {
    if (!parseKid(kidOf(chainId, generation))) {
      throw new Error('a v1a key belongs to a business or the platform, of a generation ≥ 0');
    }
    this.kid = kidOf(chainId, generation);
    this.privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, deriveSeed(secretsKey, chainId, generation)]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(this.privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = spki.subarray(spki.length - 32);
    this.publicKeyText = `whpk_${this.publicKey.toString('base64')}`;
  }

  /** `v1a,` and the Ed25519 signature of `<id>.<timestamp>.<payload>`, in base64. */
  sign(id: string, timestamp: string, payload: string): string {
    const signed = sign(null, Buffer.from(`${id}.${timestamp}.${payload}`), this.privateKey);
    return `v1a,${signed.toString('base64')}`;
  }
}

/**
 * The 32-byte Ed25519 seed: HKDF-SHA256(ikm = the installation's key, salt = `latchkey webhooks`,
 * info = `v1a ed25519 signing key` NUL chain NUL generation). The NULs keep the parts apart; the
 * platform chain's id (`platform`) is no UUID, so it never meets a business's.
 */
export function deriveSeed(secretsKey: Buffer, chainId: string, generation: number): Buffer {
  const info = `${HKDF_INFO}\0${chainId}\0${generation}`;
  return Buffer.from(hkdfSync('sha256', secretsKey, HKDF_SALT, info, 32));
}
