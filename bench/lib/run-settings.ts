/**
 * `npm run bench`'s settings, read once from its flags and env: run lengths, sample sizes and the
 * servers it uses. Every section reads them from here, so a quick run is quick everywhere.
 */
export const POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
export const QUICK = process.argv.includes('--quick');
/** `--gate` (what CI adds): exit 1 when a gated throughput ratio falls under half its goal. */
export const GATE = process.argv.includes('--gate');
/**
 * BENCH_ONLY=uses,pgbouncer (a comma list of ONLY_SECTIONS) runs instance A and those rows alone,
 * and prints their table (no results file): a figure's own check while working on it. The
 * figures of record come from the whole run.
 */
export const ONLY_SECTIONS = [
  'hotpath',
  'three',
  'metrics',
  'constraints',
  'uses',
  'policy',
  'sentinel',
  'pgbouncer',
  'federation',
  'agents',
  'statuslists',
  'ssf',
  'ssfapp',
  'dpop',
  'middleware',
  'analytics',
  'quotas',
  'sqlite',
  'statements',
  'list',
];
export const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of ONLY) {
  if (!ONLY_SECTIONS.includes(name))
    throw new Error(`BENCH_ONLY: unknown section ${name} (one of ${ONLY_SECTIONS.join(', ')})`);
}
export const DURATION_S = Number(process.env.BENCH_DURATION_S || (QUICK ? 2 : 10));
export const WARMUP_S = QUICK ? 1 : 3;
/** Token creation's warm-up before the PgBouncer row's runs (full bench only). */
export const CREATE_WARMUP_S = 15;
export const TOKENS = Number(process.env.BENCH_TOKENS || (QUICK ? 200 : 2000));
export const PROBE_TOKENS = Math.max(50, Math.round(TOKENS / 4));
export const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS || (QUICK ? 40 : 200));
export const CONNECTIONS = 50;
/** When a new instance's RSS is read as the end of its start-up. */
export const STARTED_MS = QUICK ? 1_000 : 2_000;
/**
 * When a new instance left alone is read as idle (full runs only). Start-up grows V8's young
 * generation to 32 MiB, and V8 gives it back in its memory reducer's collections, which begin
 * about 8 s after start-up's last full collection once allocation has gone quiet: at about 18 s,
 * with a second pass about 9 s later (`node --trace-gc`: "Mark-Compact (reduce)").
 */
export const IDLE_MS = 30_000;
/**
 * Which hot-path ratios CI gates (at half their goal, 0.40): see `reportHotPath`. Both gated once
 * the floor wrote what each route's contract asks: 0.89 and 0.77 (2026-11-28, quick runs).
 */
export const HOT_PATH_GATES = { verify: true, me: true };
/** How long B is polled after one revoke before that sample counts as "not propagated". */
export const PROPAGATION_BOUND_MS = 1500;
/** At info every API request is logged but /health is not, which would skew (1); warn keeps both alike. */
export const LOG_LEVEL = process.env.BENCH_LOG_LEVEL || 'warn';
