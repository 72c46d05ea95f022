import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { describeIf, TEST_REDIS_URL } from '../../../test/setup/servers';
import type { RedisClient } from '../../redis/redis-connections';
import { disconnectNow } from '../../redis/redis-disconnect';
import { MemoryDpopReplayCache, RedisDpopReplayCache } from './dpop-replay';

const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const TTL_MS = 600_000;

/** A clock the test moves, handed to lru-cache (jest's fake timers do not reach its own). */
function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe(MemoryDpopReplayCache.name, () => {
  it('grants a (jkt, jti) once, and refuses it after', async () => {
    const sut = new MemoryDpopReplayCache(100);
    expect(await sut.claim(JKT, 'jti-1', TTL_MS)).toBe(true);
    expect(await sut.claim(JKT, 'jti-1', TTL_MS)).toBe(false);
    expect(await sut.claim(JKT, 'jti-1', TTL_MS)).toBe(false);
  });

  it("keeps each key's jti apart: another key may use the same jti, and the pair is not spliced", async () => {
    const sut = new MemoryDpopReplayCache(100);
    expect(await sut.claim(JKT, 'shared', TTL_MS)).toBe(true);
    expect(await sut.claim('another-thumbprint', 'shared', TTL_MS)).toBe(true);
    // ("ab", "c|d") and ("ab|c", "d") would be one text if the pair were only joined by `|`.
    expect(await sut.claim('ab', 'c|d', TTL_MS)).toBe(true);
    expect(await sut.claim('ab|c', 'd', TTL_MS)).toBe(true);
  });

  it('grants exactly one of many claims of one proof made at once', async () => {
    const sut = new MemoryDpopReplayCache(100);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => sut.claim(JKT, 'raced', TTL_MS)),
    );
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('forgets a claim once its TTL has passed, and not a millisecond before', async () => {
    const clock = manualClock();
    const sut = new MemoryDpopReplayCache(100, clock);
    expect(await sut.claim(JKT, 'j', 1_000)).toBe(true);
    clock.advance(999);
    expect(await sut.claim(JKT, 'j', 1_000)).toBe(false);
    clock.advance(2);
    expect(await sut.claim(JKT, 'j', 1_000)).toBe(true);
    expect(await sut.claim(JKT, 'j', 1_000)).toBe(false);
  });

  it('stays within maxEntries, letting the oldest claims go first', async () => {
    const sut = new MemoryDpopReplayCache(50);
    for (let i = 0; i < 500; i++) expect(await sut.claim(JKT, `j${i}`, TTL_MS)).toBe(true);
    expect(sut.size).toBe(50);
    // The newest 50 are still refused; the oldest were evicted, and only they would pass again.
    for (let i = 450; i < 500; i++) expect(await sut.claim(JKT, `j${i}`, TTL_MS)).toBe(false);
    expect(await sut.claim(JKT, 'j0', TTL_MS)).toBe(true);
    expect(sut.size).toBe(50);
  });

  it('a replayed claim does not refresh its place: a replay storm cannot pin an entry', async () => {
    const sut = new MemoryDpopReplayCache(3);
    await sut.claim(JKT, 'a', TTL_MS);
    await sut.claim(JKT, 'b', TTL_MS);
    await sut.claim(JKT, 'a', TTL_MS);
    await sut.claim(JKT, 'c', TTL_MS);
    await sut.claim(JKT, 'd', TTL_MS);
    expect(await sut.claim(JKT, 'b', TTL_MS)).toBe(false);
    expect(await sut.claim(JKT, 'a', TTL_MS)).toBe(true);
  });

  it('refuses a TTL that is not a positive number, rather than remember forever', async () => {
    const sut = new MemoryDpopReplayCache(10);
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(sut.claim(JKT, 'j', ttl)).rejects.toThrow(RangeError);
    }
    expect(sut.size).toBe(0);
  });
});

