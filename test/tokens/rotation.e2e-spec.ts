import {
  addMember,
  createBusiness,
  createUnexpiringBusiness,
  createToken,
} from '../factories/tenancy.factory';
import { asMember, asOwner, me, revoke, rotate } from '../harness/app/api';
import {
  dbDate,
  dbTime as dbTimeOf,
  expectBearerError,
  expectError,
} from '../harness/app/assertions';
import { beforeMoment, sleepPast } from '../harness/app/clock';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { expectNear, tokenRows } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(DRIVERS)('Rotation on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // The verifier cache keeps its default TTL, so "refused at once" really tests eviction.
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  const dbTime = (date: Date) => dbTimeOf(t.driver, date);
  const { tokenRow, expectUnrevokedInDb, successorsOf } = tokenRows(() => t);

  describe('POST /api/v1/tokens/{id}/rotate', () => {
    it('with no grace, issues a successor and revokes the old token with reason "rotated"', async () => {
      const b = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(b), {
        name: 'deployer',
        scopes: ['a:b', 'c:d'],
        expires_in_days: 10,
      });
      await me(t, asMember(old.secret, b.id)).expect(200);

      const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: 0 });
      expect(res.status).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const next = res.body.data;
      expect(next).toMatchObject({
        token: expect.stringMatching(/^lk_[0-9A-Za-z]{36}$/),
        id: expect.any(String),
        name: 'deployer',
        scopes: ['a:b', 'c:d'],
        status: 'active',
        business_id: b.id,
        identity_id: b.ownerId,
        rotated_from_id: old.id,
        revoked_at: null,
      });
      expect(next.id).not.toBe(old.id);
      expect(next.token).not.toBe(old.secret);
      expectNear(next.expires_at, Date.now() + 10 * DAY_MS);

      await me(t, asMember(next.token, b.id)).expect(200);
      expectBearerError(await me(t, asMember(old.secret, b.id)), 'TOKEN_REVOKED');

      const oldRow = await tokenRow(old.id);
      expect(oldRow.revoked_at).not.toBeNull();
      expect(oldRow.revocation_reason).toBe('rotated');
      expect(oldRow.revoked_by).toBe(b.ownerEmail);
      const newRow = await tokenRow(next.id);
      expect(newRow.rotated_from_id).toBe(old.id);
      expect(newRow.name).toBe('deployer');
      expect(newRow.revoked_at).toBeNull();
      expectNear(newRow.expires_at, Date.now() + 10 * DAY_MS);
    });

    it('keeps a token with no expiry unexpiring by default', async () => {
      const b = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(b), { name: 'forever' });
      const res = await rotate(t, asOwner(b), old.id);
      expect(res.status).toBe(201);
      expect(res.body.data.expires_at).toBeNull();
      expect((await tokenRow(res.body.data.id)).expires_at).toBeNull();
      expect((await tokenRow(old.id)).revocation_reason).toBe('rotated');
    });

    it('with a grace period, keeps the old token working until it ends, then TOKEN_EXPIRED', async () => {
      const b = await createUnexpiringBusiness(t);
      const { value } = await beforeMoment(
        async (at) => {
          const seconds = Math.ceil((at.getTime() - Date.now()) / 1000);
          const old = await createToken(t, asOwner(b), { expires_in_days: 30 });
          await me(t, asMember(old.secret, b.id)).expect(200);

          const before = Date.now();
          const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: seconds });
          const after = Date.now();
          expect(res.status).toBe(201);
          const next = res.body.data;
          expect(next.rotated_from_id).toBe(old.id);

          await me(t, asMember(old.secret, b.id)).expect(200);
          await me(t, asMember(next.token, b.id)).expect(200);

          const oldRow = await tokenRow(old.id);
          expect(oldRow.revoked_at).toBeNull();
          // The server's now, plus the grace: between the request's sending and its answer.
          const graceEnd = dbDate(oldRow.expires_at) as Date;
          expect(graceEnd.getTime()).toBeGreaterThanOrEqual(before + seconds * 1000);
          expect(graceEnd.getTime()).toBeLessThanOrEqual(after + seconds * 1000);
          return { old, next, graceEnd };
        },
        { firstMs: 2_000 },
      );

      await sleepPast(value.graceEnd, 500);
      expectBearerError(await me(t, asMember(value.old.secret, b.id)), 'TOKEN_EXPIRED');
      await me(t, asMember(value.next.token, b.id)).expect(200);
    });

    it('answers 409 TOKEN_NOT_ACTIVE for a revoked or expired token', async () => {
      const b = await createBusiness(t);
      const revoked = await createToken(t, asOwner(b));
      expect((await revoke(t, asOwner(b), revoked.id, { reason: 'x' })).status).toBe(201);
      expectError(await rotate(t, asOwner(b), revoked.id), 409, 'TOKEN_NOT_ACTIVE');
      expect(await successorsOf(revoked.id)).toBe(0);

      const expired = await createToken(t, asOwner(b));
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
        dbTime(new Date(Date.now() - 60_000)),
        expired.id,
      ]);
      expectError(await rotate(t, asOwner(b), expired.id), 409, 'TOKEN_NOT_ACTIVE');
      expect(await successorsOf(expired.id)).toBe(0);
    });

    it.each([604801, -1, 1.5, 'ten'])(
      'refuses grace_period_seconds %j with 422 and changes nothing',
      async (grace) => {
        const b = await createBusiness(t);
        const old = await createToken(t, asOwner(b), { expires_in_days: 5 });
        const before = await tokenRow(old.id);
        const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: grace });
        expectError(res, 422, 'VALIDATION_ERROR');
        expect(res.body.detail[0].loc).toEqual(['body', 'grace_period_seconds']);
        await expectUnrevokedInDb(old.id);
        expect(dbDate((await tokenRow(old.id)).expires_at)?.getTime()).toBe(
          dbDate(before.expires_at)?.getTime(),
        );
        expect(await successorsOf(old.id)).toBe(0);
      },
    );

    it('accepts the maximum grace period of 604800 seconds', async () => {
      const b = await createUnexpiringBusiness(t);
      const old = await createToken(t, asOwner(b), { expires_in_days: 30 });
      const res = await rotate(t, asOwner(b), old.id, { grace_period_seconds: 604800 });
      expect(res.status).toBe(201);
      expectNear((await tokenRow(old.id)).expires_at, Date.now() + 7 * DAY_MS);
    });

    it('refuses with 403 SCOPE_ESCALATION when the caller may not grant the scopes', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const target = await createToken(t, asMember(member.token, b.id), {
        name: 'ab',
        scopes: ['a:b'],
      });
      const caller = await createToken(t, asMember(member.token, b.id), {
        name: 'cd',
        scopes: ['c:d'],
      });

      const res = await rotate(t, asMember(caller.secret, b.id), target.id);
      expectError(res, 403, 'SCOPE_ESCALATION');
      await expectUnrevokedInDb(target.id);
      expect(await successorsOf(target.id)).toBe(0);
      await me(t, asMember(target.secret, b.id)).expect(200);
    });
  });
});
