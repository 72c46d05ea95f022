import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Child } from '../child';
import { sleep } from '../stats';

/** A key prefix no other run shares, so runs on a shared Redis never see each other. */
export function randomKeyPrefix(label = 'latchkey'): string {
  return `${label}_${randomBytes(5).toString('hex')}:`;
}

/**
 * Answers true when a Redis at `url` replies to PING within `timeoutMs`. A bare socket, so that
 * polling a server that is still starting leaves no client timers behind.
 */
export function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname);
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Deletes the keys under a prefix (SCAN + DEL: a shared Redis is never flushed). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

/**
 * A private, throwaway `redis-server` on a loopback port, which its owner may stop and start
 * again on the same port (to cut instances off from Redis). Never the machine's shared one.
 */
export class PrivateRedis {
  private child: Child | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    if (this.child?.running) return;
    this.child = Child.spawn(`redis-server:${this.port}`, 'redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ]);
    const deadline = Date.now() + timeoutMs;
    while (!(await redisAnswers(this.url, 500))) {
      if (!this.child.running) {
        throw new Error(`redis-server on ${this.port} exited:\n${this.child.tail()}`);
      }
      if (Date.now() > deadline) {
        await this.child.stop(1000);
        throw new Error(`redis-server on ${this.port} did not answer within ${timeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  /** Freezes it (SIGSTOP): connections stay open and nothing answers, as a stalled server. */
  pause(): void {
    this.child?.proc.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.proc.kill('SIGCONT');
  }

  /** Stops it the way a crash would: connections drop at once. */
  async kill(): Promise<void> {
    await this.child?.kill();
  }

  async stop(): Promise<void> {
    await this.child?.stop(3000);
  }
}
