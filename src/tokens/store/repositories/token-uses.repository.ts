import { Injectable } from '@nestjs/common';
import { Transaction, UnitOfWork } from '../../../database/units/unit-of-work';
import { ApiToken, usesOfRow, type UsesState } from '../entities/api-token.entity';

/** A token's stored count: what `usesRemaining` and `usesPeriod` hold now. */
export interface StoredCount {
  remaining: number;
  period: number;
}

/**
 * The stored side of a token's uses, by token id across businesses, as `markUsed` is: the ids
 * come from the verifier's snapshot of a token that just authenticated, never from a caller.
 * Every write is one conditional UPDATE, so concurrent writers (instances, a PATCH) never
 * lose one another's decrements.
 */
@Injectable()
export class TokenUsesRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The token's uses as stored now (null: gone, or no limit), in a unit of work of its own; a
   * unit of work that asks reads them in its own transaction (`read`): on SQLite a unit of its
   * own would wait on the caller's, which holds the database.
   */
  readAlone(tokenId: string): Promise<UsesState | null> {
    return this.uow.run((own) => this.read(tokenId, own));
  }

  /**
   * The token's uses as stored now, in `tx` (null: gone, or no limit). `held`: on PostgreSQL the
   * row stays locked until `tx` ends (FOR UPDATE), so a writer that reads next waits for this
   * one's write instead of reading the count it is about to replace.
   */
  async read(tokenId: string, tx: Transaction, held = false): Promise<UsesState | null> {
    const row = await tx.findOne(ApiToken, {
      where: { id: tokenId },
      select: ['id', 'usesLimit', 'usesRemaining', 'usesPeriod', 'refillInterval', 'refillAmount'],
      ...(held && tx.postgres ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    return row ? usesOfRow(row) : null;
  }

  /**
   * Reads the count and, where `next` answers a new one for it, compare-and-sets it, in one
   * transaction: on SQLite no other writer (an instance on the same file) comes in between, and
   * on PostgreSQL the row is held from the read, so instances reserving at once queue rather than
   * lose their compare-and-set (which still guards the write). Losing it on every pass of a
   * request's bounded retries answered 503 when two instances raced. The new count is never
   * above the limit (a PATCH may have lowered it meanwhile). Answers what was read, and whether
   * the new count was written.
   */
  swapFromStored(
    tokenId: string,
    next: (stored: UsesState) => StoredCount | null,
  ): Promise<{ stored: UsesState | null; written: boolean }> {
    return this.uow.run(async (tx) => {
      const stored = await this.read(tokenId, tx, true);
      const count = stored && next(stored);
      if (!stored || !count) return { stored, written: false };
      const result = await tx
        .createQueryBuilder()
        .update(ApiToken)
        .set({ usesRemaining: count.remaining, usesPeriod: count.period })
        .where(
          'id = :id AND uses_remaining = :seenRemaining AND uses_period = :seenPeriod AND uses_limit >= :nextRemaining',
          {
            id: tokenId,
            seenRemaining: stored.remaining,
            seenPeriod: stored.period,
            nextRemaining: count.remaining,
          },
        )
        .execute();
      return { stored, written: (result.affected ?? 0) > 0 };
    });
  }

  /**
   * Stores counts that the shared store (Redis) holds, each only where it is lower than the
   * stored one or of a later period: the stored count only ever follows the live one down. In
   * id order, as every write of many tokens takes their rows (docs/design-notes.md).
   */
  async writeBack(counts: ReadonlyMap<string, StoredCount>): Promise<void> {
    if (counts.size === 0) return;
    const inIdOrder = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.uow.run(async (tx) => {
      for (const [id, count] of inIdOrder) {
        await tx
          .createQueryBuilder()
          .update(ApiToken)
          .set({ usesRemaining: count.remaining, usesPeriod: count.period })
          .where(
            'id = :id AND (uses_period < :period OR (uses_period = :period AND uses_remaining > :remaining))',
            { id, ...count },
          )
          .execute();
      }
    });
  }

  /** Hands back uses reserved and not spent (a clean shutdown), within the period and the limit. */
  async giveBack(tokenId: string, uses: number, period: number): Promise<void> {
    await this.uow.run((tx) =>
      tx
        .createQueryBuilder()
        .update(ApiToken)
        .set({ usesRemaining: () => 'uses_remaining + :uses' })
        .where('id = :id AND uses_period = :period AND uses_remaining + :uses <= uses_limit', {
          id: tokenId,
          uses,
          period,
        })
        .execute(),
    );
  }
}
