import type { UsesState } from './token-uses';

/** One use asked of a ledger: granted or not, and the count (and its period) it left. */
export interface Spent {
  granted: boolean;
  remaining: number;
  period: number;
}

/**
 * Where a token's live count is kept: Redis when configured (`RedisUsesLedger`), else the
 * database by blocks written ahead (`DatabaseUsesLedger`). Either takes the use before it answers,
 * so no request is served on a use that was not counted first.
 */
export interface UsesLedger {
  /**
   * Takes one use of `uses` (the verifier's snapshot) at `atMs`, or says there is none left.
   * `expiresAt` is the token's: past it, nothing need keep its count.
   */
  take(tokenId: string, uses: UsesState, atMs: number, expiresAt: Date | null): Promise<Spent>;
  /** The uses left at `atMs`, spending none. */
  peek(tokenId: string, uses: UsesState, atMs: number): Promise<number>;
  /** Uses this process holds for the token beyond its stored count, in `period` (0: none). */
  unspent(tokenId: string, period: number): number;
  /** Writes what the stored count lags behind; at shutdown, hands back what is held. */
  flush(final: boolean): Promise<void>;
  close(): void;
}
