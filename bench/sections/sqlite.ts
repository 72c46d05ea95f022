/** Auth overhead on SQLite: one instance, S, with the in-process bus, and its start-up RSS. */
import { join } from 'node:path';
import { RATE_LIMITS_OFF } from '../../test/harness/app-process';
import { LatchkeyClient } from '../../test/harness/latchkey-client';
import type { StartApp } from '../lib/alternated';
import { authOverhead, reportAuth, type AuthRuns } from '../lib/auth-overhead';
import { leftToFullBench, raw } from '../lib/figures';
import { LOG_LEVEL } from '../lib/run-settings';
import { startedAndIdleRss, type StartedAndIdle } from './memory';
import { sqliteTokenList } from './token-list';

/** Runs S on `sqliteDir`/bench.sqlite (which the start-time section restarts on) and stops it. */
export async function sqliteInstance(
  start: StartApp,
  sqliteDir: string,
): Promise<{ memory: StartedAndIdle; runs: AuthRuns }> {
  const s = await start('S', {
    SQLITE_PATH: join(sqliteDir, 'bench.sqlite'),
    LOG_LEVEL,
    ...RATE_LIMITS_OFF,
  });
  const memory = await startedAndIdleRss(s);
  const owner = await new LatchkeyClient(s.url).createBusiness(s.platformToken!, 'bench');
  const runs = await authOverhead('sqlite', s, owner);
  reportAuth('sqlite', runs);
  raw.sqlite_load = runs;
  // About 12 s that gate nothing: the quick run (CI's) leaves the SQLite list to the full bench.
  const list = 'framework overhead: /api/v1/tokens?limit=20 ÷ /health/live, sqlite';
  if (!leftToFullBench(list, '≥ 0.45')) await sqliteTokenList(s, owner);
  await s.stop();
  return { memory, runs };
}
