import {
  addMember,
  BusinessFixture,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  postToken,
  reissueFirstToken,
  revoke,
  rotate,
} from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { putPolicy } from '../harness/app/token-policy';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { Client } from 'pg';
import { activeTokensKey, KEY_SPACE } from '../../src/database/units/key-lock';
import { sleep } from '../harness/stats';
import { DRIVERS } from '../setup/servers';

/**
 * MAX_ACTIVE_TOKENS_PER_IDENTITY: one identity holds at most that many active tokens in a
 * business, however it asks and however many requests it sends at once. Before, one member made
 * 1,200 tokens in 5 s.
 */

const CAP = 5;

describe.each(DRIVERS)('the active-token cap on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;

  const activeOf = async (identityId: string, of: BusinessFixture = biz) =>
    Number(
      (
        await t.sql<{ n: unknown }>(
          'SELECT COUNT(*) AS n FROM api_tokens WHERE business_id = ? AND identity_id = ? ' +
            'AND revoked_at IS NULL',
          [of.id, identityId],
        )
      )[0].n,
    );

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      MAX_ACTIVE_TOKENS_PER_IDENTITY: String(CAP),
      RATE_LIMIT_IDENTITY_PER_MINUTE: '0',
    });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it('answers 409 TOKEN_LIMIT_REACHED at the cap, and a revocation frees a place', async () => {
    const member = await addMember(t, biz, 'member');
    const as = asMember(member.token, biz.id);
    const made: string[] = [];
    for (let i = 1; i < CAP; i++) {
      made.push((await postToken(t, as, { name: `t${i}` }).expect(201)).body.data.id as string);
    }
    expect(await activeOf(member.identityId)).toBe(CAP);
    expectError(await postToken(t, as, { name: 'one too many' }), 409, 'TOKEN_LIMIT_REACHED');
    expect(await activeOf(member.identityId)).toBe(CAP);

    await revoke(t, as, made[0], { reason: 'make room' }).expect(201);
    await postToken(t, as, { name: 'in its place' }).expect(201);
    expect(await activeOf(member.identityId)).toBe(CAP);
  });

  it('holds under parallel creates: never more than the cap', async () => {
    const member = await addMember(t, biz, 'member');
    const as = asMember(member.token, biz.id);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postToken(t, as, { name: `p${i}` })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(CAP - 1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(20 - (CAP - 1));
    expect(await activeOf(member.identityId)).toBe(CAP);
  });

  it('counts per identity: a machine an admin fills, and a re-issued first token', async () => {
    const machine = await createMachine(t, biz, 'member');
    for (let i = 0; i < CAP; i++) {
      await postToken(t, asOwner(biz), { name: `m${i}`, identity_id: machine.id }).expect(201);
    }
    expectError(
      await postToken(t, asOwner(biz), { name: 'm-more', identity_id: machine.id }),
      409,
      'TOKEN_LIMIT_REACHED',
    );
    // At the cap, a re-issue replaces the first token (revoked in the same transaction): room.
    const member = await addMember(t, biz, 'member');
    const own: string[] = [];
    for (let i = 1; i < CAP; i++) {
      const res = await postToken(t, asMember(member.token, biz.id), { name: `r${i}` });
      own.push(res.body.data.token as string);
    }
    expect(await activeOf(member.identityId)).toBe(CAP);
    await reissueFirstToken(t, asOwner(biz), member.identityId).expect(201);
    expect(await activeOf(member.identityId)).toBe(CAP);
    // With no first token left to replace, a re-issue is one more token, and needs room.
    const first = await reissueFirstToken(t, asOwner(biz), member.identityId).expect(201);
    await revoke(t, asMember(own[0], biz.id), first.body.data.id as string).expect(201);
    await postToken(t, asMember(own[0], biz.id), { name: 'fills the cap' }).expect(201);
    expectError(
      await reissueFirstToken(t, asOwner(biz), member.identityId),
      409,
      'TOKEN_LIMIT_REACHED',
    );
  });

  it('a rotation with no grace replaces its token at the cap; one with a grace period keeps both, so needs room', async () => {
    const member = await addMember(t, biz, 'member');
    const as = asMember(member.token, biz.id);
    let last = { id: '', secret: '' };
    for (let i = 1; i < CAP; i++) {
      const res = await postToken(t, as, { name: `g${i}` }).expect(201);
      last = { id: res.body.data.id as string, secret: res.body.data.token as string };
    }
    // At the cap, a rotation with no grace still works: it replaces one token by one.
    const next = await rotate(t, asMember(last.secret, biz.id), last.id).expect(201);
    expect(await activeOf(member.identityId)).toBe(CAP);
    // With a grace period the old one stays active, so the next rotation has no room.
    const graced = await rotate(t, asMember(next.body.data.token, biz.id), next.body.data.id, {
      grace_period_seconds: 3600,
    });
    expectError(graced, 409, 'TOKEN_LIMIT_REACHED');
    expect(await activeOf(member.identityId)).toBe(CAP);
  });

  it('the cap and the business policy are read together: at the cap, a create that breaks the policy too is refused for the cap', async () => {
    const strict = await createUnexpiringBusiness(t);
    await putPolicy(t, asOwner(strict), { allowed_scopes: ['deploy:*'] }).expect(200);
    const as = asOwner(strict);
    const outside = { name: 'outside', scopes: ['audit:read'] };
    // Below the cap, the policy's refusal; no token is made by either refusal.
    expect((await postToken(t, as, outside).expect(422)).body.code).toBe('POLICY_VIOLATION');
    const held = await activeOf(strict.ownerId, strict);
    for (let i = held; i < CAP; i++) await postToken(t, as, { name: `s${i}` }).expect(201);
    expectError(await postToken(t, as, outside), 409, 'TOKEN_LIMIT_REACHED');
    expect(await activeOf(strict.ownerId, strict)).toBe(CAP);
  });

  it("the caller's admission is read with the cap and the policy: at the cap, a create the caller may not make is refused for that, first", async () => {
    const own = await createUnexpiringBusiness(t);
    const member = await addMember(t, own, 'member');
    await putPolicy(t, asOwner(own), { allowed_scopes: ['deploy:*'] }).expect(200);
    const as = asMember(member.token, own.id);
    for (let i = await activeOf(member.identityId, own); i < CAP; i++)
      await postToken(t, as, { name: `m${i}` }).expect(201);
    // Beyond a member's role, at the cap, and outside the policy: the scope's refusal.
    const beyond = { name: 'beyond', scopes: ['tokens:admin'] };
    expectError(await postToken(t, as, beyond), 403, 'SCOPE_ESCALATION');
    // People make their own tokens: the owner naming this member is refused for that, not for
    // the member's count, which is no business of the request's.
    const forMember = { name: 'theirs', identity_id: member.identityId };
    expectError(await postToken(t, asOwner(own), forMember), 403, 'NOT_TOKEN_HOLDER');
    expect(await activeOf(member.identityId, own)).toBe(CAP);
  });

  if (driver === 'postgres') {
    it("a create naming an identity the caller may not issue to never takes that identity's key: refused at once while it is held", async () => {
      const own = await createUnexpiringBusiness(t);
      const member = await addMember(t, own, 'member');
      const other = await addMember(t, own, 'member');
      // The member's own issuance is under way: its exclusive key is held, as by a create.
      const holder = new Client({ connectionString: t.db.env.DATABASE_URL });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [
          KEY_SPACE,
          activeTokensKey(own.id, member.identityId),
        ]);
        // Had the refused create taken the key, it would wait for it (then 503 at the statement
        // timeout), holding up the member's own issuance behind it.
        const named = { name: 'theirs', identity_id: member.identityId };
        const answer = await Promise.race([
          postToken(t, asMember(other.token, own.id), named).then((r) => r.status),
          sleep(1500).then(() => 'waited'),
        ]);
        expect(answer).toBe(403);
      } finally {
        await holder.end();
      }
    });
  }
});
