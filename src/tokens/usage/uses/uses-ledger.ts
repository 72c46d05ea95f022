import type { Transaction } from '../../../database/units/unit-of-work';
import type { UsesState } from './token-uses';

/** One use asked of a ledger: granted or not, and the count (and its period) it left. */
export interface Spent {
  granted: boolean;
  remaining: number;
  period: number;
}

/**
 * The token a use is spent for: its id (the count's key), its jti (what the revocation bus names
 * it by), and its expiry (past it, nothing need keep its count).
 */
export interface SpendingToken {
  readonly id: string;
  readonly jti: string;
  readonly expiresAt: Date | null;
}

/**
 * Where a token's live count is kept: Redis when configured (`RedisUsesLedger`), else the
 * database (`DatabaseUsesLedger`). Either takes uses in blocks, spent in the shared store before
 * any use of the block is granted, so no request is served on a use that was not counted first.
 */
export interface UsesLedger {
  /**
   * Takes one use of `uses` (the verifier's snapshot) at `atMs`, or says there is none left: at
   * once when this process holds uses of the token (the hot path: no promise), else a promise.
   */
  take(token: SpendingToken, uses: UsesState, atMs: number): Spent | Promise<Spent>;
  /** The uses left at `atMs`, spending none: the shared count with what this process holds. */
  peek(tokenId: string, uses: UsesState, atMs: number): Promise<number>;
  /**
   * Ends the token's count for its successor (a rotation, in `tx`, once it has won): takes all
   * that is left of the shared count, so no instance leases more of it, and this process's own
   * unspent uses, which it spends no more. Answers what it took. Should `tx` roll back, the uses
   * are lost (under-served), never granted twice.
   */
  handOver(token: SpendingToken, uses: UsesState, atMs: number, tx: Transaction): Promise<number>;
  /** Uses this process holds for the token beyond its stored count, in `period` (0: none). */
  unspent(tokenId: string, period: number): number;
  /**
   * The token changed (the bus's `token.changed`: revoked, paused, its limit lowered, rotated):
   * what this process holds of it is no longer to be spent.
   */
  release(jti: string): void;
  /** Writes what the stored count lags behind; at shutdown, hands back what is held. */
  flush(final: boolean): Promise<void>;
  close(): void;
}
