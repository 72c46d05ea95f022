import type { Transaction } from '../../../database/units/unit-of-work';
import type { UsesState } from './token-uses';
import type { Spent, SpendingToken, UsesLedger } from './uses-ledger';

/**
 * A ledger made on its first use: the Redis one, whose client library (ioredis) and connection a
 * process that never counts a use does without. A CLI command that lists tokens loads neither
 * (test/cli-bus); the server loads them at its first request with a limited token. Until then
 * it holds nothing, so it has nothing to flush or hand back.
 */
export class LazyLedger implements UsesLedger {
  private made: Promise<UsesLedger> | null = null;
  private ready: UsesLedger | null = null;
  private closed = false;

  constructor(private readonly make: () => Promise<UsesLedger>) {}

  take(token: SpendingToken, uses: UsesState, atMs: number): Spent | Promise<Spent> {
    if (this.ready) return this.ready.take(token, uses, atMs);
    return this.ledger().then((ledger) => ledger.take(token, uses, atMs));
  }

  async peek(tokenId: string, uses: UsesState, atMs: number): Promise<number> {
    return (await this.ledger()).peek(tokenId, uses, atMs);
  }

  async handOver(
    token: SpendingToken,
    uses: UsesState,
    atMs: number,
    tx: Transaction,
  ): Promise<number> {
    return (await this.ledger()).handOver(token, uses, atMs, tx);
  }

  unspent(tokenId: string, period: number): number {
    return this.ready?.unspent(tokenId, period) ?? 0;
  }

  release(jti: string): void {
    this.ready?.release(jti);
  }

  async flush(final: boolean): Promise<void> {
    await this.ready?.flush(final);
  }

  close(): void {
    this.closed = true;
    this.ready?.close();
  }

  private ledger(): Promise<UsesLedger> {
    this.made ??= this.make().then((ledger) => {
      // Closed while it was being made (a shutdown during a first request): closed at once.
      if (this.closed) ledger.close();
      else this.ready = ledger;
      return ledger;
    });
    return this.made;
  }
}
