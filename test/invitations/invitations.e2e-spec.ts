import { createHash } from 'node:crypto';
import { TOKEN_POLICY } from '../../src/tokens/policy/token-policy';
import type { Verdict } from '../../src/tokens/policy/token-policy-terms';
import { addMember, BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller, listAuditEvents } from '../harness/app/api';
import { dbTime, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { MailSink } from './mail-sink';
import { uniqueEmail } from '../factories/unique';

const BASE_URL = 'http://latchkey.test';
const ROLES = ['owner', 'admin', 'member'] as const;
type Role = (typeof ROLES)[number];
const newEmail = (label = 'invitee') => uniqueEmail(label);

/**
 * Invitations by email, as an attacker tries them: the link used twice, late, revoked, replaced
 * or raced; the inviter reaching for the invitee's secret; the link read from the table; a role
 * the inviter may not give; another business's invitation; a header smuggled in an address; and
 * a mail server that is down. The mail sink is an SMTP server started here.
 */
describe.each(DRIVERS)('invitations by email on %s', (driver) => {
  let t: TestApp;
  let sink: MailSink;
  let biz: BusinessFixture;
  beforeAll(async () => {
    sink = await MailSink.start();
    t = await bootTestApp(driver, {
      SMTP_URL: sink.url,
      SMTP_FROM: 'Latchkey <no-reply@latchkey.test>',
      PUBLIC_BASE_URL: BASE_URL,
    });
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  const invite = (caller: Caller, body: object) =>
    t.http().post('/api/v1/invitations').set(caller).send(body);
  const accept = (token: unknown) => t.http().post('/invitations/accept').send({ token });
  const resend = (caller: Caller, id: string) =>
    t.http().post(`/api/v1/invitations/${id}/resend`).set(caller);
  const revokeInvitation = (caller: Caller, id: string) =>
    t.http().delete(`/api/v1/invitations/${id}`).set(caller);
  const listInvitations = (caller: Caller) =>
    t.http().get('/api/v1/invitations').set(caller).query({ limit: 200 });
  /** Lets the next resend through the per-invitation spacing. */
  const sentLongAgo = (id: string) =>
    t.sql('UPDATE invitations SET last_sent_at = ? WHERE id = ?', [
      dbTime(driver, new Date(Date.now() - 3_600_000)),
      id,
    ]);
  /** Invites a new person as the owner, and reads their link from the mail. */
  const invited = async (role: Role = 'member', email = newEmail()) => {
    const res = await invite(asOwner(biz), { email, role }).expect(201);
    const { secret, link } = await sink.lastLinkTo(email);
    return { id: res.body.data.id as string, email, secret, link, view: res.body.data };
  };

  describe('the link', () => {
    it('is emailed to the invitee, never answered, stored only as its SHA-256, and works once', async () => {
      const email = newEmail();
      const res = await invite(asOwner(biz), { email, role: 'admin' }).expect(201);
      expect(res.body.data).toEqual({
        id: expect.any(String),
        email,
        role: 'admin',
        status: 'pending',
        expires_at: expect.any(String),
        created_at: expect.any(String),
        invited_by: biz.ownerEmail,
      });
      const hours = (Date.parse(res.body.data.expires_at) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(71.9);
      expect(hours).toBeLessThanOrEqual(72);

      const { secret, link } = await sink.lastLinkTo(email);
      expect(link).toBe(`${BASE_URL}/admin/#/invitation?token=${secret}`);
      const [mail] = sink.mailsTo(email);
      expect(mail.from).toBe('no-reply@latchkey.test');
      expect(JSON.stringify(res.body)).not.toContain(secret);

      const [row] = await t.sql('SELECT * FROM invitations WHERE id = ?', [res.body.data.id]);
      expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('hex'));
      for (const value of Object.values(row)) expect(String(value)).not.toContain(secret);

      const first = await accept(secret).expect(201);
      expect(first.headers['cache-control']).toBe('no-store');
      expect(first.body.data.member).toMatchObject({ email, role: 'admin' });
      const token = first.body.data.first_token.token as string;
      const me = await t.http().get('/api/v1/me').set(asMember(token, biz.id)).expect(200);
      expect(me.body.data.role).toBe('admin');

      expectError(await accept(secret), 409, 'INVITATION_ALREADY_ACCEPTED');
      const [after] = await t.sql(
        'SELECT status, accepted_identity_id FROM invitations WHERE id = ?',
        [res.body.data.id],
      );
      expect(after).toEqual({
        status: 'accepted',
        accepted_identity_id: first.body.data.member.identity_id,
      });
    });

    it("the inviter never sees the invitee's secret: no answer, no list, no audit entry holds it", async () => {
      const { id, secret, email } = await invited();
      const first = await accept(secret).expect(201);
      const tokenSecret = first.body.data.first_token.token as string;
      const seen = [
        (await listInvitations(asOwner(biz)).expect(200)).body,
        (await listAuditEvents(t, asOwner(biz), { limit: 200 }).expect(200)).body,
        (await t.http().get('/api/v1/members').set(asOwner(biz)).query({ limit: 200 })).body,
        await t.sql('SELECT * FROM audit_events'),
      ].map((x) => JSON.stringify(x));
      for (const text of seen) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(tokenSecret);
      }
      const audit = await listAuditEvents(t, asOwner(biz), { target_id: id }).expect(200);
      const actions = audit.body.data.items.map((e: { action: string }) => e.action).sort();
      expect(actions).toEqual(['invitation.accepted', 'invitation.created']);
      for (const e of audit.body.data.items) expect(e.target).toMatchObject({ label: email });
    });

    it('is refused once expired, and an unknown or malformed link reads the same as none', async () => {
      const { id, secret } = await invited();
      await t.sql('UPDATE invitations SET expires_at = ? WHERE id = ?', [
        dbTime(driver, new Date(Date.now() - 1000)),
        id,
      ]);
      expectError(await accept(secret), 409, 'INVITATION_EXPIRED');
      const list = await listInvitations(asOwner(biz)).expect(200);
      expect(list.body.data.items.find((i: { id: string }) => i.id === id).status).toBe('expired');
      const forged = `inv_${'A'.repeat(43)}`;
      expectError(await accept(forged), 404, 'INVALID_INVITATION');
      expectError(await accept('not a link'), 404, 'INVALID_INVITATION');
      const missing = await t.http().post('/invitations/accept').send({});
      expect(missing.status).toBe(422);
    });

    it('is refused once revoked; a revoked invitation is neither revoked again nor resent', async () => {
      const { id, secret } = await invited();
      const res = await revokeInvitation(asOwner(biz), id).expect(200);
      expect(res.body.data.status).toBe('revoked');
      expectError(await accept(secret), 409, 'INVITATION_REVOKED');
      expectError(await revokeInvitation(asOwner(biz), id), 409, 'INVITATION_NOT_OPEN');
      expectError(await resend(asOwner(biz), id), 409, 'INVITATION_NOT_OPEN');
    });

    it('is refused while its business is suspended, making nothing, and works once it is resumed', async () => {
      const own = await createUnexpiringBusiness(t);
      const email = newEmail();
      await invite(asOwner(own), { email, role: 'member' }).expect(201);
      const { secret } = await sink.lastLinkTo(email);
      const platform = (action: string) =>
        t
          .http()
          .post(`/platform/v1/businesses/${own.id}/${action}`)
          .set({ authorization: `Bearer ${t.platformToken}` })
          .expect(200);
      await platform('suspend');
      const members = () =>
        t.sql('SELECT identity_id FROM memberships WHERE business_id = ?', [own.id]);
      const before = await members();
      expectError(await accept(secret), 409, 'INVITATION_BUSINESS_SUSPENDED');
      expect(await members()).toEqual(before);
      const tokens = await t.sql('SELECT id FROM api_tokens WHERE business_id = ?', [own.id]);
      await platform('resume');
      const res = await accept(secret).expect(201);
      expect(res.body.data.member.email).toBe(email);
      expect(await t.sql('SELECT id FROM api_tokens WHERE business_id = ?', [own.id])).toHaveLength(
        tokens.length + 1,
      );
    });

    it('after a resend, the old link is dead and the new one works; resends are spaced', async () => {
      const { id, secret: old, email } = await invited();
      const soon = await resend(asOwner(biz), id);
      expectError(soon, 429, 'INVITATION_RESEND_TOO_SOON');
      expect(Number(soon.headers['retry-after'])).toBeGreaterThan(0);
      await sentLongAgo(id);
      const res = await resend(asOwner(biz), id).expect(201);
      expect(res.body.data.status).toBe('pending');
      expect(sink.mailsTo(email)).toHaveLength(2);
      const { secret } = await sink.lastLinkTo(email);
      expect(secret).not.toBe(old);
      expectError(await accept(old), 404, 'INVALID_INVITATION');
      await accept(secret).expect(201);
    });

    it('accepted by many at once: exactly one wins', async () => {
      const { id, secret } = await invited();
      const answers = await Promise.all(Array.from({ length: 6 }, () => accept(secret)));
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
      for (const r of answers.filter((a) => a.status === 409)) {
        expect(r.body.code).toBe('INVITATION_ALREADY_ACCEPTED');
      }
      const tokens = await t.sql(
        "SELECT id FROM api_tokens WHERE name = 'first-token' AND identity_id = ?",
        [answers.find((a) => a.status === 201)!.body.data.member.identity_id],
      );
      expect(tokens).toHaveLength(1);
      const audit = await listAuditEvents(t, asOwner(biz), { target_id: id }).expect(200);
      const accepted = audit.body.data.items.filter(
        (e: { action: string }) => e.action === 'invitation.accepted',
      );
      expect(accepted).toHaveLength(1);
    });

    it('an inviter removed before the link is followed leaves no working link behind', async () => {
      const admin = await addMember(t, biz, 'admin');
      const email = newEmail();
      await invite(asMember(admin.token, biz.id), { email, role: 'member' }).expect(201);
      const { secret } = await sink.lastLinkTo(email);
      await t.http().delete(`/api/v1/members/${admin.identityId}`).set(asOwner(biz)).expect(200);
      expectError(await accept(secret), 409, 'INVITATION_REVOKED');
    });
  });

  describe('who may invite whom: the add_member row of the token policy, whole', () => {
    const rule = TOKEN_POLICY.add_member;
    const expected = (verdict: Verdict): { status: number; code: string | null } =>
      verdict === 'allow'
        ? { status: 201, code: null }
        : verdict === 'hide' || verdict === 'none'
          ? { status: 404, code: 'INVITATION_NOT_FOUND' }
          : { status: 403, code: verdict };
    const cells = ROLES.flatMap((caller) =>
      (rule.targets as readonly Role[]).map((target) => {
        const cell = rule.cells[caller]![target];
        if (typeof cell !== 'string') throw new Error('add_member has no scoped cell');
        return { caller, target, ...expected(cell) };
      }),
    );

    it.each(cells)('$caller invites $target: $status $code', async (c) => {
      const caller =
        c.caller === 'owner'
          ? asOwner(biz)
          : asMember((await addMember(t, biz, c.caller)).token, biz.id);
      const email = newEmail();
      const res = await invite(caller, { email, role: c.target });
      if (c.status === 201) {
        expect(res.status).toBe(201);
        await accept((await sink.lastLinkTo(email)).secret).expect(201);
      } else {
        expectError(res, c.status, c.code!);
        expect(sink.mailsTo(email)).toHaveLength(0);
      }
    });

    it('a platform token invites no one (NOT_TOKEN_HOLDER), as it adds no one', async () => {
      const res = await invite(
        { ...asPlatform(t), 'x-business-id': biz.id },
        {
          email: newEmail(),
          role: 'member',
        },
      );
      expectError(res, 403, 'NOT_TOKEN_HOLDER');
    });

    it("an admin neither resends nor revokes an owner's invitation", async () => {
      const admin = await addMember(t, biz, 'admin');
      const { id } = await invited('owner');
      await sentLongAgo(id);
      expectError(await resend(asMember(admin.token, biz.id), id), 403, 'INSUFFICIENT_ROLE');
      expectError(
        await revokeInvitation(asMember(admin.token, biz.id), id),
        403,
        'INSUFFICIENT_ROLE',
      );
    });
  });

  describe('other businesses, odd addresses, and bounds', () => {
    it("another business's invitation is 404 to list, resend and revoke", async () => {
      const other = await createUnexpiringBusiness(t);
      const { id } = await invited();
      await sentLongAgo(id);
      const list = await listInvitations(asOwner(other)).expect(200);
      expect(list.body.data.items.map((i: { id: string }) => i.id)).not.toContain(id);
      expectError(await resend(asOwner(other), id), 404, 'INVITATION_NOT_FOUND');
      expectError(await revokeInvitation(asOwner(other), id), 404, 'INVITATION_NOT_FOUND');
      const [row] = await t.sql('SELECT status FROM invitations WHERE id = ?', [id]);
      expect(row.status).toBe('pending');
    });

    it.each([
      ['a header line split in the address', 'a@b.test\r\nBcc: x@y.test'],
      ['a bare line feed', 'a@b.test\nBcc: x@y.test'],
      [
        'more than 254 bytes',
        `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.test`,
      ],
      [
        '254 characters of more bytes',
        `${'é'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.test`,
      ],
    ])('%s is 422, and nothing is sent', async (_, email) => {
      const before = sink.received.length;
      const res = await invite(asOwner(biz), { email, role: 'member' });
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 422,
        code: 'VALIDATION_ERROR',
      });
      expect(sink.received.length).toBe(before);
    });

    it('a person who is a member already, or invited already, is not invited again', async () => {
      const member = await addMember(t, biz, 'member');
      expectError(
        await invite(asOwner(biz), { email: member.email, role: 'admin' }),
        409,
        'MEMBER_EXISTS',
      );
      const { email } = await invited();
      expectError(await invite(asOwner(biz), { email, role: 'member' }), 409, 'INVITATION_EXISTS');
    });

    it('expires_in_hours is 1 to 168', async () => {
      for (const hours of [0, 169, 1.5]) {
        const res = await invite(asOwner(biz), {
          email: newEmail(),
          role: 'member',
          expires_in_hours: hours,
        });
        expect(res.status).toBe(422);
      }
      const res = await invite(asOwner(biz), {
        email: newEmail(),
        role: 'member',
        expires_in_hours: 1,
      }).expect(201);
      const hours = (Date.parse(res.body.data.expires_at) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(0.9);
      expect(hours).toBeLessThanOrEqual(1);
    });
  });

  describe('a mail server that is down', () => {
    it('answers 503 EMAIL_SEND_FAILED, leaves nothing pending, and a resend delivers once it is back', async () => {
      const email = newEmail();
      await sink.stop();
      let res;
      try {
        res = await invite(asOwner(biz), { email, role: 'member' });
      } finally {
        await sink.listen();
      }
      expectError(res, 503, 'EMAIL_SEND_FAILED');
      const rows = await t.sql('SELECT id, status FROM invitations WHERE email = ?', [email]);
      expect(rows).toEqual([{ id: expect.any(String), status: 'send_failed' }]);
      const id = rows[0].id as string;
      const list = await listInvitations(asOwner(biz)).expect(200);
      expect(list.body.data.items.find((i: { id: string }) => i.id === id).status).toBe(
        'send_failed',
      );
      const audit = await listAuditEvents(t, asOwner(biz), { target_id: id }).expect(200);
      expect(audit.body.data.items.map((e: { action: string }) => e.action).sort()).toEqual([
        'invitation.created',
        'invitation.send_failed',
      ]);
      await sentLongAgo(id);
      await resend(asOwner(biz), id).expect(201);
      await accept((await sink.lastLinkTo(email)).secret).expect(201);
    });
  });
});

describe.each(DRIVERS)('invitations without SMTP_URL on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(driver)));
  afterAll(() => t?.close());

  it('are refused with 409 EMAIL_NOT_CONFIGURED, and nothing is stored', async () => {
    const biz = await createUnexpiringBusiness(t);
    const res = await t
      .http()
      .post('/api/v1/invitations')
      .set(asOwner(biz))
      .send({ email: newEmail(), role: 'member' });
    expectError(res, 409, 'EMAIL_NOT_CONFIGURED');
    expect(await t.sql('SELECT id FROM invitations')).toEqual([]);
  });
});
