import { AsyncResource } from 'node:async_hooks';
import type { Response } from 'supertest';
import { BusinessFixture, createBusiness, createToken } from '../../factories/tenancy.factory';
import { seedTokenRows } from '../../factories/token-rows.factory';
import { asMember, asOwner, Caller, me, postToken, rotate } from '../../harness/app/api';
import { expectBearerError, expectError, sleep } from '../../harness/app/assertions';
import { ok } from '../../harness/app/cli';
import { json } from '../../cli/cli-policy';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { UnitOfWork } from '../../../src/database/units/unit-of-work';
import { TokenFamilyPause } from '../../../src/tokens/lifecycle/token-family-pause';
import { DRIVERS } from '../../setup/servers';

/**
 * What a caller who wants a token to outlive its family's pause would try: make children while
 * the pause runs (every token made by a member of the family is then paused, or was refused),
 * rotate a child meanwhile, grow the family past what one transaction pauses, or go round HTTP
 * through the CLI. The family's behaviour itself: token-pause-family.e2e-spec.ts.
 */
describe.each(DRIVERS)('A pause with children, raced and bounded, on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
  });
  afterAll(() => t?.close());

  const withChildren = (caller: Caller, id: string) =>
    t
      .http()
      .post(`/api/v1/tokens/${id}/disable`)
      .set(caller)
      .send({ reason: 'contain', include_children: true });

  /** The family's tokens below `rootId` that are neither paused nor revoked: none, after a pause. */
  const speaking = (b: BusinessFixture, rootId: string) =>
    t.sql<{ id: string; name: string }>(
      'WITH RECURSIVE f(id) AS (SELECT id FROM api_tokens WHERE business_id = ? AND ' +
        'parent_token_id = ? UNION SELECT a.id FROM api_tokens a JOIN f ON a.parent_token_id = f.id) ' +
        'SELECT t.id, t.name FROM api_tokens t JOIN f ON t.id = f.id ' +
        'WHERE t.disabled_at IS NULL AND t.revoked_at IS NULL',
      [b.id, rootId],
    );

  /**
   * Holds every unit of work that the requests `start` sends begin (they have passed the bearer
   * check), and answers them and a release that lets them run. A unit begun by no request (the
   * last-used or usage flush on its timer) runs at once: held, it would take a request's place.
   */
  /** The caller's stack, deep enough to reach the route's controller. */
  function stackOf(): string {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    return stack;
  }

  async function holdingWrites(count: number, start: () => Promise<Response>[]) {
    const uow = t.app.get(UnitOfWork);
    const held: (() => void)[] = [];
    const spy = jest.spyOn(uow, 'run').mockImplementation((work) =>
      !/Controller\./.test(stackOf())
        ? UnitOfWork.prototype.run.call(uow, work)
        : new Promise((resolve, reject) =>
            // Bound to the request's own context, so each runs as its request would, not inside
            // the transaction that releases it.
            held.push(
              AsyncResource.bind(
                () => void UnitOfWork.prototype.run.call(uow, work).then(resolve, reject),
              ),
            ),
          ),
    );
    const answers = Promise.all(start());
    while (held.length < count) await sleep(5);
    spy.mockRestore();
    return { answers, release: () => held.splice(0).forEach((run) => run()) };
  }

  it('refuses what the family makes once the pause has its rows, though the makers passed the bearer check', async () => {
    const b = await createBusiness(t);
    const root = await createToken(t, asOwner(b), { name: 'root' });
    const child = await createToken(t, asMember(root.secret, b.id), { name: 'child' });
    const makers = [root, child, root, child];
    const { answers, release } = await holdingWrites(makers.length + 1, () => [
      ...makers.map((maker, i) =>
        postToken(t, asMember(maker.secret, b.id), { name: `during-${i}` }),
      ),
      rotate(t, asMember(child.secret, b.id), child.id, { grace_period_seconds: 60 }),
    ]);
    // The held writes run once the pause has walked and locked the family, and while its
    // transaction is still open: on PostgreSQL beside it, on SQLite queued behind it.
    const pause = t.app.get(TokenFamilyPause);
    const claim = jest.spyOn(pause, 'claim').mockImplementation(async (...args) => {
      const claimed = await TokenFamilyPause.prototype.claim.apply(pause, args);
      release();
      await sleep(100);
      return claimed;
    });
    const paused = await withChildren(asOwner(b), root.id);
    claim.mockRestore();
    const made = await answers;

    expect(paused.status).toBe(200);
    expect(paused.body.data.children).toEqual({ paused: 1, token_ids: [child.id] });
    const rotated = made.pop()!;
    expect([401, 409]).toContain(rotated.status);
    for (const res of made) expectBearerError(res, 'TOKEN_DISABLED');
    expect(await speaking(b, root.id)).toEqual([]);
    const family = await t.sql('SELECT id FROM api_tokens WHERE parent_token_id IN (?, ?)', [
      root.id,
      child.id,
    ]);
    expect(family).toEqual([{ id: child.id }]);
  });

  it('pauses what the family made before the pause, whichever way a parallel race goes', async () => {
    const b = await createBusiness(t);
    const root = await createToken(t, asOwner(b), { name: 'root' });
    const child = await createToken(t, asMember(root.secret, b.id), { name: 'child' });
    const [paused, ...made] = await Promise.all([
      withChildren(asOwner(b), root.id),
      ...[root, child, root, child].map((maker, i) =>
        postToken(t, asMember(maker.secret, b.id), { name: `race-${i}` }),
      ),
    ]);
    expect(paused.status).toBe(200);
    for (const res of made) if (res.status !== 201) expectBearerError(res, 'TOKEN_DISABLED');
    expect(await speaking(b, root.id)).toEqual([]);
    for (const maker of [root, child]) {
      expectBearerError(
        await postToken(t, asMember(maker.secret, b.id), { name: 'after' }),
        'TOKEN_DISABLED',
      );
    }
  });

  it('refuses a family too large for one transaction (409), and pauses none of it', async () => {
    const b = await createBusiness(t);
    const root = await createToken(t, asOwner(b), { name: 'root' });
    await seedTokenRows(t, b.id, b.ownerId, 1001);
    await t.sql(
      "UPDATE api_tokens SET parent_token_id = ? WHERE business_id = ? AND name LIKE 'seed-%'",
      [root.id, b.id],
    );
    expectError(await withChildren(asOwner(b), root.id), 409, 'TOKEN_FAMILY_TOO_LARGE');
    await me(t, asMember(root.secret, b.id)).expect(200);
    const paused = await t.sql(
      'SELECT id FROM api_tokens WHERE business_id = ? AND disabled_at IS NOT NULL',
      [b.id],
    );
    expect(paused).toEqual([]);
  });

  it('pauses with children from the CLI (--include-children), audited as the operator', async () => {
    const b = await createBusiness(t);
    const root = await createToken(t, asOwner(b), { name: 'root' });
    const child = await createToken(t, asMember(root.secret, b.id), { name: 'child' });
    const grandchild = await createToken(t, asMember(child.secret, b.id), { name: 'grandchild' });
    const args = ['tokens', 'disable', root.id, '--business', b.id, '--include-children'];
    const answer = json<{ disabled_by: string; children: { paused: number; token_ids: string[] } }>(
      await ok([...args, '--reason', 'from a shell'], t.db.env),
    );
    expect(answer.disabled_by).toBe('cli');
    expect(answer.children.paused).toBe(2);
    expect([...answer.children.token_ids].sort()).toEqual([child.id, grandchild.id].sort());
    expect(await speaking(b, root.id)).toEqual([]);
    const events = await t.sql<{ target_id: string }>(
      "SELECT target_id FROM audit_events WHERE origin = 'cli' AND action = 'token.disabled' " +
        'AND business_id = ?',
      [b.id],
    );
    expect(events.map((e) => e.target_id).sort()).toEqual(
      [root.id, child.id, grandchild.id].sort(),
    );
  });
});
