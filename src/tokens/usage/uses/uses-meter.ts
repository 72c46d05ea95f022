import {
  BeforeApplicationShutdown,
  Injectable,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { VerifiedPrincipal } from '../../../auth/ports';
import { Invalidations } from '../../../common/invalidations';
import { AppConfig } from '../../../config/app-config';
import type { Transaction } from '../../../database/units/unit-of-work';
import type { ApiToken } from '../../store/entities/api-token.entity';
import { UsesExhaustedError } from '../../token-error';
import { DatabaseUsesLedger } from './database-uses-ledger';
import { LazyLedger } from './lazy-ledger';
import {
  remainingAt,
  secondsToRefill,
  usesOfRow,
  usesPeriodOf,
  type UsesState,
} from './token-uses';
import { TokenUsesRepository } from '../../store/repositories/token-uses.repository';
import type { Spent, SpendingToken, UsesLedger } from './uses-ledger';

/** The design's bound on how far the stored count may lag the live one. */
const FLUSH_INTERVAL_MS = 1_000;

/**
 * Counts the uses of tokens that have a `uses_limit`: the verifier spends one per authenticated
 * request, and the views and introspection read what is left. Redis holds the count when
 * configured, the database by blocks otherwise (see each ledger). A token with no limit never
 * reaches it.
 */
@Injectable()
export class UsesMeter implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  /** The clock refills are read against: time-based tests move it, as they pass `now` elsewhere. */
  clock: () => number = Date.now;
  private readonly ledger: UsesLedger;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(config: AppConfig, repo: TokenUsesRepository, invalidations: Invalidations) {
    const topology = config.redisTopology;
    const keyPrefix = `${config.REDIS_KEY_PREFIX}uses:`;
    this.ledger = topology
      ? new LazyLedger(async () => {
          const { RedisConnections } = await import('../../../redis/redis-connections');
          const { RedisUsesLedger } = await import('./redis-uses-ledger');
          const ledger = new RedisUsesLedger(
            new RedisConnections(topology),
            keyPrefix,
            repo,
            config.REDIS_COMMAND_TIMEOUT_MS,
          );
          await ledger.connect();
          return ledger;
        })
      : new DatabaseUsesLedger(repo);
    // What evicts a token's snapshot (revoked, paused, its limit lowered, rotated) also ends what
    // this process holds of its uses, on every instance at once: none is served from an old lease.
    this.unsubscribe = invalidations.subscribe((message) => {
      if (message.type === 'token.changed') this.ledger.release(message.jti);
    });
  }

  /**
   * Spends one use of the caller's token, before its request is served: the principal as this
   * request leaves it (a copy, with `token.uses` counted), or 429 USES_EXHAUSTED.
   */
  spend(
    principal: VerifiedPrincipal,
    uses: UsesState,
  ): VerifiedPrincipal | Promise<VerifiedPrincipal> {
    const at = this.clock();
    const spent = this.ledger.take(principal.token, uses, at);
    // At once from a lease this process holds (the hot path: no promise); else once it is taken.
    if (spent instanceof Promise) return spent.then((s) => this.answer(principal, uses, s, at));
    return this.answer(principal, uses, spent, at);
  }

  private answer(
    principal: VerifiedPrincipal,
    uses: UsesState,
    spent: Spent,
    at: number,
  ): VerifiedPrincipal {
    const left: UsesState = { ...uses, remaining: spent.remaining, period: spent.period };
    if (!spent.granted) throw new UsesExhaustedError(secondsToRefill(left, at));
    return { ...principal, token: { ...principal.token, uses: Object.freeze(left) } };
  }

  /** The uses a token has left now, spending none (introspection); null: no limit. */
  async remainingOf(tokenId: string, uses: UsesState | null): Promise<number | null> {
    return uses ? this.ledger.peek(tokenId, uses, this.clock()) : null;
  }

  /**
   * A rotation that won, in `tx`: ends the old token's count and answers what was left of it,
   * for the successor (see `UsesLedger.handOver`).
   */
  handOver(token: SpendingToken, uses: UsesState, tx: Transaction): Promise<number> {
    return this.ledger.handOver(token, uses, this.clock(), tx);
  }

  /**
   * What a stored token's view shows as left: its stored count, with what this process holds of
   * it (leased, not yet spent). Never above the truth; below it by what other instances hold.
   */
  remainingOfRow(row: Readonly<ApiToken>): number | null {
    const uses = usesOfRow(row);
    if (!uses) return null;
    const at = this.clock();
    const period = usesPeriodOf(uses.refill?.interval, at);
    const held = uses.period === period ? this.ledger.unspent(row.id, period) : 0;
    return Math.min(uses.limit, remainingAt(uses, at) + held);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(false), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe();
  }

  /** After every module's destroy hook (Nest's order), while Redis and the pool are still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush(true);
    this.ledger.close();
  }

  /** One flush at a time, so the one at shutdown follows a timer's. */
  flush(final: boolean): Promise<void> {
    this.flushing = this.flushing.then(() => this.ledger.flush(final)).catch(() => undefined);
    return this.flushing;
  }
}
