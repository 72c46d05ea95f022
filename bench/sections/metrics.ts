/**
 * Metrics' cost (goal: at most 3%): /api/v1/me (warm) on two like instances on the same
 * database, one with METRICS_ENABLED=false (no hook, no counting, no /metrics), the other with
 * metrics on; runs alternated, each round starting with the other instance. Then the same cost
 * without the machine's noise, timed in this process.
 */
import type { AppProcess } from '../../test/harness/app-process';
import type { BusinessSetup } from '../../test/harness/latchkey-client';
import { round } from '../../test/harness/stats';
import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics';
import { costText, meOffAndOn, type StartApp } from '../lib/alternated';
import { figure, leftToFullBench, notes, raw } from '../lib/figures';

const ME_COUNT =
  /^latchkey_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/me"[^}]*status_code="200"\} (\d+)/m;

/** The instance with metrics on counted what it served: one scrape, as Prometheus would. */
async function scrapeMeCount(on: AppProcess): Promise<number | null> {
  const scrape = await fetch(`${on.url}/metrics`);
  const counted = ME_COUNT.exec(await scrape.text());
  if (scrape.status !== 200 || !counted)
    notes.push('metrics cost: the scrape showed no /api/v1/me');
  return counted ? Number(counted[1]) : null;
}

/**
 * What a warm /api/v1/me counts (a cache hit, an ok verification, one histogram sample), timed
 * in this process on the real instruments: µs per request, the best of three after a warm-up.
 */
function countingUsPerRequest(): number {
  const metrics = new PrometheusMetrics();
  const n = 1_000_000;
  const perRequestUs = () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      metrics.cacheLookup(true);
      metrics.verified('ok');
      metrics.httpRequest('/api/v1/me', 'GET', 200, 0.0004 + (i % 16) * 0.0001);
    }
    return Number(process.hrtime.bigint() - t0) / n / 1000;
  };
  perRequestUs();
  return Math.min(perRequestUs(), perRequestUs(), perRequestUs());
}

export async function metricsCost(
  env: Record<string, string>,
  owner: BusinessSetup,
  start: StartApp,
): Promise<void> {
  const name = 'metrics cost: /api/v1/me with METRICS_ENABLED=true ÷ false, postgres';
  if (leftToFullBench(name, '≥ 0.97 (cost ≤ 3%)')) return;
  let counted: number | null = null;
  const result = await meOffAndOn(
    'metrics',
    start,
    {
      off: { ...env, METRICS_ENABLED: 'false' },
      // Open on purpose, so the scrape needs no token (and counts no verification).
      on: { ...env, METRICS_ENABLED: 'true', METRICS_PUBLIC: 'true' },
    },
    owner,
    3,
    async (on) => {
      counted = await scrapeMeCount(on);
    },
  );
  const { runs, offRps } = result;
  figure(name, costText(result), '≥ 0.97 (cost ≤ 3%)', result.onRps / offRps >= 0.97);
  const us = countingUsPerRequest();
  figure(
    'metrics cost: the counting a warm /api/v1/me does, timed in process',
    `${round(us, 2)} µs per request, ${round((us * offRps) / 1e4, 2)}% of /api/v1/me at ${round(offRps, 0)} req/s`,
    '(information; ≤ 3%)',
    null,
  );
  raw.metrics_cost = {
    ...runs,
    me_requests_counted: counted,
    in_process_us_per_request: us,
  };
}
