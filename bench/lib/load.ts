/** One autocannon run of `npm run bench`, logged as it ends and noted when anything failed. */
import autocannon from 'autocannon';
import { round } from '../../test/harness/stats';
import { log, notes } from './figures';
import { cpuMicros } from './process-cpu';
import { CONNECTIONS, DURATION_S } from './run-settings';

export interface LoadRun {
  path: string;
  target: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
  /** Requests answered in the run. */
  requests: number;
  /** The server's CPU (user + system) per request, in µs, where its pid was given. */
  cpu_us?: number;
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
    requests: result.requests.total,
  };
  log(`  ${target} ${path}: ${run.rps} req/s, p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms`);
  if ((run.non2xx > 0 && !errorsExpected) || run.errors > 0) {
    notes.push(`${target} ${path}: ${run.non2xx} non-2xx answers and ${run.errors} errors`);
  }
  return run;
}

/**
 * `load` on a server whose pid is known, with its CPU per request: user plus system time from
 * /proc over the run, ÷ the requests answered. Comparable from one machine to another where
 * req/s is not (docs/performance.md), so builds are compared by it.
 */
export async function loadWithCpu(
  pid: number,
  target: string,
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
  durationS = DURATION_S,
): Promise<LoadRun> {
  const before = cpuMicros(pid);
  const run = await load(target, baseUrl, path, headers, durationS);
  const cpu_us = round((cpuMicros(pid) - before) / Math.max(1, run.requests), 1);
  log(`  ${target} ${path}: ${cpu_us} µs of server CPU a request`);
  return { ...run, cpu_us };
}
