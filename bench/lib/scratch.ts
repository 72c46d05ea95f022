/**
 * What one `npm run bench` makes and must remove: a PostgreSQL database and a Redis key prefix of
 * its own, a SQLite folder, the instances and helper processes it starts, and the counting proxy.
 * `cleanup()` removes them all, at the end or on Ctrl-C.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../test/harness/app-process';
import { Child, stopAll } from '../../test/harness/child';
import { SHARED_KEYS_ENV } from '../../test/harness/keys';
import { createScratchDatabase, type ScratchDatabase } from '../../test/harness/servers/postgres';
import { deleteKeysWithPrefix, randomKeyPrefix } from '../../test/harness/servers/redis';
import { log } from './figures';
import { PgCountingProxy } from './pg-counting-proxy';
import { LOG_LEVEL, POSTGRES_URL, REDIS_URL } from './run-settings';

export class BenchScratch {
  readonly sqliteDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  readonly keyPrefix = randomKeyPrefix('latchkey_bench');
  private readonly apps: AppProcess[] = [];
  private readonly children: (Child | undefined)[] = [];
  private db: ScratchDatabase | undefined;
  private proxy: PgCountingProxy | undefined;

  /** Makes the database; answers the env every instance on PostgreSQL and Redis starts with. */
  async createDatabase(): Promise<Record<string, string>> {
    this.db = await createScratchDatabase(POSTGRES_URL);
    log(`database ${this.db.name}, Redis key prefix ${this.keyPrefix}`);
    return {
      DATABASE_URL: this.db.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: this.keyPrefix,
      LOG_LEVEL,
      ...SHARED_KEYS_ENV,
      ...RATE_LIMITS_OFF,
    };
  }

  get databaseUrl(): string {
    return this.db!.url;
  }

  /** Starts an instance that `cleanup()` stops. */
  start = async (name: string, env: Record<string, string>): Promise<AppProcess> => {
    const app = await startAppProcess({ name, env });
    this.apps.push(app);
    return app;
  };

  /** A helper process that `cleanup()` stops. */
  track = (child: Child): void => {
    this.children.push(child);
  };

  /** B and C on A's PostgreSQL and Redis, and M reading through a counting proxy. */
  async startPeers(pgEnv: Record<string, string>) {
    const pgUrl = new URL(this.databaseUrl);
    const proxy = new PgCountingProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
    this.proxy = proxy;
    await proxy.listen();
    const proxied = new URL(this.databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const [b, c, m] = await Promise.all([
      this.start('B', pgEnv),
      this.start('C', pgEnv),
      this.start('M', { ...pgEnv, DATABASE_URL: proxied.toString() }),
    ]);
    return { b, c, m, proxy };
  }

  async cleanup(): Promise<void> {
    await stopAll([...this.apps.map((a) => a.child), ...this.children]);
    await this.proxy?.close();
    await this.db
      ?.drop()
      .catch((e: unknown) => log(`could not drop ${this.db?.name}: ${String(e)}`));
    await deleteKeysWithPrefix(REDIS_URL, this.keyPrefix).catch(() => undefined);
    rmSync(this.sqliteDir, { recursive: true, force: true });
  }
}
