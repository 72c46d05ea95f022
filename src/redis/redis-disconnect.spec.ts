import Redis, { type RedisOptions } from 'ioredis';
import { createServer } from 'node:net';
import { disconnectNow } from './redis-disconnect';

/** The timers holding the process up (an unref'd one is not listed). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** A loopback port nothing listens on: a Redis that refuses. */
function refusingPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe(disconnectNow.name, () => {
  it.each<[string, RedisOptions]>([
    ['gave up', { retryStrategy: () => null }],
    ['waits to retry', { retryStrategy: () => 60_000 }],
  ])(
    'leaves no timer running behind a client whose connection was refused and %s',
    async (_, options) => {
      const baseline = timers();
      const sut = new Redis(await refusingPort(), '127.0.0.1', { lazyConnect: true, ...options });
      sut.on('error', () => undefined);
      await sut.connect().catch(() => undefined);
      disconnectNow(sut);
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers()).toBe(baseline);
      // Twice is harmless: a shutdown may close what a failed check closed already.
      disconnectNow(sut);
      expect(timers()).toBe(baseline);
    },
  );

  it('ends a client that never connected', () => {
    const baseline = timers();
    const sut = new Redis(6379, '127.0.0.1', { lazyConnect: true });
    disconnectNow(sut);
    expect(sut.status).toBe('end');
    expect(timers()).toBe(baseline);
  });
});
