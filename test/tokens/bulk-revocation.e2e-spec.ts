import type { Response, Test } from 'supertest';
import { TokenRevocationService } from '../../src/tokens/lifecycle/revocation/token-revocation.service';
import {
  addMember,
  type BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  bulkRevoke,
  deleteMachine,
  me,
  removeMember,
  revoke,
  rotate,
} from '../harness/app/api';
import { expectBearerError, expectError, sleep } from '../harness/app/assertions';
import { tokenIdOf } from '../harness/app/db';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { tokenRows } from '../harness/app/token-checks';
import { DRIVERS } from '../setup/servers';

/** A 401 for a token that was revoked in a cascade (its identity may also be gone). */
function expectCascadeRejected(res: Response): void {
  expect(res.status).toBe(401);
  expect(['TOKEN_REVOKED', 'INVALID_TOKEN']).toContain(res.body.code);
  expectBearerError(res, res.body.code);
}

const sorted = (ids: string[]) => [...ids].sort();

/** Revoking many tokens at once: by filter, and by removing the identity that holds them. */
describe.each(DRIVERS)('Bulk revocation on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  const { tokenRow, expectUnrevokedInDb } = tokenRows(() => t);

  describe('POST /api/v1/tokens/bulk-revoke', () => {
    it('refuses a body with no filter with 422', async () => {
      const b = await createBusiness(t);
      const res = await bulkRevoke(t, asOwner(b), { reason: 'no filter' });
      expectError(res, 422, 'VALIDATION_ERROR');
      await expectUnrevokedInDb(await tokenIdOf(t, b.ownerToken));
    });

    it('refuses a missing reason with 422', async () => {
      const b = await createBusiness(t);
      const tok = await createToken(t, asOwner(b));
      const res = await bulkRevoke(t, asOwner(b), { identity_id: b.ownerId });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown[] }) => d.loc)).toContainEqual([
        'body',
        'reason',
      ]);
      await expectUnrevokedInDb(tok.id);
    });

    it('refuses a member with 403 INSUFFICIENT_ROLE', async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const res = await bulkRevoke(t, asMember(member.token, b.id), {
        all: true,
        reason: 'takeover',
      });
      expectError(res, 403, 'INSUFFICIENT_ROLE');
      await expectUnrevokedInDb(await tokenIdOf(t, b.ownerToken));
      await expectUnrevokedInDb(await tokenIdOf(t, member.token));
    });

    // Each change to one token that locks its row, then its audit event (the business's chain),
    // and its answer once the batch has revoked that token. A rename, not audited, takes no chain.
    const changes: [string, (b: BusinessFixture, id: string) => Test, number, string | null][] = [
      ['a rotation', (b, id) => rotate(t, asOwner(b), id), 409, 'TOKEN_NOT_ACTIVE'],
      [
        'an edit',
        (b, id) =>
          t
            .http()
            .patch(`/api/v1/tokens/${id}`)
            .set(asOwner(b))
            .send({ meta: { k: 'v' } }),
        200,
        null,
      ],
      [
        'a pause',
        (b, id) => t.http().post(`/api/v1/tokens/${id}/disable`).set(asOwner(b)).send({}),
        409,
        'TOKEN_IS_REVOKED',
      ],
    ];

    it.each(changes)(
      'takes %s of a token the batch has yet to reach, one after the other',
      async (_, change, status, code) => {
        const b = await createBusiness(t);
        const batch = [
          await createToken(t, asOwner(b), { scopes: ['deploy:write'] }),
          await createToken(t, asOwner(b), { scopes: ['deploy:write'] }),
        ];
        // The batch revokes its first token (its row, then the chain), then stops while the
        // change comes in for the other.
        const revocation = t.app.get(TokenRevocationService);
        const revokeToken = revocation.revokeToken.bind(revocation);
        let changing: Promise<Response> | undefined;
        const pause = jest.spyOn(revocation, 'revokeToken').mockImplementation(async (...args) => {
          const won = await revokeToken(...args);
          if (!changing) {
            const other = batch.find((token) => token.id !== args[1].id)!;
            changing = Promise.resolve(change(b, other.id));
            await sleep(300);
          }
          return won;
        });
        let bulk: Response;
        try {
          bulk = await bulkRevoke(t, asOwner(b), { scope: 'deploy:write', reason: 'r' });
        } finally {
          pause.mockRestore();
        }
        expect(bulk.status).toBe(200);
        expect(bulk.body.data.revoked).toBe(2);
        const changed = await changing!;
        expect([changed.status, changed.body.code ?? null]).toEqual([status, code]);
      },
    );

    it('with dry_run, counts the matches and revokes nothing', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const m1 = await createToken(t, asOwner(b), { identity_id: machine.id });
      const m2 = await createToken(t, asOwner(b), { identity_id: machine.id });

      const res = await bulkRevoke(t, asOwner(b), {
        identity_id: machine.id,
        reason: 'dry',
        dry_run: true,
      });
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toEqual({ matched: 2, revoked: 0, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([m1.id, m2.id]));
      await expectUnrevokedInDb(m1.id);
      await expectUnrevokedInDb(m2.id);
      await me(t, asMember(m1.secret, b.id)).expect(200);
    });

    it("by identity_id, revokes exactly that identity's unrevoked tokens", async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const machine = await createMachine(t, a, 'member');
      const m1 = await createToken(t, asOwner(a), { identity_id: machine.id });
      const m2 = await createToken(t, asOwner(a), { identity_id: machine.id });
      const already = await createToken(t, asOwner(a), { identity_id: machine.id });
      expect((await revoke(t, asOwner(a), already.id, { reason: 'earlier' })).status).toBe(201);
      const ownerExtra = await createToken(t, asOwner(a));
      const foreign = await createToken(t, asOwner(other));

      const res = await bulkRevoke(t, asOwner(a), {
        identity_id: machine.id,
        reason: 'machine compromised',
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ matched: 2, revoked: 2, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([m1.id, m2.id]));

      for (const tok of [m1, m2]) {
        const row = await tokenRow(tok.id);
        expect(row.revoked_at).not.toBeNull();
        expect(row).toMatchObject({
          revocation_reason: 'machine compromised',
          revoked_by: a.ownerEmail,
          revoked_by_id: a.ownerId,
        });
        expectBearerError(await me(t, asMember(tok.secret, a.id)), 'TOKEN_REVOKED');
      }
      expect((await tokenRow(already.id)).revocation_reason).toBe('earlier');
      await expectUnrevokedInDb(ownerExtra.id);
      await expectUnrevokedInDb(await tokenIdOf(t, a.ownerToken));
      await expectUnrevokedInDb(foreign.id);
    });

    it('by scope, matches tokens whose scopes grant it, never unrestricted ones', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const wildcard = await createToken(t, asOwner(a), { scopes: ['deploy:*'] });
      const exact = await createToken(t, asOwner(a), { scopes: ['x:y', 'deploy:write'] });
      const narrower = await createToken(t, asOwner(a), { scopes: ['deploy:read'] });
      const empty = await createToken(t, asOwner(a), { scopes: [] });
      const unrestricted = await createToken(t, asOwner(a));
      const foreign = await createToken(t, asOwner(other), { scopes: ['deploy:*'] });

      const dry = await bulkRevoke(t, asOwner(a), {
        scope: 'deploy:write',
        reason: 'deploy key leak',
        dry_run: true,
      });
      expect(dry.status).toBe(200);
      expect(dry.body.data.matched).toBe(2);
      expect(dry.body.data.revoked).toBe(0);

      const res = await bulkRevoke(t, asOwner(a), {
        scope: 'deploy:write',
        reason: 'deploy key leak',
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ matched: 2, revoked: 2, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([wildcard.id, exact.id]));

      for (const tok of [wildcard, exact]) {
        expect((await tokenRow(tok.id)).revocation_reason).toBe('deploy key leak');
      }
      for (const tok of [narrower, empty, unrestricted, foreign]) await expectUnrevokedInDb(tok.id);
      await expectUnrevokedInDb(await tokenIdOf(t, a.ownerToken));
    });

    it('by created_before, revokes only tokens created before the cut-off', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const member = await addMember(t, a, 'member');
      const early = await createToken(t, asOwner(a), { name: 'early' });
      const foreignEarly = await createToken(t, asOwner(other));
      await sleep(50);
      const cutoff = new Date();
      await sleep(50);
      const caller = await createToken(t, asOwner(a), { name: 'caller' });
      const late = await createToken(t, asOwner(a), { name: 'late' });

      const expected = [
        early.id,
        await tokenIdOf(t, a.ownerToken),
        await tokenIdOf(t, member.token),
      ];
      const res = await bulkRevoke(t, asMember(caller.secret, a.id), {
        created_before: cutoff.toISOString(),
        reason: 'before the incident fix',
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ matched: 3, revoked: 3, token_ids: expect.any(Array) });
      expect(sorted(res.body.data.token_ids)).toEqual(sorted(expected));

      for (const id of expected) {
        const row = await tokenRow(id);
        expect(row.revoked_at).not.toBeNull();
        expect(row.revocation_reason).toBe('before the incident fix');
      }
      await expectUnrevokedInDb(caller.id);
      await expectUnrevokedInDb(late.id);
      await expectUnrevokedInDb(foreignEarly.id);
      await expectUnrevokedInDb(await tokenIdOf(t, other.ownerToken));
      await me(t, asMember(caller.secret, a.id)).expect(200);
      expectBearerError(await me(t, asMember(early.secret, a.id)), 'TOKEN_REVOKED');
    });

    it('with all: true, revokes every token of the business and none of another', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const t1 = await createToken(t, asOwner(a));
      const foreign = await createToken(t, asOwner(other));
      const ownerId = await tokenIdOf(t, a.ownerToken);

      const res = await bulkRevoke(t, asOwner(a), { all: true, reason: 'full reset' });
      expect(res.status).toBe(200);
      expect(sorted(res.body.data.token_ids)).toEqual(sorted([t1.id, ownerId]));
      expect(res.body.data).toMatchObject({ matched: 2, revoked: 2 });
      expect((await tokenRow(t1.id)).revocation_reason).toBe('full reset');
      await expectUnrevokedInDb(foreign.id);
      await expectUnrevokedInDb(await tokenIdOf(t, other.ownerToken));
      await me(t, asOwner(other)).expect(200);
    });
  });

  describe('cascades', () => {
    it("DELETE /machine-identities/{id} revokes the machine's tokens", async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const m1 = await createToken(t, asOwner(b), { identity_id: machine.id });
      const m2 = await createToken(t, asOwner(b), { identity_id: machine.id });
      const ownerExtra = await createToken(t, asOwner(b));
      await me(t, asMember(m1.secret, b.id)).expect(200);

      await deleteMachine(t, asOwner(b), machine.id).expect(200);

      for (const tok of [m1, m2]) {
        const row = await tokenRow(tok.id);
        expect(row.revoked_at).not.toBeNull();
        expect(row.revocation_reason).toMatch(/delet/i);
        expect(row.revoked_by).toBe(b.ownerEmail);
        expectCascadeRejected(await me(t, asMember(tok.secret, b.id)));
      }
      await expectUnrevokedInDb(ownerExtra.id);
      await me(t, asMember(ownerExtra.secret, b.id)).expect(200);
    });

    it("DELETE /members/{id} revokes the member's tokens", async () => {
      const b = await createBusiness(t);
      const member = await addMember(t, b, 'member');
      const own = await createToken(t, asMember(member.token, b.id), { name: 'member-made' });
      const stays = await addMember(t, b, 'member');
      await me(t, asMember(own.secret, b.id)).expect(200);

      await removeMember(t, asOwner(b), member.identityId).expect(200);

      const rows = await t.sql<{ id: string; revoked_at: unknown; revocation_reason: string }>(
        'SELECT id, revoked_at, revocation_reason FROM api_tokens WHERE business_id = ? AND identity_id = ?',
        [b.id, member.identityId],
      );
      expect(sorted(rows.map((r) => r.id))).toEqual(
        sorted([own.id, await tokenIdOf(t, member.token)]),
      );
      for (const row of rows) {
        expect(row.revoked_at).not.toBeNull();
        expect(row.revocation_reason).toEqual(expect.any(String));
      }
      expectCascadeRejected(await me(t, asMember(own.secret, b.id)));
      expectCascadeRejected(await me(t, asMember(member.token, b.id)));
      await expectUnrevokedInDb(await tokenIdOf(t, stays.token));
      await me(t, asMember(stays.token, b.id)).expect(200);
    });
  });
});
