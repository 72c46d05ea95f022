import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { discard, type Fetch, LatchkeyHttp, readText } from '../edge/http';
import { JwksKeys } from '../edge/jwks-keys';
import type { EdgeVerifier } from '../verifier';
import { holderOf, type SsfErrorCode } from './set-events';

export interface SsfReceiverOptions {
  /** Latchkey's address, as the verifier's `baseUrl`: the key set and the stream routes are there. */
  baseUrl: string;
  /** The verifier whose memory an event drops the token from (the one your middleware uses). */
  verifier: EdgeVerifier;
  /**
   * The `aud` of the stream (or streams) this app receives: `urn:latchkey:ssf:stream:<id>`, as
   * `register()` sets it. A SET for any other audience changes nothing.
   */
  audience?: string | readonly string[];
  /**
   * The `Authorization` header Latchkey sends with each push (the stream's
   * `authorization_header`, which `register()` makes and sets): a push without it is 401.
   */
  authorization?: string;
  /** The `iss` of Latchkey's SETs; default: what its `/.well-known/ssf-configuration` says. */
  issuer?: string;
  fetch?: Fetch;
  /** Each call to Latchkey (the configuration, the key set). Default 3000. */
  requestTimeoutMs?: number;
}

/** One push as the framework received it. */
export interface SsfPush {
  /** The raw body: the SET itself. */
  body: string | Uint8Array | null | undefined;
  contentType?: string | null;
  authorization?: string | null;
}

/** RFC 8935 §2.3: 202 for a SET taken, else 400 (401 unauthenticated) with the error's code. */
export interface SsfAnswer {
  status: 202 | 400 | 401 | 503;
  body: { err: SsfErrorCode | 'temporarily_unavailable'; description: string } | null;
}

export interface SsfReceiverStats {
  /** SETs verified and acted on (a replay of one is not counted again). */
  accepted: number;
  /** Pushes refused: unauthenticated, malformed, forged, for another audience or issuer. */
  refused: number;
  /** Cached tokens the events dropped. */
  dropped: number;
}

/** A SET is a few hundred bytes; anything much larger is not one of Latchkey's. */
export const MAX_SET_BYTES = 64 * 1024;
const MEDIA_TYPE = 'application/secevent+jwt';
const ACCEPTED: SsfAnswer = Object.freeze({ status: 202, body: null });

/**
 * Receives Latchkey's Shared Signals pushes (RFC 8935) for an app that checks tokens with an
 * `EdgeVerifier`, so a revocation, a pause or a narrowing reaches the app within moments rather
 * than the status list's `ttl` or the claims' age. Each SET is checked with `jose` against
 * Latchkey's key set (ES256, `typ: secevent+jwt`, the issuer, this stream's audience) and its
 * `jti` is kept, so a forged, foreign or replayed SET changes nothing. A good one drops the
 * holder's tokens from the verifier: their next check asks Latchkey, which says what holds now.
 */
export class SsfReceiver {
  private readonly verifier: EdgeVerifier;
  private readonly root: string;
  private readonly http: LatchkeyHttp;
  private readonly fetch: Fetch;
  private readonly keys: JwksKeys;
  private readonly seen = new LRUCache<string, true>({ max: 10_000 });
  private audiences: string[];
  private authorization: string | undefined;
  private issuer: string | undefined;
  private readonly counts: SsfReceiverStats = { accepted: 0, refused: 0, dropped: 0 };

  constructor(options: SsfReceiverOptions) {
    const base = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : null;
    if (base?.protocol !== 'https:' && base?.protocol !== 'http:') {
      throw new TypeError('baseUrl must be an http(s) URL');
    }
    this.root = base.href.replace(/\/+$/, '');
    this.verifier = options.verifier;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.http = new LatchkeyHttp(this.fetch, options.requestTimeoutMs ?? 3000);
    this.keys = new JwksKeys(`${this.root}/.well-known/jwks.json`, this.http, Date.now);
    const { audience } = options;
    this.audiences = audience === undefined ? [] : [audience].flat();
    this.authorization = options.authorization;
    this.issuer = options.issuer;
  }

