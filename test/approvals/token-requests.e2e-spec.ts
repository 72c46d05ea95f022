import { randomUUID } from 'node:crypto';
import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
  MemberFixture,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  Caller,
  listAuditEvents,
  me,
  postMachine,
  postToken,
} from '../harness/app/api';
import { dbTime, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { putPolicy } from '../harness/app/token-policy';
import { DRIVERS } from '../setup/servers';

const RULE = { scopes: ['deploy:*'], lifetime_days_over: 30, machine_tokens: true };
const BODY = {
  name: 'deploy-prod',
  scopes: ['deploy:prod'],
  expires_in_days: 5,
  justification: 'Deploys from the release pipeline',
};
const DAY = 86_400_000;

/**
 * Token requests and approvals, as an attacker tries them: the requester deciding their own
 * request (directly, with a second token, through a machine identity), an admin deciding an
 * owner's, a member deciding, approvers racing, a pending or denied request collected, a
 * collection raced or made by someone else, and another business's request.
 */
describe.each(DRIVERS)('token requests and approvals on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let admin: MemberFixture;
  let member: MemberFixture;
  let owner2: MemberFixture;
  let adminMachine: string;
  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
    admin = await addMember(t, biz, 'admin');
    member = await addMember(t, biz, 'member');
    owner2 = await addMember(t, biz, 'owner');
    // The admin's own machine, with a token, made before the rule held machine tokens back.
    const machine = await postMachine(t, asMember(admin.token, biz.id), {
      name: `admin-bot-${process.pid}`,
      role: 'admin',
    }).expect(201);
    const bot = await createToken(t, asMember(admin.token, biz.id), {
      name: 'bot',
      identity_id: machine.body.data.id,
      expires_in_days: 5,
    });
    adminMachine = bot.secret;
    await putPolicy(t, asOwner(biz), { approval_required: RULE }).expect(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  const as = (who: MemberFixture) => asMember(who.token, biz.id);
  const file = (caller: Caller, body: object = BODY) =>
    t.http().post('/api/v1/token-requests').set(caller).send(body);
  const act = (caller: Caller, id: string, action: string, body: object = {}) =>
    t.http().post(`/api/v1/token-requests/${id}/${action}`).set(caller).send(body);
  const read = (caller: Caller, id: string) =>
    t.http().get(`/api/v1/token-requests/${id}`).set(caller);
  const row = async (id: string) =>
    (await t.sql('SELECT * FROM token_requests WHERE id = ?', [id]))[0];
  const tokensNamed = (name: string) =>
    t.sql('SELECT id, identity_id FROM api_tokens WHERE business_id = ? AND name = ?', [
      biz.id,
      name,
    ]);
  let n = 0;
  /** Files a request as `who`, under a name of its own; answers its id and name. */
  const filed = async (who: Caller = as(member), body: object = {}) => {
    const name = `req-${++n}`;
    const res = await file(who, { ...BODY, name, ...body }).expect(201);
    return { id: res.body.data.id as string, name };
  };
  const approved = async (who: Caller = as(member)) => {
    const r = await filed(who);
    await act(asOwner(biz), r.id, 'approve', { reason: 'ok' }).expect(200);
    return r;
  };

  describe('filing', () => {
    it('runs the checks of a create, stores a pending request, and issues nothing', async () => {
      const create = { ...BODY, justification: undefined };
      expectError(await postToken(t, as(member), create), 403, 'APPROVAL_REQUIRED');
      const res = await file(as(member)).expect(201);
      expect(res.body.data).toEqual({
        id: expect.any(String),
        status: 'pending',
        identity_id: member.identityId,
        requested_by: member.email,
        name: BODY.name,
        scopes: BODY.scopes,
        expires_at: null,
        expires_in_days: 5,
        justification: BODY.justification,
        created_at: expect.any(String),
        decided_by: null,
        decided_at: null,
        decision_reason: null,
        collect_by: null,
      });
      expect(await row(res.body.data.id)).toMatchObject({
        status: 'pending',
        requested_by_id: member.identityId,
        token_id: null,
      });
      expect(await tokensNamed(BODY.name)).toEqual([]);
      const events = await listAuditEvents(t, asOwner(biz), { action: 'token_request.created' });
      expect(events.body.data.items.at(-1)).toMatchObject({
        target: { type: 'token_request', id: res.body.data.id, label: BODY.name },
        metadata: { identity_id: member.identityId, scopes: BODY.scopes },
      });
    });

    it.each([
      ['a scope beyond the role', { scopes: ['tokens:admin'] }, 403, 'SCOPE_ESCALATION'],
      ['a lifetime beyond the maker', { expires_in_days: 30 }, 422, 'EXPIRY_EXCEEDS_MAKER'],
      ['no justification', { justification: undefined }, 422, 'VALIDATION_ERROR'],
      ['a justification of 501', { justification: 'x'.repeat(501) }, 422, 'VALIDATION_ERROR'],
    ])('refuses %s as a create would', async (_, change, status, code) => {
      const before = await t.sql('SELECT id FROM token_requests WHERE business_id = ?', [biz.id]);
      expectError(await file(as(member), { ...BODY, ...change }), status, code);
      const after = await t.sql('SELECT id FROM token_requests WHERE business_id = ?', [biz.id]);
      expect(after).toHaveLength(before.length);
    });

    it('holds at most 20 pending requests per identity', async () => {
      const someone = await addMember(t, biz, 'member');
      for (let i = 0; i < 20; i++) await filed(as(someone));
      expectError(await file(as(someone)), 409, 'TOKEN_REQUEST_LIMIT_REACHED');
      const pending = await t.sql(
        "SELECT id FROM token_requests WHERE identity_id = ? AND status = 'pending'",
        [someone.identityId],
      );
      expect(pending).toHaveLength(20);
    });

    it('holds at most 1000 pending requests per business', async () => {
      const full = await createUnexpiringBusiness(t);
      await putPolicy(t, asOwner(full), { approval_required: RULE }).expect(200);
      const at = dbTime(driver, new Date());
      for (let batch = 0; batch < 20; batch++) {
        const rows = Array.from({ length: 50 }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
        const params = Array.from({ length: 50 }, () => {
          const id = randomUUID();
          return [id, full.id, id, full.ownerId, 'x', 'x', '{}', 'x', 'pending', at];
        }).flat();
        await t.sql(
          'INSERT INTO token_requests (id, business_id, identity_id, requested_by_id, ' +
            'requested_by, name, body, justification, status, created_at) VALUES ' +
            rows.join(', '),
          params,
        );
      }
      expectError(await file(asOwner(full)), 409, 'BUSINESS_REQUEST_LIMIT_REACHED');
      const [{ count }] = await t.sql(
        'SELECT COUNT(*) AS count FROM token_requests WHERE business_id = ?',
        [full.id],
      );
      expect(Number(count)).toBe(1000);
    });

    it('lists the business’s requests to an owner or admin, and a member their own alone', async () => {
      const mine = await filed(as(member));
      const theirs = await filed(as(admin));
      const ids = async (caller: Caller, query: object = {}) =>
        (
          await t
            .http()
            .get('/api/v1/token-requests')
            .set(caller)
            .query({ limit: 200, ...query })
        ).body.data.items.map((i: { id: string }) => i.id);
      expect(await ids(as(admin))).toEqual(expect.arrayContaining([mine.id, theirs.id]));
      expect(await ids(as(member))).toContain(mine.id);
      expect(await ids(as(member))).not.toContain(theirs.id);
      expectError(await read(as(member), theirs.id), 404, 'TOKEN_REQUEST_NOT_FOUND');
      expect((await read(as(member), mine.id).expect(200)).body.data.id).toBe(mine.id);
      await act(as(admin), theirs.id, 'withdraw').expect(200);
      expect(await ids(as(admin), { status: 'withdrawn' })).toContain(theirs.id);
      expect(await ids(as(admin), { status: 'pending' })).not.toContain(theirs.id);
      const page = await t.http().get('/api/v1/token-requests').set(as(admin)).query({ limit: 1 });
      expect(page.body.data.items).toHaveLength(1);
      expect(page.body.data.next_cursor).toEqual(expect.any(String));
    });
  });

  describe('deciding', () => {
    it('an owner approves with a reason; the view and the audit log say who', async () => {
      const r = await filed();
      const res = await act(asOwner(biz), r.id, 'approve', { reason: 'agreed' }).expect(200);
      expect(res.body.data).toMatchObject({
        status: 'approved',
        decided_by: biz.ownerEmail,
        decision_reason: 'agreed',
        decided_at: expect.any(String),
        collect_by: expect.any(String),
      });
      expect(JSON.stringify(res.body)).not.toMatch(/"token"/);
      expect(await row(r.id)).toMatchObject({ status: 'approved', decided_by_id: biz.ownerId });
      expect(await tokensNamed(r.name)).toEqual([]);
      const events = await listAuditEvents(t, asOwner(biz), { action: 'token_request.approved' });
      expect(events.body.data.items.at(-1)).toMatchObject({
        target: { id: r.id },
        metadata: { reason: 'agreed', requested_by_id: member.identityId },
      });
    });

    it('the requester never decides their own request: directly, or with a second token', async () => {
      const r = await filed(as(admin));
      expectError(await act(as(admin), r.id, 'approve'), 403, 'SELF_APPROVAL');
      const second = await createToken(t, as(admin), {
        name: 'second',
        scopes: ['tokens:admin'],
        expires_in_days: 1,
      });
      const other = asMember(second.secret, biz.id);
      expectError(await act(other, r.id, 'approve'), 403, 'SELF_APPROVAL');
      expectError(await act(other, r.id, 'deny', { reason: 'x' }), 403, 'SELF_APPROVAL');
      expect(await row(r.id)).toMatchObject({ status: 'pending', decided_by_id: null });
    });

    it('a machine identity never decides, not even the requester’s own admin machine', async () => {
      const r = await filed(as(admin));
      const bot = asMember(adminMachine, biz.id);
      expectError(await act(bot, r.id, 'approve'), 403, 'APPROVER_MUST_BE_PERSON');
      expect((await row(r.id)).status).toBe('pending');
    });

    it('an admin never decides an owner’s request; another owner does', async () => {
      const r = await filed(asOwner(biz));
      expectError(await act(as(admin), r.id, 'approve'), 403, 'APPROVER_OUTRANKED');
      expectError(await act(as(admin), r.id, 'deny', { reason: 'x' }), 403, 'APPROVER_OUTRANKED');
      expect((await row(r.id)).status).toBe('pending');
      await act(as(owner2), r.id, 'approve').expect(200);
      expect(await row(r.id)).toMatchObject({
        status: 'approved',
        decided_by_id: owner2.identityId,
      });
    });

    it('a member decides nothing', async () => {
      const r = await filed(as(admin));
      expectError(await act(as(member), r.id, 'approve'), 403, 'INSUFFICIENT_ROLE');
      expect((await row(r.id)).status).toBe('pending');
    });

    it('a denial needs a reason of at most 500 characters', async () => {
      const r = await filed();
      expectError(await act(asOwner(biz), r.id, 'deny'), 422, 'VALIDATION_ERROR');
      const long = { reason: 'x'.repeat(501) };
      expectError(await act(asOwner(biz), r.id, 'deny', long), 422, 'VALIDATION_ERROR');
      const res = await act(asOwner(biz), r.id, 'deny', { reason: 'no' }).expect(200);
      expect(res.body.data).toMatchObject({ status: 'denied', decision_reason: 'no' });
    });

    it('nothing is decided after a withdrawal, and only the requester withdraws', async () => {
      const r = await filed();
      expectError(await act(as(admin), r.id, 'withdraw'), 404, 'TOKEN_REQUEST_NOT_FOUND');
      await act(as(member), r.id, 'withdraw').expect(200);
      expectError(await act(asOwner(biz), r.id, 'approve'), 409, 'REQUEST_NOT_PENDING');
      expectError(await act(as(member), r.id, 'withdraw'), 409, 'REQUEST_NOT_PENDING');
      expect(await row(r.id)).toMatchObject({ status: 'withdrawn', decided_by_id: null });
    });

    it('of approvers at once exactly one wins; the rest are 409', async () => {
      const r = await filed();
      const answers = await Promise.all([
        act(asOwner(biz), r.id, 'approve'),
        act(as(admin), r.id, 'approve'),
        act(as(owner2), r.id, 'deny', { reason: 'no' }),
      ]);
      const won = answers.filter((a) => a.status === 200);
      expect(won).toHaveLength(1);
      for (const lost of answers.filter((a) => a.status !== 200)) {
        expectError(lost, 409, 'REQUEST_NOT_PENDING');
      }
      expect(await row(r.id)).toMatchObject({ status: won[0].body.data.status });
      const decided = await t.sql(
        "SELECT id FROM audit_events WHERE action IN ('token_request.approved', 'token_request.denied') AND target_id = ?",
        [r.id],
      );
      expect(decided).toHaveLength(1);
    });
  });

  describe('collecting', () => {
    it('gives the requester the secret once, no-store, and marks the request collected', async () => {
      const r = await approved();
      const res = await act(as(member), r.id, 'collect').expect(201);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body.data).toMatchObject({
        token: expect.any(String),
        name: r.name,
        scopes: ['deploy:prod'],
        identity_id: member.identityId,
      });
      const secret = res.body.data.token as string;
      await me(t, asMember(secret, biz.id)).expect(200);
      expect(await row(r.id)).toMatchObject({ status: 'collected', token_id: res.body.data.id });
      expect(await tokensNamed(r.name)).toEqual([
        { id: res.body.data.id, identity_id: member.identityId },
      ]);
      const events = await listAuditEvents(t, asOwner(biz), { action: 'token_request.collected' });
      expect(events.body.data.items.at(-1)).toMatchObject({
        target: { id: r.id },
        metadata: { jti: res.body.data.jti, token_id: res.body.data.id },
      });
      const owners = await listAuditEvents(t, asOwner(biz), { limit: 200 });
      expect(JSON.stringify(owners.body)).not.toContain(secret);
      expectError(await act(as(member), r.id, 'collect'), 409, 'REQUEST_ALREADY_COLLECTED');
    });

    it('a pending request gives nothing, and no token exists until collection', async () => {
      const r = await filed();
      expectError(await act(as(member), r.id, 'collect'), 409, 'REQUEST_NOT_APPROVED');
      expect(await tokensNamed(r.name)).toEqual([]);
      expect((await row(r.id)).status).toBe('pending');
    });

    it('a denied request gives nothing', async () => {
      const r = await filed();
      await act(asOwner(biz), r.id, 'deny', { reason: 'no' }).expect(200);
      expectError(await act(as(member), r.id, 'collect'), 409, 'REQUEST_NOT_APPROVED');
      expect(await tokensNamed(r.name)).toEqual([]);
    });

    it('is the requester’s alone: the approver and anyone else get 404', async () => {
      const r = await approved();
      for (const other of [asOwner(biz), as(admin), as(owner2)]) {
        expectError(await act(other, r.id, 'collect'), 404, 'TOKEN_REQUEST_NOT_FOUND');
      }
      expect(await tokensNamed(r.name)).toEqual([]);
      expect((await row(r.id)).status).toBe('approved');
    });

    it('twice at once: exactly one token is issued', async () => {
      const r = await approved();
      const answers = await Promise.all([
        act(as(member), r.id, 'collect'),
        act(as(member), r.id, 'collect'),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      expectError(
        answers.find((a) => a.status === 409)!,
        409,
        'REQUEST_ALREADY_COLLECTED',
      );
      expect(await tokensNamed(r.name)).toHaveLength(1);
    });

    it('lapses 7 days after the approval', async () => {
      const r = await approved();
      const old = dbTime(driver, new Date(Date.now() - 7 * DAY - 1000));
      await t.sql('UPDATE token_requests SET decided_at = ? WHERE id = ?', [old, r.id]);
      expectError(await act(as(member), r.id, 'collect'), 409, 'APPROVAL_EXPIRED');
      expect(await tokensNamed(r.name)).toEqual([]);
    });

    it('checks the terms again against the policy of the moment, and keeps the approval when refused', async () => {
      const r = await approved();
      await putPolicy(t, asOwner(biz), { approval_required: RULE, max_lifetime_days: 2 });
      try {
        expectError(await act(as(member), r.id, 'collect'), 422, 'POLICY_VIOLATION');
        expect((await row(r.id)).status).toBe('approved');
        expect(await tokensNamed(r.name)).toEqual([]);
      } finally {
        await putPolicy(t, asOwner(biz), { approval_required: RULE }).expect(200);
      }
      await act(as(member), r.id, 'collect').expect(201);
    });
  });

  it('another business’s request is not there: read, decided, withdrawn or collected', async () => {
    const r = await filed();
    const other = await createUnexpiringBusiness(t);
    const outsider = asOwner(other);
    expectError(await read(outsider, r.id), 404, 'TOKEN_REQUEST_NOT_FOUND');
    for (const action of ['approve', 'withdraw', 'collect']) {
      expectError(await act(outsider, r.id, action), 404, 'TOKEN_REQUEST_NOT_FOUND');
    }
    expectError(await act(outsider, r.id, 'deny', { reason: 'x' }), 404, 'TOKEN_REQUEST_NOT_FOUND');
    expect((await row(r.id)).status).toBe('pending');
  });
});
