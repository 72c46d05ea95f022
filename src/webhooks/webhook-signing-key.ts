import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  KeyObject,
  sign,
} from 'node:crypto';

/** PKCS #8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The installation's Ed25519 key for `v1a` webhook signatures. It is derived (HKDF-SHA256) from
 * the key that seals webhook secrets, so it needs no setting of its own and changes only with
 * that key; the database holds neither.
 */
export class WebhookSigningKey {
  private readonly privateKey: KeyObject;
  /** The raw 32-byte public key. */
  readonly publicKey: Buffer;
  /** `whpk_` and the public key in base64, as Standard Webhooks spells one. */
  readonly publicKeyText: string;
  /** Names the key in `/.well-known/latchkey-webhook-keys`: 16 hex digits of its SHA-256. */
  readonly kid: string;

  constructor(secretsKey: Buffer) {
    const seed = Buffer.from(
      hkdfSync('sha256', secretsKey, 'latchkey webhooks', 'v1a ed25519 signing key', 32),
    );
    this.privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    });
    const spki = createPublicKey(this.privateKey).export({ format: 'der', type: 'spki' });
    this.publicKey = spki.subarray(spki.length - 32);
    this.publicKeyText = `whpk_${this.publicKey.toString('base64')}`;
    this.kid = createHash('sha256').update(this.publicKey).digest('hex').slice(0, 16);
  }

  /** `v1a,` and the Ed25519 signature of `<id>.<timestamp>.<payload>`, in base64. */
  sign(id: string, timestamp: string, payload: string): string {
    const signed = sign(null, Buffer.from(`${id}.${timestamp}.${payload}`), this.privateKey);
    return `v1a,${signed.toString('base64')}`;
  }
}
