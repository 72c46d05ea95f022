import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config';
import { publicBaseUrl } from '../../config/sections/status-list-config';
import { StorageUnavailableError } from '../../common/errors/domain-error';
import { DpopProofError, verifyDpopProof } from '../dpop/dpop-proof';
import { DpopReplayCache, MemoryDpopReplayCache, RedisDpopReplayCache } from '../dpop/dpop-replay';
import { type RedisClient, RedisConnections } from '../../bus/redis-connections';
import { disconnectNow } from '../../common/redis-disconnect';

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

/** A proof as the guard found it: one that holds, with the `jti` to spend once, or none that does. */
export type CheckedProof = { key: string; bound: boolean; jti: string } | { invalid: true };

/**
 * The `DPoP` header of a request, checked against the request (RFC 9449 §4.3): its method, its
 * URL (as the installation's `PUBLIC_BASE_URL` names it, or as the request itself arrived), and,
 * when the token comes as `Authorization: DPoP`, the token (`ath`). Its `jti` is spent once,
 * across instances when Redis is configured.
 */
@Injectable()
export class DpopProofs implements OnModuleDestroy {
  private readonly base: string;
  private readonly replays: DpopReplayCache;
  private readonly client: RedisClient | null = null;
  private connecting?: Promise<void>;

  constructor(config: AppConfig) {
    this.base = publicBaseUrl(config);
    const redis = config.redisTopology;
    if (redis) {
      this.client = new RedisConnections(redis).client({
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 2000,
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
   * must name; null when that cannot be known, which no proof holds against). Never throws for a
   * bad proof: it answers `invalid`.
   */
  async check(
    request: FastifyRequest,
    target: ProofTarget | null,
    token: string,
    asDpop: boolean,
  ): Promise<CheckedProof> {
    const header = request.headers.dpop;
    // One header, one proof (§4.3 step 1); a repeated header arrives joined, and fails to parse.
    if (typeof header !== 'string' || target === null) return { invalid: true };
    try {
      const proof = await verifyDpopProof(header, {
        method: target.method,
        urls: target.urls,
        accessToken: asDpop ? token : null,
        nowSeconds: Math.floor(Date.now() / 1000),
        windowSeconds: DPOP_IAT_WINDOW_SECONDS,
      });
      return { key: proof.jkt, bound: asDpop, jti: proof.jti };
    } catch (e) {
      if (e instanceof DpopProofError) return { invalid: true };
      throw e;
    }
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
