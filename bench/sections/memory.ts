/**
 * Memory: each new instance's RSS at the end of its start-up and, in full runs, once left alone;
 * and A's and S's RSS under the load of the hot path and once it has ended.
 */
import type { AppProcess } from '../../test/harness/app-process';
import { round, sleep } from '../../test/harness/stats';
import type { AuthRuns } from '../lib/auth-overhead';
import { figure, leftToFullBench, log, raw } from '../lib/figures';
import { IDLE_MS, ONLY, QUICK, STARTED_MS } from '../lib/run-settings';
import { rssMiB } from '../lib/rss';

export interface StartedAndIdle {
  started: number;
  idle: number;
  timeline: number[];
}

/**
 * A new instance's RSS at the end of its start-up (STARTED_MS after it is up), and, in full runs,
 * once it has been left alone for IDLE_MS, with a reading each second between (NaN in --quick and
 * BENCH_ONLY runs).
 */
export async function startedAndIdleRss(app: AppProcess): Promise<StartedAndIdle> {
  const upAt = Date.now();
  await sleep(STARTED_MS);
  const started = rssMiB(app.pid);
  if (QUICK || ONLY.length > 0) return { started, idle: NaN, timeline: [] };
  log(`${app.name}: left alone ${IDLE_MS / 1000} s for its idle RSS`);
  const timeline = [started];
  while (Date.now() - upAt < IDLE_MS) {
    await sleep(1000);
    timeline.push(rssMiB(app.pid));
  }
  return { started, idle: timeline[timeline.length - 1], timeline };
}

function reportIdle(memoryPg: StartedAndIdle, memorySqlite: StartedAndIdle): void {
  for (const [driver, memory] of [
    ['postgres', memoryPg],
    ['sqlite', memorySqlite],
  ] as const) {
    const name = `memory: RSS idle (left alone ${IDLE_MS / 1000} s after start), ${driver}`;
    if (leftToFullBench(name, '≤ 120 MiB')) continue;
    figure(
      name,
      `${round(memory.idle, 1)} MiB (from ${STARTED_MS / 1000} s, every 5 s: ${memory.timeline
        .filter((_, i) => i % 5 === 0)
        .map((m) => round(m, 0))
        .join(', ')})`,
      '≤ 120 MiB',
      memory.idle <= 120,
    );
  }
}

/** The memory rows: `pg` and `sqlite` are the hot path's runs on A and on S. */
export function reportMemory(
  memoryPg: StartedAndIdle,
  memorySqlite: StartedAndIdle,
  pg: AuthRuns,
  sqlite: AuthRuns,
): void {
  figure(
    `memory: RSS at the end of start-up (${STARTED_MS / 1000} s after it), postgres / sqlite`,
    `${round(memoryPg.started, 1)} / ${round(memorySqlite.started, 1)} MiB`,
    '(information)',
    null,
  );
  reportIdle(memoryPg, memorySqlite);
  figure(
    'memory: RSS after the load of (1), settled 1 s, postgres / sqlite',
    `${round(pg.afterRss, 1)} / ${round(sqlite.afterRss, 1)} MiB`,
    '≤ 160 MiB',
    Math.max(pg.afterRss, sqlite.afterRss) <= 160,
  );
  figure(
    'memory: RSS peak under load of (1), postgres / sqlite',
    `${round(pg.peakRss, 1)} / ${round(sqlite.peakRss, 1)} MiB`,
    '(information)',
    null,
  );
  raw.memory_mib = {
    started_postgres: memoryPg.started,
    started_sqlite: memorySqlite.started,
    idle_postgres: memoryPg.idle,
    idle_sqlite: memorySqlite.idle,
    idle_timeline_postgres: memoryPg.timeline,
    idle_timeline_sqlite: memorySqlite.timeline,
    peak_postgres: pg.peakRss,
    peak_sqlite: sqlite.peakRss,
    after_load_postgres: pg.afterRss,
    after_load_sqlite: sqlite.afterRss,
  };
}
