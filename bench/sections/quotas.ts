/**
 * What a business's shared limit and verification analytics cost a gateway's check together:
 * /auth/verify (warm) on two like instances, one with ANALYTICS_ENABLED=false checking a
 * business with no limit, the other with analytics on checking a business whose `default` limit
 * counts every check (per business and per identity, caps never reached, so leased), runs
 * alternated.
 */
import { LatchkeyClient, type BusinessSetup } from '../../test/harness/latchkey-client';
import { mean, round } from '../../test/harness/stats';
import { alternate, type StartApp } from '../lib/alternated';
import { figure, leftToFullBench, log, raw } from '../lib/figures';
import { load, type LoadRun } from '../lib/load';
import { WARMUP_S } from '../lib/run-settings';

const GOAL = '≥ 0.90';
const NAME = 'quotas cost: /auth/verify with a shared limit and analytics on ÷ both off, postgres';

export async function quotasCost(
  env: Record<string, string>,
  plain: BusinessSetup,
  platformToken: string,
  start: StartApp,
): Promise<void> {
  if (leftToFullBench(NAME, GOAL)) return;
  const off = await start('quotas-off', { ...env, ANALYTICS_ENABLED: 'false' });
  const on = await start('quotas-on', { ...env, ANALYTICS_ENABLED: 'true' });
  const client = new LatchkeyClient(on.url);
  const limited = await client.createBusiness(platformToken, 'quotas');
  const put = await client.request('PUT', '/api/v1/limits/default', {
    headers: { authorization: `Bearer ${limited.ownerToken}`, 'x-business-id': limited.businessId },
    body: { window: 'hour', per_business: 10_000_000, per_identity: 10_000_000 },
  });
  if (put.status !== 200) throw new Error(`quotas: PUT /api/v1/limits answered ${put.status}`);
  const checks = {
    off: { app: off, headers: { authorization: `Bearer ${plain.ownerToken}` } },
    on: { app: on, headers: { authorization: `Bearer ${limited.ownerToken}` } },
  };
  log('quotas: warm-up');
  for (const { app, headers } of Object.values(checks)) {
    const probe = await fetch(`${app.url}/auth/verify`, { headers });
    if (probe.status !== 204) throw new Error(`quotas: /auth/verify answered ${probe.status}`);
    await load(app.name, app.url, '/auth/verify', headers, WARMUP_S);
  }
  // The limited business's checks are counted: a relying party is told to ask online.
  const counted = await fetch(`${on.url}/auth/verify`, { headers: checks.on.headers });
  if (counted.headers.get('x-latchkey-check-online') !== 'rate_limit') {
    throw new Error('quotas: the shared limit did not count the check');
  }
  const runs = { off: [] as LoadRun[], on: [] as LoadRun[] };
  await alternate(
    3,
    async () =>
      runs.off.push(await load('quotas off', off.url, '/auth/verify', checks.off.headers)),
    async () => runs.on.push(await load('quotas on', on.url, '/auth/verify', checks.on.headers)),
  );
  await off.stop();
  await on.stop();
  const offRps = mean(runs.off.map((r) => r.rps));
  const onRps = mean(runs.on.map((r) => r.rps));
  const ratio = onRps / offRps;
  figure(
    NAME,
    `${round(ratio)} (${round(onRps, 0)} vs ${round(offRps, 0)} req/s; cost ${round((1 - ratio) * 100, 1)}%)`,
    GOAL,
    ratio >= 0.9,
  );
  raw.quotas_cost = runs;
}
