/** Auth overhead on SQLite: one instance, S, with the in-process bus, and its start-up RSS. */
import { join } from 'node:path';
import { RATE_LIMITS_OFF } from '../../test/harness/app-process';
import type { Child } from '../../test/harness/child';
import { LatchkeyClient } from '../../test/harness/latchkey-client';
import type { StartApp } from '../lib/alternated';
import { authOverhead, reportAuth, type AuthRuns } from '../lib/auth-overhead';
import { raw } from '../lib/figures';
import { LOG_LEVEL } from '../lib/run-settings';
import { startedAndIdleRss, type StartedAndIdle } from './memory';
import { sqliteTokenList } from './token-list';

/** S's env on `sqlitePath`: the in-process bus, rate limits off. */
const sqliteEnv = (sqlitePath: string) => ({
  SQLITE_PATH: sqlitePath,
  LOG_LEVEL,
  ...RATE_LIMITS_OFF,
});

/**
 * Runs S on `sqliteDir`/bench.sqlite (which the start-time section restarts on) and stops it;
 * `track` stops the list's floor, which reads that file beside S, if the bench is cut short.
 */
export async function sqliteInstance(
  start: StartApp,
  sqliteDir: string,
  track: (child: Child) => void,
): Promise<{ memory: StartedAndIdle; runs: AuthRuns }> {
  const sqlitePath = join(sqliteDir, 'bench.sqlite');
  const s = await start('S', sqliteEnv(sqlitePath));
  const memory = await startedAndIdleRss(s);
  const owner = await new LatchkeyClient(s.url).createBusiness(s.platformToken!, 'bench');
  const runs = await authOverhead('sqlite', s, owner);
  reportAuth('sqlite', runs);
  raw.sqlite_load = runs;
  await sqliteTokenList(s, owner, sqlitePath, track);
  await s.stop();
  return { memory, runs };
}

/** The SQLite list alone (`BENCH_ONLY=list`): S on a file of its own, its list, and S stopped. */
export async function sqliteListOnly(
  start: StartApp,
  sqliteDir: string,
  track: (child: Child) => void,
): Promise<void> {
  const sqlitePath = join(sqliteDir, 'list.sqlite');
  const s = await start('S-list', sqliteEnv(sqlitePath));
  const owner = await new LatchkeyClient(s.url).createBusiness(s.platformToken!, 'bench');
  await sqliteTokenList(s, owner, sqlitePath, track);
  await s.stop();
}
