import { randomBytes } from 'node:crypto';
import { Driver, DRIVERS, TEST_REDIS_URL } from '../../setup/servers';

/** Where a token's uses are counted: the database by blocks (no Redis), or Redis. */
export type UsesLedgerKind = 'database' | 'redis';

/** Every driver with the database's count, and with Redis's when REDIS_URL is set. */
export const LEDGER_CASES: [Driver, UsesLedgerKind][] = DRIVERS.flatMap(
  (d): [Driver, UsesLedgerKind][] =>
    TEST_REDIS_URL
      ? [
          [d, 'database'],
          [d, 'redis'],
        ]
      : [[d, 'database']],
);

/** The env that puts the count where `ledger` says, on a Redis key prefix of the suite's own. */
export function ledgerEnv(ledger: UsesLedgerKind): Record<string, string> {
  if (ledger === 'database') return {};
  return {
    REDIS_URL: TEST_REDIS_URL!,
    REDIS_KEY_PREFIX: `latchkey-test-${randomBytes(4).toString('hex')}:`,
  };
}
