import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import { StorageUnavailableError } from '../../common/errors/domain-error';
import { OAuthError } from '../../common/errors/oauth-error';
import { DpopProofError, verifyDpopProof } from '../dpop/dpop-proof';
import { DPOP_NONCE_KEY_PURPOSE, DpopNonces } from '../dpop/dpop-nonce';
import { type HeldProof, SharedKeys } from '../ports';
import { DpopReplayCache, MemoryDpopReplayCache, RedisDpopReplayCache } from '../dpop/dpop-replay';
import { type RedisClient, RedisConnections } from '../../redis/redis-connections';
import { disconnectNow } from '../../redis/redis-disconnect';

/**
 * How far a proof's `iat` may be from the server's clock, either way (RFC 9449 §11.1): a proof is
 * fresh for this long, and its `jti` is remembered for twice that, the longest it could be
 * presented again and still be fresh.
 */
export const DPOP_IAT_WINDOW_SECONDS = 60;
/** Proofs an instance remembers without Redis: 10,000 a second for the whole remembered time. */
const MEMORY_REPLAY_ENTRIES = 10_000 * 2 * DPOP_IAT_WINDOW_SECONDS;

/** The request a proof must name (RFC 9449 §4.3 steps 8 and 9): its method and its URL. */
export interface ProofTarget {
  method: string;
  /** The URL as each name the request may arrive by spells it; the proof's `htu` is one of them. */
  urls: string[];
}

/** Where a path reads the request a proof names: null when it cannot be known. */
export type ProofLocator = (request: FastifyRequest) => ProofTarget | null;

/** A proof as the guard found it: one that holds, to be spent once, or one that does not. */
export type CheckedProof = ShownProof | { invalid: 'proof' | 'nonce' };

/**
 * A proof that holds, as the verifier is shown it (`HeldProof`): `spend` claims its `jti` once,
 * and `spent` records that it did, so the guard admits no proof the verifier did not spend.
 */
export class ShownProof implements HeldProof {
  spent = false;

  constructor(
    readonly key: string,
    readonly bound: boolean,
    private readonly jti: string,
    private readonly proofs: DpopProofs,
  ) {}

  async spend(): Promise<boolean> {
    this.spent = await this.proofs.spend(this.key, this.jti);
    return this.spent;
  }
}

/**
 * A proof sent to a token endpoint (RFC 9449 §5), as `checkForExchange` found it: the key's
 * thumbprint, or the RFC's error for it; `nonce` is what to send in `DPoP-Nonce` (null when
 * nonces are not required), whichever the outcome.
 */
export type ExchangeProof =
  | { jkt: string; nonce: string | null }
  | { error: 'invalid_dpop_proof' | 'use_dpop_nonce'; nonce: string | null };

const INVALID: CheckedProof = { invalid: 'proof' };
const NO_NONCE: CheckedProof = { invalid: 'nonce' };

/**
 * The `DPoP` header of a request, checked against the request (RFC 9449 §4.3): its method, its
 * URL (as the installation's `PUBLIC_BASE_URL` names it, or as the request itself arrived), and,
 * when the token comes as `Authorization: DPoP`, the token (`ath`); with DPOP_NONCE_REQUIRED,
 * a nonce of this installation's (RFC 9449 §8). Its `jti` is spent once, across instances when
 * Redis is configured.
 */
@Injectable()
export class DpopProofs implements OnModuleDestroy {
  private readonly base: string;
  private readonly replays: DpopReplayCache;
  private readonly client: RedisClient | null = null;
  private connecting?: Promise<void>;
  /**
   * The installation's nonces when DPOP_NONCE_REQUIRED is on, else null: `issue()` for a
   * `DPoP-Nonce` header, `accepts(nonce)` for a proof's claim. Its key is derived from key
   * material every instance shares, so any instance accepts any other's.
   */
  readonly nonces: DpopNonces | null;

  constructor(config: AppConfig, keys: SharedKeys) {
    this.base = publicBaseUrl(config);
    this.nonces = config.DPOP_NONCE_REQUIRED
      ? new DpopNonces((at) => keys.derive(DPOP_NONCE_KEY_PURPOSE, at))
      : null;
    const redis = config.redisTopology;
    if (redis) {
      this.client = new RedisConnections(redis).client({
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
      });
      // Each refused request says so itself (503); the connection's own errors need no line each.
      this.client.on('error', () => undefined);
      this.replays = new RedisDpopReplayCache(this.client, config.REDIS_KEY_PREFIX);
    } else {
      this.replays = new MemoryDpopReplayCache(MEMORY_REPLAY_ENTRIES);
    }
  }

