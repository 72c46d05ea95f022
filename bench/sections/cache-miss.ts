/**
 * Cache miss: each of many fresh tokens presented twice, back to back, to a cold instance (M,
 * which reads PostgreSQL through a proxy that counts its statements): the latency of a miss and
 * of a hit, and the verifier's reads per token.
 */
import type { AppProcess } from '../../test/harness/app-process';
import {
  LatchkeyClient,
  type BusinessSetup,
  type IssuedToken,
} from '../../test/harness/latchkey-client';
import { mean, percentile, round } from '../../test/harness/stats';
import { figure, log, raw } from '../lib/figures';
import type { PgCountingProxy } from '../lib/pg-counting-proxy';
import { PROBE_TOKENS, TOKENS } from '../lib/run-settings';

type Measure = (
  token: IssuedToken,
  businessHeader: string,
  expected: number,
) => Promise<{ ms: number; reads: number }>;

/** One /api/v1/me on `instance`: its time and the reads the proxy counted for it. */
function measurer(instance: AppProcess, proxy: PgCountingProxy): Measure {
  const client = new LatchkeyClient(instance.url);
  return async (token, businessHeader, expected) => {
    const before = proxy.snapshot().reads;
    const res = await client.me(token.token, businessHeader);
    if (res.status !== expected) {
      throw new Error(
        `cache miss: expected ${expected}, got ${res.status}: ${JSON.stringify(res.body)}`,
      );
    }
    return { ms: res.ms, reads: proxy.snapshot().reads - before };
  };
}

async function meTwice(tokens: IssuedToken[], measure: Measure, proxy: PgCountingProxy) {
  log(`cache miss: ${TOKENS} tokens × 2 requests of /api/v1/me on a cold instance`);
  proxy.reset();
  const miss: number[] = [];
  const hit: number[] = [];
  const missReads: number[] = [];
  const hitReads: number[] = [];
  for (const token of tokens) {
    const first = await measure(token, token.businessId, 200);
    const second = await measure(token, token.businessId, 200);
    miss.push(first.ms);
    missReads.push(first.reads);
    hit.push(second.ms);
    hitReads.push(second.reads);
  }
  return { miss, hit, missReads, hitReads, breakdown: proxy.snapshot().readsByTable };
}

/**
 * The same, on a request that stops right after authentication: a valid token with a malformed
 * x-business-id is 422 (DESIGN's order of checks), so every read is the verifier's.
 */
async function verifierTwice(tokens: IssuedToken[], measure: Measure, proxy: PgCountingProxy) {
  log(`cache miss: ${PROBE_TOKENS} tokens × 2 verifier-only requests`);
  proxy.reset();
  let reads = 0;
  const miss: number[] = [];
  for (const token of tokens) {
    const first = await measure(token, 'not-a-uuid', 422);
    const second = await measure(token, 'not-a-uuid', 422);
    miss.push(first.ms);
    reads += first.reads + second.reads;
  }
  return { miss, readsPerToken: reads / tokens.length, breakdown: proxy.snapshot().readsByTable };
}

export async function cacheMiss(
  issuer: LatchkeyClient,
  owner: BusinessSetup,
  instance: AppProcess,
  proxy: PgCountingProxy,
): Promise<void> {
  log(`cache miss: creating ${TOKENS + PROBE_TOKENS} tokens`);
  const tokens = await issuer.createTokens(owner, TOKENS + PROBE_TOKENS, 8, 'miss');
  const measure = measurer(instance, proxy);
  const probeTokens = tokens.slice(TOKENS);
  const me = await meTwice(tokens.slice(0, TOKENS), measure, proxy);
  const probe = await verifierTwice(probeTokens, measure, proxy);
  report(me, probe, probeTokens.length);
}

function report(
  me: Awaited<ReturnType<typeof meTwice>>,
  probe: Awaited<ReturnType<typeof verifierTwice>>,
  probeTokens: number,
): void {
  const { miss, hit } = me;
  const p99 = percentile(miss, 99);
  figure(
    `cache miss, postgres: /api/v1/me latency, ${TOKENS} distinct tokens`,
    `p50 ${round(percentile(miss, 50))} ms, p99 ${round(p99)} ms (warm: p50 ${round(percentile(hit, 50))}, p99 ${round(percentile(hit, 99))} ms)`,
    'p99 ≤ 10 ms',
    p99 <= 10,
  );
  figure(
    'cache miss, postgres: verifier reads per token per TTL per instance',
    `${round(probe.readsPerToken)} (each token presented twice within the TTL)`,
    '≤ 1',
    probe.readsPerToken <= 1,
  );
  figure(
    'cache miss, postgres: all reads of /api/v1/me, miss / warm',
    `${round(mean(me.missReads))} / ${round(mean(me.hitReads))} per request`,
    '(information)',
    null,
  );
  raw.cache_miss = {
    tokens: TOKENS,
    me_latency_ms: {
      miss_p50: percentile(miss, 50),
      miss_p99: percentile(miss, 99),
      miss_max: percentile(miss, 100),
      warm_p50: percentile(hit, 50),
      warm_p99: percentile(hit, 99),
    },
    me_reads_per_request: {
      miss: mean(me.missReads),
      warm: mean(me.hitReads),
      by_table: me.breakdown,
    },
    verifier_only: {
      tokens: probeTokens,
      reads_per_token_per_ttl: probe.readsPerToken,
      miss_p50_ms: percentile(probe.miss, 50),
      miss_p99_ms: percentile(probe.miss, 99),
      by_table: probe.breakdown,
    },
  };
}
