/** One autocannon run of `npm run bench`, logged as it ends and noted when anything failed. */
import autocannon from 'autocannon';
import { round } from '../../test/harness/stats';
import { log, notes } from './figures';
import { CONNECTIONS, DURATION_S } from './run-settings';

export interface LoadRun {
  path: string;
  target: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
}

export async function load(
  target: string,
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
  durationS = DURATION_S,
  errorsExpected = false,
  connections = CONNECTIONS,
): Promise<LoadRun> {
  const result = await autocannon({
    url: `${baseUrl}${path}`,
    connections,
    duration: durationS,
    headers,
  });
  const run = {
    path,
    target,
    rps: round(result.requests.average, 0),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  log(`  ${target} ${path}: ${run.rps} req/s, p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms`);
  if ((run.non2xx > 0 && !errorsExpected) || run.errors > 0) {
    notes.push(`${target} ${path}: ${run.non2xx} non-2xx answers and ${run.errors} errors`);
  }
  return run;
}
