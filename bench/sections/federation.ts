/** The RFC 8693 exchange on SQLite, on an app of its own, key set cached (bench/federation.ts). */
import { benchFederation } from '../federation';
import { figure, log, raw, type QuickRow } from '../lib/figures';
import { nonePreparedTwice } from './sqlite';

const GOAL = { p99Ms: 20, perSecond: 500 };
const GOALS = {
  p99: `≤ ${GOAL.p99Ms} ms`,
  rate: `≥ ${GOAL.perSecond}`,
  prepared: 'no text prepared twice',
};
/** This section's row in the quick run (bench/run.ts), which leaves it to the full bench. */
export const FEDERATION_ROW: QuickRow = [
  'federation: exchange p99, exchanges/s, CPU and statements per exchange, sqlite',
  `${GOALS.p99}; ${GOALS.rate}/s; ${GOALS.prepared}`,
];

export async function federationCost(): Promise<void> {
  const fed = await benchFederation(log);
  figure(
    'federation: exchange p99, cached JWKS, sqlite',
    `${fed.p99_ms} ms`,
    GOALS.p99,
    fed.p99_ms <= GOAL.p99Ms,
  );
  figure(
    'federation: exchanges/s, sqlite',
    String(fed.exchanges_per_s),
    GOALS.rate,
    fed.exchanges_per_s >= GOAL.perSecond,
  );
  figure(
    'federation: server CPU per exchange; per plain POST /api/v1/tokens, sqlite',
    `${fed.cpu_ms_per_exchange} ms; ${fed.cpu_ms_per_creation} ms`,
    '(information: compare builds by it)',
    null,
  );
  figure(
    'statements prepared per 1,000 requests, sqlite: exchange; plain creation',
    `${fed.prepared_per_1000_exchanges}; ${fed.prepared_per_1000_creations}`,
    GOALS.prepared,
    nonePreparedTwice([fed.prepared_per_1000_exchanges, fed.prepared_per_1000_creations]),
  );
  raw.federation = fed;
}
