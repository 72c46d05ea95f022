import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from '../child';
import { freePort } from '../ports';
import { sleep } from '../stats';

/** Debian's PgBouncer (1.18 on these machines). */
export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';

export function pgbouncerInstalled(): boolean {
  return existsSync(PGBOUNCER_BIN);
}

/** Answers true when something accepts a TCP connection on `port` within `timeoutMs`. */
function listening(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => done(true));
  });
}

/**
 * A private PgBouncer in transaction pooling mode on a free loopback port, in front of the
 * PostgreSQL server of `serverUrl` (every database on it, as the same user), with its ini, auth
 * file and log in a temp dir. Trust auth: the test server trusts loopback too. `url(database)`
 * is the pooled URL of one database.
 */
export class PrivatePgBouncer {
  private child: Child | undefined;
  private dir: string | undefined;
  private port = 0;

  constructor(
    private readonly serverUrl: string,
    private readonly settings: Record<string, string | number> = {},
  ) {}

  /** The process id, or -1 before it has started. */
  get pid(): number {
    return this.child?.pid ?? -1;
  }

  url(database: string): string {
    const url = new URL(this.serverUrl);
    url.host = `127.0.0.1:${this.port}`;
    url.pathname = `/${database}`;
    return url.toString();
  }

  async start(timeoutMs = 10_000): Promise<void> {
    if (this.child?.running) return;
    const server = new URL(this.serverUrl);
    const user = decodeURIComponent(server.username || 'postgres');
    this.port = await freePort();
    this.dir = mkdtempSync(join(tmpdir(), 'latchkey-pgbouncer-'));
    // PgBouncer refuses to run as root; as root it is told to become `nobody`, who must read these.
    chmodSync(this.dir, 0o755);
    const ini = join(this.dir, 'pgbouncer.ini');
    writeFileSync(join(this.dir, 'users.txt'), `"${user}" ""\n`);
    const settings: Record<string, string | number> = {
      listen_addr: '127.0.0.1',
      listen_port: this.port,
      unix_socket_dir: '',
      auth_type: 'trust',
      auth_file: join(this.dir, 'users.txt'),
      pool_mode: 'transaction',
      max_client_conn: 200,
      default_pool_size: 20,
      // node-postgres sends it at startup; PgBouncer would refuse the connection otherwise.
      ignore_startup_parameters: 'extra_float_digits',
      server_reset_query: '',
      ...(process.getuid?.() === 0 ? { user: 'nobody' } : {}),
      ...this.settings,
    };
    const lines = [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432} user=${user}`,
      '[pgbouncer]',
      ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`),
    ];
    writeFileSync(ini, `${lines.join('\n')}\n`);
    this.child = Child.spawn(`pgbouncer:${this.port}`, PGBOUNCER_BIN, [ini]);
    const deadline = Date.now() + timeoutMs;
    while (!(await listening(this.port, 500))) {
      if (!this.child.running) throw new Error(`pgbouncer exited:\n${this.child.tail()}`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`pgbouncer on ${this.port} did not listen within ${timeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    await this.child?.stop(3000);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
