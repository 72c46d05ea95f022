/**
 * Propagation: the token is warm on B, A revokes it, and B is polled (one request at a time)
 * from the moment A's revoke response ends until B answers 401.
 */
import type { AppProcess } from '../../test/harness/app-process';
import {
  LatchkeyClient,
  type BusinessSetup,
  type IssuedToken,
} from '../../test/harness/latchkey-client';
import { mean, percentile, round } from '../../test/harness/stats';
import { figure, log, notes, raw } from '../lib/figures';
import { PROPAGATION_BOUND_MS, REVOCATIONS } from '../lib/run-settings';

/** The first `WARMUPS` revocations warm both instances' paths and are not counted. */
const WARMUPS = 5;

/** One revocation on A: ms until B answers 401 (Infinity past the bound), and B's polls. */
async function revokeAndPoll(
  owner: BusinessSetup,
  token: IssuedToken,
  clientA: LatchkeyClient,
  clientB: LatchkeyClient,
): Promise<{ elapsed: number; polls: number }> {
  for (let w = 0; w < 2; w++) {
    const warm = await clientB.me(token.token, token.businessId);
    if (warm.status !== 200) throw new Error(`propagation: warm-up on B answered ${warm.status}`);
  }
  const revoke = await clientA.revokeToken(owner, token.id);
  if (revoke.status !== 201) throw new Error(`propagation: revoke answered ${revoke.status}`);
  const t0 = revoke.endedAt;
  let n = 0;
  for (;;) {
    const res = await clientB.me(token.token, token.businessId);
    n++;
    if (res.status === 401) return { elapsed: res.endedAt - t0, polls: n };
    if (res.endedAt - t0 > PROPAGATION_BOUND_MS) return { elapsed: Infinity, polls: n };
  }
}

/** The samples of every counted revocation, stopped early when B sees none or past 120 s. */
async function sample(owner: BusinessSetup, a: AppProcess, b: AppProcess) {
  const clientA = new LatchkeyClient(a.url);
  const clientB = new LatchkeyClient(b.url);
  log(`propagation: creating ${REVOCATIONS + WARMUPS} tokens`);
  const tokens = await clientA.createTokens(owner, REVOCATIONS + WARMUPS, 8, 'prop');
  const samples: number[] = [];
  const polls: number[] = [];
  let timeouts = 0;
  const phaseDeadline = Date.now() + 120_000;
  log(`propagation: ${REVOCATIONS} revocations on A, polled on B`);
  for (const [i, token] of tokens.entries()) {
    const { elapsed, polls: n } = await revokeAndPoll(owner, token, clientA, clientB);
    if (i < WARMUPS) continue;
    polls.push(n);
    if (Number.isFinite(elapsed)) samples.push(elapsed);
    else timeouts++;
    if (timeouts >= 10 && samples.length === 0) {
      notes.push('propagation: stopped after 10 revocations that B never saw within the bound');
      break;
    }
    if (Date.now() > phaseDeadline) {
      notes.push(`propagation: stopped at the 120 s bound after ${samples.length + timeouts}`);
      break;
    }
  }
  return { samples, polls, timeouts };
}

/** `over` names the Redis in between, in the figure and in the raw results. */
export async function propagation(
  owner: BusinessSetup,
  a: AppProcess,
  b: AppProcess,
  over = { label: '3 instances + Redis', key: 'propagation' },
): Promise<void> {
  const { samples, polls, timeouts } = await sample(owner, a, b);
  const all = [...samples, ...Array<number>(timeouts).fill(Infinity)];
  const p99 = percentile(all, 99);
  const show = (v: number) =>
    Number.isFinite(v) ? `${round(v)} ms` : `> ${PROPAGATION_BOUND_MS} ms`;
  figure(
    `propagation, ${over.label}: revoke on A → 401 on B, ${all.length} revocations`,
    `p50 ${show(percentile(all, 50))}, p99 ${show(p99)}, max ${show(percentile(all, 100))}` +
      (timeouts > 0 ? `, ${timeouts} past the bound` : ''),
    'p99 ≤ 25 ms',
    p99 <= 25,
  );
  raw[over.key] = {
    revocations: all.length,
    bound_ms: PROPAGATION_BOUND_MS,
    past_bound: timeouts,
    p50_ms: percentile(samples, 50),
    p99_ms: Number.isFinite(p99) ? p99 : null,
    max_ms: Number.isFinite(percentile(all, 100)) ? percentile(all, 100) : null,
    mean_polls_until_401: mean(polls),
  };
}
