import type { DataSource } from 'typeorm';
import type {
  InvalidationHandler,
  InvalidationMessage,
  Invalidations,
  InvalidationsStateListener,
} from '../../common/invalidations';
import { loadConfig } from '../../config/load-config';
import { NoMetrics } from '../../metrics/metrics';
import { PrometheusMetrics } from '../../metrics/prometheus-metrics';
import { snapshotBytes, TokenSnapshot, VerifierCache } from './verifier-cache';

/** A bus whose connection the test flips; messages are delivered as the real bus does. */
class TestBus implements Invalidations {
  connected = true;
  readonly handlers = new Set<InvalidationHandler>();
  readonly listeners = new Set<InvalidationsStateListener>();
  get state() {
    return { transport: 'redis' as const, connected: this.connected };
  }
  subscribe(handler: InvalidationHandler) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  onStateChange(listener: InvalidationsStateListener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(message: InvalidationMessage) {
    for (const handler of this.handlers) handler(message);
  }
  setConnected(connected: boolean) {
    this.connected = connected;
    for (const listener of this.listeners) listener(connected);
  }
}

const postgres = { options: { type: 'postgres' } } as unknown as DataSource;

function snapshot(
  jti: string,
  businessId: string | null,
  identityId = 'identity-1',
  scopes: string[] | null = null,
): TokenSnapshot {
  return {
    ref: { id: `id-${jti}`, jti, name: 'n', businessId, identityId },
    expiresAt: null,
    revokedAt: null,
    disabledAt: null,
    identityDeleted: false,
    addresses: null,
    predatesMembership: false,
    keyRequired: false,
    isPlatformAdmin: false,
    role: businessId ? 'member' : null,
    principal: {
      actor: { id: identityId, kind: 'user', label: 'a@b.test', email: 'a@b.test', name: null },
      token: { id: `id-${jti}`, jti, businessId, scopes, createdBy: 'a@b.test', business: null },
      role: null,
    } as unknown as TokenSnapshot['principal'],
  };
}

/** A lookup that misses and reads `found`: the one call the verifier makes. */
const read = (cache: VerifierCache, hash: string, found: TokenSnapshot | null) =>
  cache.getOrLoad(hash, () => Promise.resolve(found));

describe(VerifierCache.name, () => {
  let bus: TestBus;
  let sut: VerifierCache;

  beforeEach(() => {
    bus = new TestBus();
    sut = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '10000' }),
      bus,
      postgres,
      new NoMetrics(),
    );
  });

  afterEach(() => sut.onModuleDestroy());

  const put = (hash: string, s: TokenSnapshot) => read(sut, hash, s);

  it('is bounded in bytes (TOKEN_CACHE_MAX_BYTES), not only in entries: the largest snapshots evict', async () => {
    const bounded = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '10000', TOKEN_CACHE_MAX_BYTES: String(1024 * 1024) }),
      bus,
      postgres,
      new NoMetrics(),
    );
    const largest = Array.from({ length: 50 }, (_, i) => `s${i}:${'x'.repeat(120)}`);
    const big = snapshot('big-0', 'b1', 'identity-1', largest);
    expect(snapshotBytes(big)).toBeGreaterThan(10_000);
    for (let i = 0; i < 100; i++) {
      await read(bounded, `big-${i}`, snapshot(`big-${i}`, 'b1', 'identity-1', largest));
    }
    expect(bounded.size * snapshotBytes(big)).toBeLessThanOrEqual(1024 * 1024);
    expect(bounded.size).toBeGreaterThan(10);
    expect(bounded.peek('big-99')).toBeDefined();
    expect(bounded.peek('big-0')).toBeUndefined();

    for (let i = 0; i < 400; i++) {
      await read(bounded, `small-${i}`, snapshot(`small-${i}`, 'b1'));
    }
    expect(bounded.peek('small-0')).toBeDefined();
    bounded.onModuleDestroy();
  });

  it('serves what it was given', async () => {
    const s = snapshot('j1', 'b1');
    await put('h1', s);
    expect(sut.peek('h1')).toBe(s);
  });

  it('evicts one token by jti on token.changed', async () => {
    await put('h1', snapshot('j1', 'b1'));
    await put('h2', snapshot('j2', 'b1'));
    bus.publish({ type: 'token.changed', business_id: 'b1', jti: 'j1' });
    expect(sut.peek('h1')).toBeUndefined();
    expect(sut.peek('h2')).toBeDefined();
  });

  it('evicts a platform token by jti', async () => {
    await put('h1', snapshot('j1', null));
    bus.publish({ type: 'token.changed', business_id: null, jti: 'j1' });
    expect(sut.peek('h1')).toBeUndefined();
  });

  it('evicts every token of a business on business.changed, and no other', async () => {
    await put('h1', snapshot('j1', 'b1', 'i1'));
    await put('h2', snapshot('j2', 'b1', 'i2'));
    await put('h3', snapshot('j3', 'b2', 'i1'));
    bus.publish({ type: 'business.changed', business_id: 'b1' });
    expect([sut.peek('h1'), sut.peek('h2')]).toEqual([undefined, undefined]);
    expect(sut.peek('h3')).toBeDefined();
  });

  it('evicts one identity in one business on membership.changed', async () => {
    await put('h1', snapshot('j1', 'b1', 'i1'));
    await put('h2', snapshot('j2', 'b1', 'i2'));
    await put('h3', snapshot('j3', 'b2', 'i1'));
    bus.publish({ type: 'membership.changed', business_id: 'b1', identity_id: 'i1' });
    expect(sut.peek('h1')).toBeUndefined();
    expect(sut.peek('h2')).toBeDefined();
    expect(sut.peek('h3')).toBeDefined();
  });

  it('keeps its indexes right when an entry is replaced', async () => {
    await put('h1', snapshot('j1', 'b1'));
    await put('h1', snapshot('j1', 'b1'));
    bus.publish({ type: 'token.changed', business_id: 'b1', jti: 'j1' });
    expect(sut.peek('h1')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('does not cache a read that raced an eviction', async () => {
    // The message arrives while the database read is in flight: the read may predate it.
    const evictWhileReading = (found: TokenSnapshot | null) => () => {
      bus.publish({ type: 'token.changed', business_id: 'b1', jti: 'j1' });
      return Promise.resolve(found);
    };
    const s = snapshot('j1', 'b1');
    expect(await sut.getOrLoad('h1', evictWhileReading(s))).toBe(s);
    expect(await sut.getOrLoad('h2', evictWhileReading(null))).toBeNull();
    expect(sut.peek('h1')).toBeUndefined();
    expect(sut.peek('h2')).toBeUndefined();
  });

  it('remembers unknown hashes', async () => {
    await read(sut, 'h9', null);
    expect(sut.peek('h9')).toBeNull();
  });

  it('flushes and bypasses itself while the bus is down, and flushes again when it is back', async () => {
    await put('h1', snapshot('j1', 'b1'));
    bus.setConnected(false);
    expect(sut.bypassed).toBe(true);
    expect(sut.size).toBe(0);
    await put('h2', snapshot('j2', 'b1'));
    await read(sut, 'h3', null);
    expect(sut.peek('h2')).toBeUndefined();
    expect(sut.peek('h3')).toBeUndefined();

    // A read that started while the bus was down is not cached once it is back.
    const readWhileDown = sut.getOrLoad('h4', () => {
      bus.setConnected(true);
      return Promise.resolve(snapshot('j4', 'b1'));
    });
    await readWhileDown;
    expect(sut.bypassed).toBe(false);
    expect(sut.peek('h4')).toBeUndefined();
    await put('h5', snapshot('j5', 'b1'));
    expect(sut.peek('h5')).toBeDefined();
  });

  it('starts bypassed when the bus is not connected yet', async () => {
    bus.connected = false;
    const cold = new VerifierCache(loadConfig({}), bus, postgres, new NoMetrics());
    await read(cold, 'h1', snapshot('j1', 'b1'));
    expect(cold.peek('h1')).toBeUndefined();
    cold.onModuleDestroy();
  });

  it('caches nothing with TOKEN_CACHE_TTL_MS=0', async () => {
    const off = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '0' }),
      bus,
      postgres,
      new NoMetrics(),
    );
    await read(off, 'h1', snapshot('j1', 'b1'));
    await read(off, 'h2', null);
    expect(off.peek('h1')).toBeUndefined();
    expect(off.peek('h2')).toBeUndefined();
    off.onModuleDestroy();
  });

  it('counts a lookup once: a hit from either cache, a miss when the database must be read', async () => {
    const metrics = new PrometheusMetrics();
    const counted = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '10000' }),
      bus,
      postgres,
      metrics,
    );
    await read(counted, 'h1', snapshot('j1', 'b1'));
    await read(counted, 'h2', null);
    const count = async (name: string) =>
      Number(
        new RegExp(`^latchkey_verifier_cache_${name}_total (\\d+)$`, 'm').exec(
          await metrics.exposition(),
        )![1],
      );
    const [hits, misses] = [await count('hits'), await count('misses')];
    const never = () => Promise.reject(new Error('a hit reads nothing'));
    // Hits answer at once, with no promise and no read.
    expect(counted.getOrLoad('h1', never)).toEqual(expect.objectContaining({ role: 'member' }));
    expect(counted.getOrLoad('h2', never)).toBeNull();
    await read(counted, 'h3', null);
    expect(await count('hits')).toBe(hits + 2);
    expect(await count('misses')).toBe(misses + 1);
    const text = await metrics.exposition();
    expect(text).toMatch(/^latchkey_verifier_cache_entries 1$/m);
    counted.onModuleDestroy();
  });
});
