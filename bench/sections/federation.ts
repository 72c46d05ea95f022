/** The RFC 8693 exchange on SQLite, on an app of its own, key set cached (bench/federation.ts). */
import { benchFederation } from '../federation';
import { figure, log, raw } from '../lib/figures';
import { nonePreparedTwice } from './sqlite';

export async function federationCost(): Promise<void> {
  const fed = await benchFederation(log);
  figure(
    'federation: exchange p99, cached JWKS, sqlite',
    `${fed.p99_ms} ms`,
    '≤ 20 ms',
    fed.p99_ms <= 20,
  );
  figure(
    'federation: exchanges/s, sqlite',
    String(fed.exchanges_per_s),
    '≥ 500',
    fed.exchanges_per_s >= 500,
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
    'no text prepared twice',
    nonePreparedTwice([fed.prepared_per_1000_exchanges, fed.prepared_per_1000_creations]),
  );
  raw.federation = fed;
}
