import type { DataSource } from 'typeorm';
import type { BusStateListener, RevocationBus } from '../bus/revocation-bus';
import type { InvalidationHandler } from '../bus/invalidation-message';
import { loadConfig } from '../config/app-config';
import { NoMetrics, PrometheusMetrics } from '../metrics/metrics';
import { snapshotBytes, TokenSnapshot, VerifierCache } from './verifier-cache';

/** A bus whose connection the test flips; messages are delivered as the real bus does. */
class TestBus {
  connected = true;
  readonly handlers = new Set<InvalidationHandler>();
  readonly listeners = new Set<BusStateListener>();
  get state() {
    return { transport: 'redis' as const, connected: this.connected };
  }
  subscribe(handler: InvalidationHandler) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  onStateChange(listener: BusStateListener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  publish(message: Parameters<InvalidationHandler>[0]) {
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
    identityDeleted: false,
    predatesMembership: false,
    isPlatformAdmin: false,
    role: businessId ? 'member' : null,
    principal: {
      actor: { id: identityId, kind: 'user', label: 'a@b.test', email: 'a@b.test', name: null },
      token: { id: `id-${jti}`, jti, businessId, scopes, createdBy: 'a@b.test', business: null },
      role: null,
    } as unknown as TokenSnapshot['principal'],
  };
}

describe(VerifierCache.name, () => {
  let bus: TestBus;
  let sut: VerifierCache;

  beforeEach(() => {
    bus = new TestBus();
    sut = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '10000' }),
      bus as unknown as RevocationBus,
      postgres,
      new NoMetrics(),
    );
  });

  afterEach(() => sut.onModuleDestroy());

  const put = (hash: string, s: TokenSnapshot) => sut.set(hash, s, sut.ticket());

  it('is bounded in bytes (TOKEN_CACHE_MAX_BYTES), not only in entries: the largest snapshots evict', () => {
    const bounded = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '10000', TOKEN_CACHE_MAX_BYTES: String(1024 * 1024) }),
      bus as unknown as RevocationBus,
      postgres,
      new NoMetrics(),
    );
    const largest = Array.from({ length: 50 }, (_, i) => `s${i}:${'x'.repeat(120)}`);
    const big = snapshot('big-0', 'b1', 'identity-1', largest);
    expect(snapshotBytes(big)).toBeGreaterThan(10_000);
    for (let i = 0; i < 100; i++) {
      bounded.set(`big-${i}`, snapshot(`big-${i}`, 'b1', 'identity-1', largest), bounded.ticket());
    }
    expect(bounded.size * snapshotBytes(big)).toBeLessThanOrEqual(1024 * 1024);
    expect(bounded.size).toBeGreaterThan(10);
    expect(bounded.get('big-99')).toBeDefined();
    expect(bounded.get('big-0')).toBeUndefined();

    for (let i = 0; i < 400; i++) {
      bounded.set(`small-${i}`, snapshot(`small-${i}`, 'b1'), bounded.ticket());
    }
    expect(bounded.get('small-0')).toBeDefined();
    bounded.onModuleDestroy();
  });

  it('serves what it was given', () => {
    const s = snapshot('j1', 'b1');
    put('h1', s);
    expect(sut.get('h1')).toBe(s);
  });

  it('evicts one token by jti on token.changed', () => {
    put('h1', snapshot('j1', 'b1'));
    put('h2', snapshot('j2', 'b1'));
    bus.publish({ type: 'token.changed', business_id: 'b1', jti: 'j1' });
    expect(sut.get('h1')).toBeUndefined();
    expect(sut.get('h2')).toBeDefined();
  });

  it('evicts a platform token by jti', () => {
    put('h1', snapshot('j1', null));
    bus.publish({ type: 'token.changed', business_id: null, jti: 'j1' });
    expect(sut.get('h1')).toBeUndefined();
  });

  it('evicts every token of a business on business.changed, and no other', () => {
    put('h1', snapshot('j1', 'b1', 'i1'));
    put('h2', snapshot('j2', 'b1', 'i2'));
    put('h3', snapshot('j3', 'b2', 'i1'));
    bus.publish({ type: 'business.changed', business_id: 'b1' });
    expect([sut.get('h1'), sut.get('h2')]).toEqual([undefined, undefined]);
    expect(sut.get('h3')).toBeDefined();
  });

  it('evicts one identity in one business on membership.changed', () => {
    put('h1', snapshot('j1', 'b1', 'i1'));
    put('h2', snapshot('j2', 'b1', 'i2'));
    put('h3', snapshot('j3', 'b2', 'i1'));
    bus.publish({ type: 'membership.changed', business_id: 'b1', identity_id: 'i1' });
    expect(sut.get('h1')).toBeUndefined();
    expect(sut.get('h2')).toBeDefined();
    expect(sut.get('h3')).toBeDefined();
  });

  it('keeps its indexes right when an entry is replaced', () => {
    put('h1', snapshot('j1', 'b1'));
    put('h1', snapshot('j1', 'b1'));
    bus.publish({ type: 'token.changed', business_id: 'b1', jti: 'j1' });
    expect(sut.get('h1')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('does not cache a read that raced an eviction', () => {
    const ticket = sut.ticket();
    bus.publish({ type: 'token.changed', business_id: 'b1', jti: 'j1' });
    sut.set('h1', snapshot('j1', 'b1'), ticket);
    sut.setUnknown('h2', ticket);
    expect(sut.get('h1')).toBeUndefined();
    expect(sut.isKnownUnknown('h2')).toBe(false);
  });

  it('remembers unknown hashes', () => {
    sut.setUnknown('h9', sut.ticket());
    expect(sut.isKnownUnknown('h9')).toBe(true);
  });

  it('flushes and bypasses itself while the bus is down, and flushes again when it is back', () => {
    put('h1', snapshot('j1', 'b1'));
    bus.setConnected(false);
    expect(sut.bypassed).toBe(true);
    expect(sut.size).toBe(0);
    put('h2', snapshot('j2', 'b1'));
    sut.setUnknown('h3', sut.ticket());
    expect(sut.get('h2')).toBeUndefined();
    expect(sut.isKnownUnknown('h3')).toBe(false);

    const ticketWhileDown = sut.ticket();
    bus.setConnected(true);
    expect(sut.bypassed).toBe(false);
    // A read that started while the bus was down is not cached once it is back.
    sut.set('h4', snapshot('j4', 'b1'), ticketWhileDown);
    expect(sut.get('h4')).toBeUndefined();
    put('h5', snapshot('j5', 'b1'));
    expect(sut.get('h5')).toBeDefined();
  });

  it('starts bypassed when the bus is not connected yet', () => {
    bus.connected = false;
    const cold = new VerifierCache(
      loadConfig({}),
      bus as unknown as RevocationBus,
      postgres,
      new NoMetrics(),
    );
    cold.set('h1', snapshot('j1', 'b1'), cold.ticket());
    expect(cold.get('h1')).toBeUndefined();
    cold.onModuleDestroy();
  });

  it('caches nothing with TOKEN_CACHE_TTL_MS=0', () => {
    const off = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '0' }),
      bus as unknown as RevocationBus,
      postgres,
      new NoMetrics(),
    );
    off.set('h1', snapshot('j1', 'b1'), off.ticket());
    off.setUnknown('h2', off.ticket());
    expect(off.get('h1')).toBeUndefined();
    expect(off.isKnownUnknown('h2')).toBe(false);
    off.onModuleDestroy();
  });

  it('counts a lookup once: a hit from either cache, a miss when the database must be read', async () => {
    const metrics = new PrometheusMetrics();
    const counted = new VerifierCache(
      loadConfig({ TOKEN_CACHE_TTL_MS: '10000' }),
      bus as unknown as RevocationBus,
      postgres,
      metrics,
    );
    const lookup = (hash: string) => counted.get(hash) ?? counted.isKnownUnknown(hash);
    counted.set('h1', snapshot('j1', 'b1'), counted.ticket());
    counted.setUnknown('h2', counted.ticket());
    lookup('h1');
    lookup('h2');
    lookup('h3');
    const text = await metrics.exposition();
    expect(text).toMatch(/^latchkey_verifier_cache_hits_total 2$/m);
    expect(text).toMatch(/^latchkey_verifier_cache_misses_total 1$/m);
    expect(text).toMatch(/^latchkey_verifier_cache_entries 1$/m);
    counted.onModuleDestroy();
  });
});