/** A loopback port nothing listens on: a Redis that refuses. */
function refusingPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe(RedisDpopReplayCache.name, () => {
  it('rejects when Redis does not answer, so the caller answers 503 instead of letting it pass', async () => {
    const down = new Redis(await refusingPort(), '127.0.0.1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    down.on('error', () => undefined);
    try {
      const sut = new RedisDpopReplayCache(down, 'latchkey-test:');
      await expect(sut.claim(JKT, 'j', TTL_MS)).rejects.toThrow();
    } finally {
      disconnectNow(down);
    }
  });

  it("sends each claim on its own to a Cluster, whose keys' slots no one pipeline holds", async () => {
    const set = jest.fn().mockResolvedValueOnce('OK').mockResolvedValueOnce(null);
    const pipeline = jest.fn();
    const cluster = { isCluster: true, set, pipeline } as unknown as RedisClient;
    const sut = new RedisDpopReplayCache(cluster, 'p:');
    const answers = await Promise.all([sut.claim(JKT, 'a', TTL_MS), sut.claim(JKT, 'a', TTL_MS)]);
    expect(answers).toEqual([true, false]);
    expect(set).toHaveBeenCalledTimes(2);
    expect(set.mock.calls[0]).toEqual([
      expect.stringMatching(/^p:dpop:[0-9a-f]{64}$/),
      '1',
      'PX',
      TTL_MS,
      'NX',
    ]);
    expect(pipeline).not.toHaveBeenCalled();
  });
});

// Runs only with REDIS_URL, which .ci/run always sets.
const withRedis = describeIf(!!TEST_REDIS_URL, 'set REDIS_URL');

withRedis(`${RedisDpopReplayCache.name} on Redis`, () => {
  const prefix = `latchkey-test-${randomBytes(6).toString('hex')}:`;
  let a: Redis;
  let b: Redis;
  beforeAll(() => {
    a = new Redis(TEST_REDIS_URL!);
    b = new Redis(TEST_REDIS_URL!);
  });
  afterAll(async () => {
    // Only this run's keys: the Redis is shared, and is never flushed.
    const keys = await a.keys(`${prefix}*`);
    if (keys.length > 0) await a.del(...keys);
    await Promise.all([a.quit(), b.quit()]);
  });

  it('grants a (jkt, jti) once, and refuses the replay', async () => {
    const sut = new RedisDpopReplayCache(a, prefix);
    expect(await sut.claim(JKT, 'once', TTL_MS)).toBe(true);
    expect(await sut.claim(JKT, 'once', TTL_MS)).toBe(false);
    expect(await sut.claim('another-thumbprint', 'once', TTL_MS)).toBe(true);
  });

  it('is shared by two instances: a proof spent on one is refused by the other', async () => {
    const first = new RedisDpopReplayCache(a, prefix);
    const second = new RedisDpopReplayCache(b, prefix);
    expect(await first.claim(JKT, 'across', TTL_MS)).toBe(true);
    expect(await second.claim(JKT, 'across', TTL_MS)).toBe(false);
  });

  it('grants exactly one of many parallel claims of one proof, across two connections', async () => {
    const instances = [new RedisDpopReplayCache(a, prefix), new RedisDpopReplayCache(b, prefix)];
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => instances[i % 2].claim(JKT, 'raced', TTL_MS)),
    );
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('sends the claims of one turn of the event loop as one pipeline, each answered alone', async () => {
    const sut = new RedisDpopReplayCache(a, prefix);
    const pipeline = jest.spyOn(a, 'pipeline');
    try {
      const jtis = ['p1', 'p2', 'p1', 'p3', 'p2'];
      const answers = await Promise.all(jtis.map((jti) => sut.claim(JKT, jti, TTL_MS)));
      expect(answers).toEqual([true, true, false, true, false]);
      expect(pipeline).toHaveBeenCalledTimes(1);
    } finally {
      pipeline.mockRestore();
    }
  });

  it('stores a hash under the prefix, never the jti, and lets it expire with the TTL', async () => {
    const sut = new RedisDpopReplayCache(a, prefix);
    const jti = `odd\r\n*1\r\n$4\r\nPING ${'x'.repeat(200)}`;
    expect(await sut.claim(JKT, jti, 5_000)).toBe(true);
    const keys = await a.keys(`${prefix}*`);
    expect(keys.every((key) => /^latchkey-test-[0-9a-f]{12}:dpop:[0-9a-f]{64}$/.test(key))).toBe(
      true,
    );
    expect(keys.some((key) => key.includes('odd') || key.includes(JKT))).toBe(false);
    const ttls = await Promise.all(keys.map((key) => a.pttl(key)));
    expect(Math.min(...ttls)).toBeGreaterThan(0);
    expect(Math.min(...ttls)).toBeLessThanOrEqual(5_000);
  });

  it('forgets a claim once its TTL has passed', async () => {
    const sut = new RedisDpopReplayCache(a, prefix);
    expect(await sut.claim(JKT, 'short', 30)).toBe(true);
    expect(await sut.claim(JKT, 'short', 30)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await sut.claim(JKT, 'short', 30)).toBe(true);
  });
});