  /**
   * Makes this app's stream in the token's business (`POST /ssf/v1/streams`, a token of an owner
   * or admin that allows `ssf:manage`) pushing to `endpointUrl` with a credential of its own, and
   * takes its audience and credential: call it once, and keep what it answers for the next start.
   */
  async register(options: {
    token: string;
    endpointUrl: string;
  }): Promise<{ streamId: string; audience: string; authorization: string }> {
    const authorization = `Bearer ${randomCredential()}`;
    const response = await this.fetch(`${this.root}/ssf/v1/streams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        delivery: {
          method: 'urn:ietf:rfc:8935',
          endpoint_url: options.endpointUrl,
          authorization_header: authorization,
        },
        events_requested: [CREDENTIAL_CHANGE],
      }),
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 201) {
      const text = await readText(response, 16 * 1024).catch(() => '');
      throw new Error(`Latchkey refused the stream (${response.status}): ${codeOf(text)}`);
    }
    const stream = JSON.parse(await readText(response, 64 * 1024)) as {
      stream_id: string;
      aud: string;
    };
    this.audiences = [...this.audiences, stream.aud];
    this.authorization = authorization;
    return { streamId: stream.stream_id, audience: stream.aud, authorization };
  }

  /** One push: checked whole before anything changes; the answer is the framework's to send. */
  async receive(push: SsfPush): Promise<SsfAnswer> {
    const refused = (status: 400 | 401, err: SsfErrorCode, description: string): SsfAnswer => {
      this.counts.refused++;
      return { status, body: { err, description } };
    };
    if (this.authorization !== undefined && !sameSecret(push.authorization, this.authorization)) {
      return refused(401, 'authentication_failed', 'The push did not carry the stream credential');
    }
    const type = (push.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (type !== MEDIA_TYPE)
      return refused(400, 'invalid_request', `The body must be ${MEDIA_TYPE}`);
    const body = textOf(push.body);
    if (body === null) return refused(400, 'invalid_request', 'The body is empty or too large');
    if (this.audiences.length === 0) {
      return refused(400, 'invalid_audience', 'This receiver has no stream registered');
    }
    let issuer: string;
    try {
      issuer = await this.issuerOf();
    } catch {
      return { status: 503, body: { err: 'temporarily_unavailable', description: 'Retry later' } };
    }
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(body, this.keys.resolve, {
        algorithms: ['ES256'],
        typ: 'secevent+jwt',
        issuer,
        audience: this.audiences,
      }));
    } catch (e) {
      const [err, description] = verifyErrorOf(e);
      return refused(400, err, description);
    }
    const jti = claims.jti;
    if (typeof jti !== 'string' || jti === '') {
      return refused(400, 'invalid_request', 'The SET has no jti');
    }
    // A retry of one event carries its jti again: taken, and acted on once.
    if (this.seen.has(jti)) return ACCEPTED;
    this.seen.set(jti, true);
    this.counts.accepted++;
    const holder = holderOf(claims);
    if (holder !== null) {
      this.counts.dropped += this.verifier.forgetHolder(holder.businessId, holder.identityId);
    }
    return ACCEPTED;
  }

  stats(): SsfReceiverStats {
    return { ...this.counts };
  }

  /** The issuer Latchkey signs as (its PUBLIC_BASE_URL), read once from its SSF configuration. */
  private async issuerOf(): Promise<string> {
    if (this.issuer !== undefined) return this.issuer;
    const response = await this.http.get(`${this.root}/.well-known/ssf-configuration`, {
      accept: 'application/json',
    });
    if (response.status !== 200) {
      await discard(response);
      throw new Error(`the SSF configuration answered ${response.status}`);
    }
    const { issuer } = JSON.parse(await readText(response, 64 * 1024)) as { issuer?: unknown };
    if (typeof issuer !== 'string' || issuer === '') throw new Error('no issuer');
    return (this.issuer = issuer);
  }
}

const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

function textOf(body: SsfPush['body']): string | null {
  if (body === null || body === undefined) return null;
  const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (bytes === 0 || bytes > MAX_SET_BYTES) return null;
  return typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
}

/** Compared as digests, so neither the length nor the content leaks through the time taken. */
function sameSecret(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** RFC 8935 §2.4's code for why a SET did not verify; never the SET itself. */
function verifyErrorOf(e: unknown): [SsfErrorCode, string] {
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'iss') return ['invalid_issuer', 'The SET was issued by someone else'];
    if (e.claim === 'aud') return ['invalid_audience', 'The SET is for another stream'];
    return ['invalid_request', `The SET's ${e.claim} claim is not acceptable`];
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return ['invalid_key', 'The signature does not verify'];
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return ['invalid_key', 'The SET is not signed ES256'];
  if (e instanceof Error && /key/.test(e.message)) return ['invalid_key', e.message];
  return ['invalid_request', 'The body is not a SET'];
}

function codeOf(text: string): string {
  try {
    const { code, message } = JSON.parse(text) as { code?: unknown; message?: unknown };
    return [code, message].filter((v) => typeof v === 'string').join(': ') || 'no detail';
  } catch {
    return 'no detail';
  }
}

/** The credential Latchkey presents with each push: 256 random bits, known to the two of them. */
const randomCredential = (): string => randomBytes(32).toString('base64url');
