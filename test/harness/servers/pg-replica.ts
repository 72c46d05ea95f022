import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../ports';
import { sleep } from '../stats';
import { PATIENCE_MS } from '../patience';

/**
 * Debian's PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup): the newest major version
 * installed under /usr/lib/postgresql (15 on these machines).
 */
export const PG_BIN_DIR = newestServerBinDir('/usr/lib/postgresql') ?? '/usr/lib/postgresql/15/bin';

function newestServerBinDir(root: string): string | null {
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((x, y) => Number(y) - Number(x));
  return versions.length ? join(root, versions[0], 'bin') : null;
}

export function pgServerInstalled(): boolean {
  return ['initdb', 'pg_ctl', 'pg_basebackup'].every((b) => existsSync(join(PG_BIN_DIR, b)));
}

/** The most any one server command may take: a stuck start or stop fails the suite, never hangs it. */
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * PostgreSQL refuses to run as root: as root, the servers run as the `postgres` OS user
 * (`runuser`), and their folder is handed to that user.
 */
function asServerUser(bin: string, args: string[]): [string, string[]] {
  const path = join(PG_BIN_DIR, bin);
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', path, ...args]]
    : [path, args];
}

function run(bin: string, args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const [file, argv] = asServerUser(bin, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * A throwaway primary and a streaming replica of it, each a PostgreSQL 15 cluster of its own on
 * a free loopback port, in one temp folder: `initdb` makes the primary (trust auth, and a
 * `replication` line for 127.0.0.1 in its pg_hba.conf), `pg_basebackup -R` copies it into a
 * standby that follows it, and `pg_ctl` starts and stops both. The system cluster is left alone.
 *
 * Settings that cost durability are off (`fsync`, `full_page_writes`): these clusters live for
 * one suite and are deleted after it, so a crash loses nothing worth keeping, and starts stay
 * cheap (about a second for both). `stop()` stops both and deletes the folder, also after a
 * start that failed half way; every command has a deadline.
 */
export class ReplicatedPostgres {
  private dir: string | undefined;
  primaryPort = 0;
  replicaPort = 0;
  private running = { primary: false, replica: false };

  /** The URL of `database` on the primary, or on the replica. */
  url(server: 'primary' | 'replica', database = 'postgres'): string {
    const port = server === 'primary' ? this.primaryPort : this.replicaPort;
    return `postgres://postgres@127.0.0.1:${port}/${database}`;
  }

  async start(): Promise<void> {
    try {
      await this.startUnsafe();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private async startUnsafe(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'latchkey-pg-replica-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(this.dir, uid, gid);
    }
    const primary = join(this.dir, 'primary');
    const replica = join(this.dir, 'replica');
    [this.primaryPort, this.replicaPort] = [await freePort(), await freePort()];
    await run('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '-N', '-E', 'UTF8']);
    appendFileSync(
      join(primary, 'postgresql.conf'),
      [
        `port = ${this.primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${this.dir}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'hot_standby = on',
        // Throwaway clusters: durability is not worth the time here (see the class comment).
        'fsync = off',
        'full_page_writes = off',
        'max_connections = 60',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(primary, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all all 127.0.0.1/32 trust',
        'host replication all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    await this.pgCtl('primary', 'start');
    await this.waitForServer('primary');
    await run('pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(this.primaryPort), '-U', 'postgres'],
      ...['-D', replica, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
    ]);
    // -R wrote standby.signal and primary_conninfo; the copy keeps the primary's port otherwise.
    appendFileSync(join(replica, 'postgresql.auto.conf'), `port = ${this.replicaPort}\n`);
    await this.pgCtl('replica', 'start');
    await this.waitForServer('replica');
  }

  /** Starts or stops one server, waiting (bounded) until it has. */
  async pgCtl(server: 'primary' | 'replica', action: 'start' | 'stop'): Promise<void> {
    if (!this.dir) throw new Error('not started');
    const data = join(this.dir, server);
    if (action === 'start') {
      await run('pg_ctl', [
        '-D',
        data,
        '-l',
        join(this.dir, `${server}.log`),
        '-w',
        '-t',
        '20',
        'start',
      ]);
    } else {
      await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '20', 'stop']);
    }
    this.running[server] = action === 'start';
  }

  /** Runs one query on a server, on a connection of its own. */
  async query<T = Record<string, unknown>>(
    server: 'primary' | 'replica',
    text: string,
    values: unknown[] = [],
    database = 'postgres',
  ): Promise<T[]> {
    const client = new Client({
      connectionString: this.url(server, database),
      connectionTimeoutMillis: 3000,
    });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Pauses the replica's replay (`pg_wal_replay_pause()`), and waits until it has stopped. */
  async pauseReplay(): Promise<void> {
    await this.query('replica', 'SELECT pg_wal_replay_pause()');
    await this.until(async () => {
      const [{ state }] = await this.query<{ state: string }>(
        'replica',
        'SELECT pg_get_wal_replay_pause_state() AS state',
      );
      return state === 'paused';
    }, 'replay to pause');
  }

  async resumeReplay(): Promise<void> {
    await this.query('replica', 'SELECT pg_wal_replay_resume()');
  }

  /** Waits (bounded) until the replica has replayed all the primary has written so far. */
  async waitForCatchUp(timeoutMs = PATIENCE_MS): Promise<void> {
    const [{ lsn }] = await this.query<{ lsn: string }>(
      'primary',
      'SELECT pg_current_wal_lsn()::text AS lsn',
    );
    await this.until(
      async () => {
        const [{ done }] = await this.query<{ done: boolean }>(
          'replica',
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
          [lsn],
        );
        return done;
      },
      'the replica to catch up',
      timeoutMs,
    );
  }

  /** Stops both servers and deletes their folder. Safe to call twice, or after a failed start. */
  async stop(): Promise<void> {
    for (const server of ['replica', 'primary'] as const) {
      if (this.running[server]) await this.pgCtl(server, 'stop').catch(() => undefined);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  private async waitForServer(server: 'primary' | 'replica'): Promise<void> {
    await this.until(async () => {
      await this.query(server, 'SELECT 1');
      return true;
    }, `the ${server} to accept connections`);
  }

  private async until(
    check: () => Promise<boolean>,
    what: string,
    timeoutMs = PATIENCE_MS,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = await check().catch(() => false);
      if (done) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }
}