  /** The request a proof sent to the API names: this one, by PUBLIC_BASE_URL or as it arrived. */
  readonly apiTarget: ProofLocator = (request) => {
    const path = request.url.split('?')[0];
    return {
      method: request.method,
      urls: [`${this.base}${path}`, `${request.protocol}://${request.host}${path}`],
    };
  };

  /**
   * The proof a request shows in its `DPoP` header, checked against `target` (the request it
   * must name; null when that cannot be known, which no proof holds against), with the nonce
   * when one is required. Never throws for a bad proof: it answers `invalid`. The `jti` is not
   * spent here: the verifier spends it once the token matches (`ShownProof.spend`).
   */
  async check(
    request: FastifyRequest,
    target: ProofTarget | null,
    token: string | null,
    asDpop: boolean,
  ): Promise<CheckedProof> {
    const header = request.headers.dpop;
    // One header, one proof (§4.3 step 1); a repeated header arrives joined, and fails to parse.
    if (typeof header !== 'string' || target === null) return INVALID;
    try {
      const proof = await verifyDpopProof(header, {
        method: target.method,
        urls: target.urls,
        accessToken: asDpop ? token : null,
        nowSeconds: Math.floor(Date.now() / 1000),
        windowSeconds: DPOP_IAT_WINDOW_SECONDS,
        nonce: this.nonces?.accepts,
      });
      return new ShownProof(proof.jkt, asDpop, proof.jti, this);
    } catch (e) {
      if (e instanceof DpopProofError) return e.reason === 'nonce' ? NO_NONCE : INVALID;
      throw e;
    }
  }

  /**
   * The `DPoP` header of a token request (RFC 9449 §5, the token exchange), checked against
   * `target` with no access token, its nonce required when DPOP_NONCE_REQUIRED is on, and its
   * `jti` spent: the key's thumbprint to bind the issued token to, or the error to answer 400
   * with (§5.10; `use_dpop_nonce` per §8). Null when the request has no `DPoP` header, the
   * caller deciding whether one is needed. Send `nonce` in `DPoP-Nonce` when it is not null.
   * Throws only StorageUnavailableError (the replay cache unreachable: 503).
   */
  async checkForExchange(
    request: FastifyRequest,
    target: ProofTarget,
  ): Promise<ExchangeProof | null> {
    if (request.headers.dpop === undefined) return null;
    const proof = await this.check(request, target, null, false);
    const nonce = this.nonces?.issue() ?? null;
    if ('invalid' in proof) {
      return { error: proof.invalid === 'nonce' ? 'use_dpop_nonce' : 'invalid_dpop_proof', nonce };
    }
    return (await proof.spend())
      ? { jkt: proof.key, nonce }
      : { error: 'invalid_dpop_proof', nonce };
  }

  /**
   * A token endpoint's proof (`checkForExchange` on the request as it arrived), answered as the
   * endpoint answers: the key's thumbprint, or null for no proof; a refusal thrown as RFC 6749's
   * 400. With nonces required, every answer gives the next one, refusals included (RFC 9449 §8).
   */
  async tokenEndpointKey(request: FastifyRequest, reply: FastifyReply): Promise<string | null> {
    const proof = await this.checkForExchange(request, this.apiTarget(request)!);
    const nonce = proof?.nonce ?? this.nonces?.issue();
    if (nonce) void reply.header('dpop-nonce', nonce);
    if (proof && 'error' in proof) {
      throw new OAuthError(
        proof.error,
        proof.error === 'use_dpop_nonce'
          ? 'Sign the DPoP proof again with the nonce of the DPoP-Nonce header'
          : 'The DPoP proof is not accepted',
      );
    }
    return proof?.jkt ?? null;
  }

  /** Spends a proof's `jti`: false when it was seen within the window (a replay). */
  async spend(key: string, jti: string): Promise<boolean> {
    try {
      // Connected on the first proof, not at start: most installations never see one.
      this.connecting ??= this.client?.connect().catch(() => undefined);
      await this.connecting;
      return await this.replays.claim(key, jti, 2 * DPOP_IAT_WINDOW_SECONDS * 1000);
    } catch {
      // A replay cannot be ruled out: refused as storage unavailable, never let through.
      throw new StorageUnavailableError('The DPoP replay cache cannot be reached');
    }
  }

  onModuleDestroy(): void {
    if (this.client) disconnectNow(this.client);
  }
}
