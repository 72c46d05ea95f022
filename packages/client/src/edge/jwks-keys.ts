import { importJWK, type JWK, type JWTHeaderParameters, type KeyLike } from 'jose';
import { discard, type LatchkeyHttp, readText } from './http';

/** Latchkey's key set is a few keys; anything much larger is not it. */
const MAX_JWKS_BYTES = 256 * 1024;
/**
 * The key set is read again at most this often, whatever asks: a stream of lists naming kids
 * nobody knows (forged, or from another installation) costs Latchkey one read per period.
 */
const REFETCH_COOLDOWN_MS = 30_000;
/** Read again after this long even when every kid is known, so a withdrawn key stops verifying. */
const MAX_AGE_MS = 10 * 60_000;

/**
 * Latchkey's signing keys (`/.well-known/jwks.json`), as jose's key resolver for `jwtVerify`.
 * Only EC P-256 public keys for ES256 signatures are taken: a status list is signed with nothing
 * else, so no other key in the set can be made to verify one.
 */
export class JwksKeys {
  private keys = new Map<string, KeyLike>();
  /** When the set was last asked for (any outcome), and last read whole (ms). */
  private askedAt = -Infinity;
  private loadedAt = -Infinity;
  private inflight: Promise<void> | null = null;
  fetches = 0;

  constructor(
    private readonly url: string,
    private readonly http: LatchkeyHttp,
    private readonly now: () => number,
  ) {}

  /** The key that `header.kid` names; refused when the set (read again if due) has none such. */
  readonly resolve = async (header: JWTHeaderParameters): Promise<KeyLike> => {
    const { kid } = header;
    if (typeof kid !== 'string') throw new Error('the list names no key');
    const now = this.now();
    const due = !this.keys.has(kid) || now - this.loadedAt >= MAX_AGE_MS;
    // A read under way is waited for: a second check arriving meanwhile would find no keys yet.
    if (due && (this.inflight !== null || now - this.askedAt >= REFETCH_COOLDOWN_MS)) {
      // A set that cannot be read now leaves the keys held: the list's own checks still apply.
      await this.load().catch(() => undefined);
    }
    const key = this.keys.get(kid);
    if (key === undefined) throw new Error('the list is signed by a key not in the key set');
    return key;
  };

  private load(): Promise<void> {
    this.inflight ??= this.read().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async read(): Promise<void> {
    this.askedAt = this.now();
    this.fetches++;
    const response = await this.http.get(this.url, { accept: 'application/json' });
    if (response.status !== 200) {
      await discard(response);
      throw new Error(`the key set answered ${response.status}`);
    }
    const set = JSON.parse(await readText(response, MAX_JWKS_BYTES)) as { keys?: unknown };
    if (!Array.isArray(set?.keys)) throw new Error('the key set has no keys');
    const keys = new Map<string, KeyLike>();
    for (const jwk of set.keys as unknown[]) {
      if (isStatusListKey(jwk)) keys.set(jwk.kid, (await importJWK(jwk, 'ES256')) as KeyLike);
    }
    // The set replaces the one held: a key Latchkey no longer publishes verifies nothing more.
    this.keys = keys;
    this.loadedAt = this.now();
  }
}

/** A public EC P-256 key for ES256 signatures, with a kid; a private one (`d`) is never taken. */
function isStatusListKey(jwk: unknown): jwk is JWK & { kid: string } {
  if (typeof jwk !== 'object' || jwk === null) return false;
  const key = jwk as JWK;
  return (
    key.kty === 'EC' &&
    key.crv === 'P-256' &&
    typeof key.kid === 'string' &&
    key.kid !== '' &&
    key.d === undefined &&
    (key.alg === undefined || key.alg === 'ES256') &&
    (key.use === undefined || key.use === 'sig')
  );
}
