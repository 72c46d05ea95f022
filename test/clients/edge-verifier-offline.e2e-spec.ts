import { EdgeVerifier } from '../../packages/client/src/verifier';
import { SECOND, useEdgeVerifier, validAndRevokedUnderGrace } from './edge-verifier-fixtures';

/**
 * The EdgeVerifier while Latchkey cannot be reached: what it passes under offlineGraceSeconds from
 * the last good list, never a revoked, unknown or uses-limited token; backoff, timeouts, 429.
 */
describe(EdgeVerifier.name, () => {
  const t = useEdgeVerifier();

  describe('while Latchkey cannot be reached', () => {
    it('passes a token valid at the last good list until the grace after that fetch; never a revoked or unknown one', async () => {
      const { token, revoked, fetchedAt } = await validAndRevokedUnderGrace(t);
      await t.latchkey.stop();

      t.later(60 * SECOND);
      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'list' });
      expect(await t.sut.verify(revoked)).toMatchObject({ reason: 'revoked' });
      expect(await t.sut.verify('lk_never_seen')).toEqual({ valid: false, reason: 'unreachable' });

      t.clock = fetchedAt + 599 * SECOND;
      expect(await t.sut.verify(token)).toMatchObject({ valid: true });
      expect(t.sut.checkCached(token)).toMatchObject({ valid: true });

      t.clock = fetchedAt + 600 * SECOND;
      expect(await t.sut.verify(token)).toEqual({ valid: false, reason: 'unreachable' });
      expect(t.sut.checkCached(token)).toEqual({ valid: false, reason: 'unreachable' });
    });

    it('check() tells an outage (no answer, a 503) from a misconfiguration', async () => {
      t.latchkey.mode = 'down';
      expect(await t.sut.check()).toEqual({ ok: false, reason: 'unreachable', status: 503 });

      await t.latchkey.stop();
      expect(await t.sut.check()).toEqual({ ok: false, reason: 'unreachable' });
    });

    it('answers meanwhile from memory, without waiting on a fetch each time (backoff)', async () => {
      const [token] = t.latchkey.issue();
      await t.sut.verify(token);
      await t.sut.verify(token);
      t.latchkey.mode = 'down';
      t.later(60 * SECOND);

      for (let i = 0; i < 10; i++) expect(await t.sut.verify(token)).toMatchObject({ valid: true });

      expect(t.sut.stats().listFetches).toBe(2);
    });

    it('refuses a token it has not seen, with the status when Latchkey answered one', async () => {
      t.latchkey.mode = 'down';

      expect(await t.sut.verify('lk_new')).toEqual({
        valid: false,
        reason: 'unreachable',
        status: 503,
      });
    });

    it('gives up on a Latchkey that does not answer after requestTimeoutMs', async () => {
      t.sut = t.verifier({ requestTimeoutMs: 200 });
      t.latchkey.mode = 'hang';
      const started = Date.now();

      expect(await t.sut.verify('lk_new')).toEqual({ valid: false, reason: 'unreachable' });
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('never passes a token with a uses limit', async () => {
      const [token] = t.latchkey.issue({ usesRemaining: 5 });
      await t.sut.verify(token);
      t.latchkey.mode = 'down';

      expect(await t.sut.verify(token)).toMatchObject({ valid: false, reason: 'unreachable' });
    });

    it('reports a rate limit with its Retry-After, and keeps nothing of it', async () => {
      const [token] = t.latchkey.issue();
      t.latchkey.mode = 'limited';
      expect(await t.sut.verify(token)).toEqual({
        valid: false,
        reason: 'rate_limited',
        status: 429,
        code: 'RATE_LIMITED',
        retryAfter: 7,
      });

      t.latchkey.mode = 'up';

      expect(await t.sut.verify(token)).toMatchObject({ valid: true, source: 'online' });
    });
  });
});
