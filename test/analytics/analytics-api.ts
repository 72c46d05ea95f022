import { VerificationRecorder } from '../../src/analytics/recording/verification-recorder';
import { asPlatform, type Caller } from '../harness/app/api';
import type { TestApp } from '../harness/app/test-app';

/** One count of an answer, as the wire has it. */
export interface Count {
  outcome?: string;
  tag?: string;
  identity_id?: string | null;
  token_id?: string | null;
  oauth_client?: string | null;
  count: number;
}

export interface Answer {
  granularity: string;
  buckets: { start: string; total: number; counts: Count[] }[];
}

/** The last 10 minutes by minute, unless `query` says otherwise. */
const RECENT = () => ({
  granularity: 'minute',
  from: new Date(Date.now() - 10 * 60_000).toISOString(),
});

/** Writes what the recorder holds, so a read sees it. */
export const flush = (t: TestApp) => t.app.get(VerificationRecorder).flush();

/** GET an analytics route as `caller`: the answer, asserted 200. */
async function read(t: TestApp, path: string, caller: Caller, query: object): Promise<Answer> {
  const res = await t
    .http()
    .get(path)
    .query({ ...RECENT(), ...query })
    .set(caller);
  expect({ status: res.status, body: res.status === 200 ? null : res.body }).toEqual({
    status: 200,
    body: null,
  });
  return res.body.data as Answer;
}

/** The business route as `caller`. */
export const businessCounts = (t: TestApp, caller: Caller, query: object = {}) =>
  read(t, '/api/v1/analytics/verifications', caller, query);

/** The platform route, as the bootstrap platform admin. */
export const platformCounts = (t: TestApp, query: object = {}) =>
  read(t, '/platform/v1/analytics/verifications', asPlatform(t), query);

/** Every count of an answer, buckets flattened. */
export const countsOf = (answer: Answer): Count[] => answer.buckets.flatMap((b) => b.counts);

/** The outcomes of one token in an answer grouped by token and outcome, summed over buckets. */
export function outcomesOf(answer: Answer, tokenId: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of countsOf(answer)) {
    if (c.token_id === tokenId) out[c.outcome!] = (out[c.outcome!] ?? 0) + c.count;
  }
  return out;
}

/** The total of an answer. */
export const totalOf = (answer: Answer): number =>
  answer.buckets.reduce((sum, b) => sum + b.total, 0);
