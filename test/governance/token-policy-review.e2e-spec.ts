import { addMember, asMember, BusinessFixture } from '../factories/tenancy.factory';
import { expectError } from '../harness/app/assertions';
import { TestApp } from '../harness/app/test-app';
import {
  expectStatus,
  freshEmail,
  Person,
  policyWorld,
  scopesOf,
  SECRET,
  SECRET_ONLY,
} from './token-policy-fixtures';
import { DRIVERS } from '../setup/servers';

/**
 * The findings of a security review of the token policy, each a regression test, named. Every
 * cell of the table: token-policy-table.ts.
 */
describe.each(DRIVERS)('token policy on %s', (driver) => {
  const world = policyWorld();
  const { callingToken, tokenRow, countTokens, makeToken, makePlatformToken } = world;
  let t: TestApp;
  let biz: BusinessFixture;
  let ownerA: Person;
  let memberB: Person;
  let platformAdmin: { id: string; email: string };
  beforeAll(async () => {
    await world.build(driver);
    ({ t, biz, ownerA, memberB, platformAdmin } = world.state());
  });
  afterAll(() => world?.close());

  describe('findings of the security review', () => {
    it("an admin cannot rotate an owner's token, even with a grace period: 403 NOT_TOKEN_HOLDER, no successor", async () => {
      const owners = await makeToken(ownerA.firstToken, { name: 'owner-ci' });
      const before = await tokenRow(owners.id);

      const res = await t
        .http()
        .post(`/api/v1/tokens/${owners.id}/rotate`)
        .set(asMember(callingToken('admin', null), biz.id))
        .send({ grace_period_seconds: 604800 });

      expectError(res, 403, 'NOT_TOKEN_HOLDER');
      expect(JSON.stringify(res.body)).not.toMatch(SECRET);
      const [successors] = await t.sql<{ n: unknown }>(
        'SELECT COUNT(*) AS n FROM api_tokens WHERE rotated_from_id = ?',
        [owners.id],
      );
      expect(Number(successors.n)).toBe(0);
      // The grace path would have cut the old token's life short: it must be untouched.
      expect(await tokenRow(owners.id)).toEqual(before);
      const me = await t.http().get('/api/v1/me').set(asMember(owners.secret, biz.id));
      expectStatus(me, 200);
      expect(me.body.data.identity.id).toBe(ownerA.id);
    });

    it("an admin's bulk revoke, the other route, skips an owner's tokens and takes the rest", async () => {
      // Fresh people: a bulk revoke by identity takes their first tokens too.
      const owner = await addMember(t, biz, 'owner');
      const member = await addMember(t, biz, 'member');
      const bulk = (identityId: string) =>
        t
          .http()
          .post('/api/v1/tokens/bulk-revoke')
          .set(asMember(callingToken('admin', null), biz.id))
          .send({ identity_id: identityId, reason: 'bulk by an admin' });

      const onOwner = await bulk(owner.identityId);
      expectStatus(onOwner, 200);
      expect(onOwner.body.data).toEqual({ matched: 0, revoked: 0, token_ids: [] });
      expectStatus(await t.http().get('/api/v1/me').set(asMember(owner.token, biz.id)), 200);

      const onMember = await bulk(member.identityId);
      expectStatus(onMember, 200);
      expect(onMember.body.data).toMatchObject({ matched: 1, revoked: 1 });
      const me = await t.http().get('/api/v1/me').set(asMember(member.token, biz.id));
      expect(me.status).toBe(401);
    });

    it("a platform token cannot rotate a member's token: 403, and no secret", async () => {
      const members = await makeToken(memberB.firstToken, { name: 'member-laptop' });
      const count = await countTokens();

      const res = await t
        .http()
        .post(`/api/v1/tokens/${members.id}/rotate`)
        .set(asMember(t.platformToken, biz.id))
        .send({});

      expectError(res, 403, 'NOT_TOKEN_HOLDER');
      expect(JSON.stringify(res.body)).not.toMatch(SECRET);
      expect(await countTokens()).toBe(count);
      expect((await tokenRow(members.id))?.revoked_at).toBeNull();
    });

    it("no business route reaches a platform token by id, not even its holder's: 404", async () => {
      const own = await makePlatformToken('platform-own', null);
      const before = await tokenRow(own.id);
      const count = await countTokens();
      for (const caller of [t.platformToken, callingToken('owner', null)]) {
        const as = asMember(caller, biz.id);
        const answers = [
          await t.http().post(`/api/v1/tokens/${own.id}/rotate`).set(as).send({}),
          await t.http().patch(`/api/v1/tokens/${own.id}`).set(as).send({ name: 'renamed' }),
          await t.http().post(`/api/v1/tokens/${own.id}/revoke`).set(as).send({ reason: 'x' }),
          await t.http().delete(`/api/v1/tokens/${own.id}`).set(as),
        ];
        for (const res of answers) expectError(res, 404, 'TOKEN_NOT_FOUND');
      }
      expect(await countTokens()).toBe(count);
      expect(await tokenRow(own.id)).toEqual(before);
    });

    it('listing members and machines needs members:read (or members:write), even for an owner', async () => {
      for (const path of ['/api/v1/members', '/api/v1/machine-identities']) {
        const none = await t
          .http()
          .get(path)
          .set(asMember(callingToken('owner', []), biz.id));
        expectError(none, 403, 'INSUFFICIENT_SCOPE');
        for (const scope of ['members:read', 'members:write']) {
          const res = await t
            .http()
            .get(path)
            .set(asMember(callingToken('owner', [scope]), biz.id));
          expectStatus(res, 200);
        }
      }
    });

    it("a members:write-only token's new member gets a first token capped at that token's scopes", async () => {
      const maker = callingToken('admin', ['members:write']);
      const add = (role: 'admin' | 'member') =>
        t
          .http()
          .post('/api/v1/members')
          .set(asMember(maker, biz.id))
          .send({ email: freshEmail(role), role });

      const admin = await add('admin');
      expectStatus(admin, 201);
      const adminFirst = admin.body.data.first_token;
      expect(adminFirst.scopes).toEqual(['members:write']);
      expect(scopesOf((await tokenRow(adminFirst.id))?.scopes)).toEqual(['members:write']);
      const audit = await t
        .http()
        .get('/api/v1/audit-events')
        .set(asMember(adminFirst.token as string, biz.id));
      expectError(audit, 403, 'INSUFFICIENT_SCOPE');

      const member = await add('member');
      expectStatus(member, 201);
      expect(member.body.data.first_token.scopes).toEqual([]);
      expect(scopesOf((await tokenRow(member.body.data.first_token.id))?.scopes)).toEqual([]);
    });

    it('an owner cannot add a platform admin to the business: 403 PLATFORM_ADMIN_REQUIRED', async () => {
      const count = await countTokens();
      const res = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(callingToken('owner', null), biz.id))
        .send({ email: platformAdmin.email, role: 'member' });

      expectError(res, 403, 'PLATFORM_ADMIN_REQUIRED');
      expect(JSON.stringify(res.body)).not.toMatch(SECRET);
      const memberships = await t.sql('SELECT * FROM memberships WHERE identity_id = ?', [
        platformAdmin.id,
      ]);
      expect(memberships).toEqual([]);
      expect(await countTokens()).toBe(count);
    });

    it('names the acting token and who issued it in the audit event of a token a member made', async () => {
      const owner = callingToken('owner', null);
      const added = await t
        .http()
        .post('/api/v1/members')
        .set(asMember(owner, biz.id))
        .send({ email: freshEmail('traced'), role: 'member' });
      expectStatus(added, 201);
      const memberId = added.body.data.member.identity_id as string;
      const first = added.body.data.first_token as { id: string; token: string };
      const made = await makeToken(first.token, { name: 'made-by-member' });

      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .query({ action: 'token.created', target_id: made.id })
        .set(asMember(owner, biz.id));
      expectStatus(res, 200);
      const events = res.body.data.items as { target: { id: string }; actor: unknown }[];
      expect(events).toHaveLength(1);
      expect(events[0].actor).toMatchObject({
        id: memberId,
        token_id: first.id,
        issued_by: { id: ownerA.id, label: ownerA.email },
      });
    });

    describe('re-issuing a first token', () => {
      const reissue = (token: string, identityId: string) =>
        t.http().post(`/api/v1/members/${identityId}/token`).set(asMember(token, biz.id)).send({});

      it("an admin re-issues a member's first token, which then works as the member", async () => {
        const member = await addMember(t, biz, 'member');
        const res = await reissue(callingToken('admin', null), member.identityId);
        expectStatus(res, 201);
        expect(res.body.data.token).toMatch(SECRET_ONLY);
        expect(res.body.data.identity_id).toBe(member.identityId);
        const me = await t
          .http()
          .get('/api/v1/me')
          .set(asMember(res.body.data.token as string, biz.id));
        expectStatus(me, 200);
        expect(me.body.data.identity.id).toBe(member.identityId);
      });

      it("an admin may not re-issue an owner's first token", async () => {
        const owner = await addMember(t, biz, 'owner');
        const count = await countTokens();
        const res = await reissue(callingToken('admin', null), owner.identityId);
        expectError(res, 403, 'INSUFFICIENT_ROLE');
        expect(JSON.stringify(res.body)).not.toMatch(SECRET);
        expect(await countTokens()).toBe(count);
      });

      it("an owner may not re-issue another owner's first token: 403 NOT_TOKEN_HOLDER", async () => {
        const owner = await addMember(t, biz, 'owner');
        const count = await countTokens();
        const res = await reissue(callingToken('owner', null), owner.identityId);
        expectError(res, 403, 'NOT_TOKEN_HOLDER');
        expect(JSON.stringify(res.body)).not.toMatch(SECRET);
        expect(await countTokens()).toBe(count);
      });

      it('an owner re-issues their own first token', async () => {
        const owner = await addMember(t, biz, 'owner');
        const res = await reissue(owner.token, owner.identityId);
        expectStatus(res, 201);
        expect(res.body.data.token).toMatch(SECRET_ONLY);
        expect((await tokenRow(res.body.data.id as string))?.identity_id).toBe(owner.identityId);
      });
    });
  });
});
