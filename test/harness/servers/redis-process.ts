import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Child } from '../child';
import { freePort } from '../ports';
import { redisAnswers } from './redis';
import { sleep } from '../stats';

/**
 * The pieces of test/harness/servers/redis-topology.ts: one `redis-server` process (or Sentinel) on a loopback
 * port, `redis-cli` to ask it things, and bounded polling.
 */

export const REDIS_SERVER_BIN = 'redis-server';

/** `redis-cli` on a loopback port, answering its output (raw: one value a line). */
export function redisCli(port: number, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), '--raw', ...args],
      { timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${stderr || error.message}`));
        else resolve(stdout.trim());
      },
    );
  });
}

/** Polls `probe` every 50 ms until it answers true, for at most `timeoutMs`. */
export async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** One `redis-server` (or Sentinel) process, which may be killed and started again in place. */
export class RedisProcess {
  private child: Child | undefined;

  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  get running(): boolean {
    return this.child?.running ?? false;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) return;
    this.child = Child.spawn(`redis:${this.port}`, REDIS_SERVER_BIN, this.args);
    const url = `redis://127.0.0.1:${this.port}`;
    const deadline = Date.now() + timeoutMs;
    while (!(await redisAnswers(url, 500))) {
      if (!this.child.running)
        throw new Error(`redis on ${this.port} exited:\n${this.child.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`redis on ${this.port}: no PONG within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** SIGKILL: connections drop at once, as in a crash. */
  async kill(): Promise<void> {
    await this.child?.kill();
  }

  async stop(): Promise<void> {
    await this.child?.stop(2000);
  }

  tail(): string {
    return this.child?.tail() ?? '';
  }
}

/** A server's arguments: loopback only, no persistence, its files in `dir`. */
export function serverArgs(port: number, dir: string, extra: string[] = []): string[] {
  mkdirSync(dir, { recursive: true });
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    ...extra,
  ];
}
