import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { addMember, BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  Caller,
  listAuditEvents,
  me,
  selfRevoke,
  whoami,
} from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { CLIENT_ID, CLIENT_SECRET, IdpAccount, TestIdp, throughProvider } from './test-idp';
import { uniqueEmail, uniqueLabel } from '../factories/unique';

const BASE_URL = 'http://latchkey.test';
const REDIRECT_URI = `${BASE_URL}/auth/sso/callback`;
const newEmail = (label = 'person') => uniqueEmail(label);

/** What a browser holds after a sign-in's start: the provider URL and the binding cookie. */
interface Started {
  location: string;
  cookie: string;
}

/**
 * Console sign-in through a real OpenID Connect provider (oidc-provider, started here), as an
 * attacker tries it: a state that was never given or is replayed, a code used twice, a nonce
 * that does not match, an ID token from another issuer, an unverified email, a group mapped in
 * another business, a person taken out of their group, a callback or a collection from another
 * browser, a redirect off the site, and a session used after sign-out.
 */
describe.each(DRIVERS)('console sign-in with SSO on %s', (driver) => {
  let t: TestApp;
  let idp: TestIdp;
  let biz: BusinessFixture;
  beforeAll(async () => {
    idp = await TestIdp.start(REDIRECT_URI);
    const secretFile = join(tmpdir(), `oidc-secret-${process.pid}-${driver}`);
    writeFileSync(secretFile, CLIENT_SECRET, { mode: 0o600 });
    t = await bootTestApp(driver, {
      PUBLIC_BASE_URL: BASE_URL,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET_FILE: secretFile,
      OIDC_SCOPES: 'openid email groups',
      CONSOLE_SESSION_HOURS: '4',
      RATE_LIMIT_OAUTH_PER_MINUTE: '1000',
    });
    biz = await createUnexpiringBusiness(t);
    await setRule(asOwner(biz), 'eng', 'member').expect(200);
    await setRule(asOwner(biz), 'eng-leads', 'admin').expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });
  afterEach(() => {
    idp.forgeIdTokens = null;
  });

  const setRule = (caller: Caller, group: string, role: string) =>
    t.http().put('/api/v1/sso/group-roles').set(caller).send({ group, role });
  /** A person the provider knows, who signs in next. */
  const person = (account: Partial<IdpAccount> = {}) => {
    const sub = uniqueLabel('sub');
    idp.accounts.set(sub, { email: newEmail(), email_verified: true, groups: ['eng'], ...account });
    idp.nextLogin = sub;
    return { sub, ...idp.accounts.get(sub)! };
  };
  const start = async (query: object = { business_id: biz.id }): Promise<Started> => {
    const res = await t.http().get('/auth/sso/start').query(query).expect(302);
    const cookie = String(res.headers['set-cookie']).split(';')[0];
    return { location: String(res.headers.location), cookie };
  };
  /** The provider's redirect back, as the browser's next request (cookie included). */
  const callback = (url: string, cookie: string | null) => {
    const req = t.http().get(url.slice(BASE_URL.length));
    return cookie === null ? req : req.set('Cookie', cookie);
  };
  const fragmentOf = (res: { headers: Record<string, unknown> }) => {
    const location = String(res.headers.location);
    expect(location.startsWith('/admin/sso#')).toBe(true);
    return new URLSearchParams(location.slice('/admin/sso#'.length));
  };
  const collect = (handoff: string, cookie: string | null) => {
    const req = t.http().post('/auth/sso/session').send({ handoff });
    return cookie === null ? req : req.set('Cookie', cookie);
  };
  /** A whole sign-in: answers the collection's response, which must have `status`. */
  const signIn = async (query?: object, status = 201) => {
    const started = await start(query);
    const back = await throughProvider(started.location, REDIRECT_URI);
    const handoff = fragmentOf(await callback(back, started.cookie).expect(302)).get('handoff');
    expect(handoff).toEqual(expect.any(String));
    return collect(handoff!, started.cookie).expect(status);
  };
  /** A sign-in that the callback refuses: answers its error code. */
  const refusedAt = async (
    started: Started,
    back: string,
    cookie: string | null = started.cookie,
  ) => fragmentOf(await callback(back, cookie).expect(302)).get('error');

  /** The business's `sso.sign_in_refused` entries for `email`, as its owner lists them. */
  const refusalsOf = async (b: BusinessFixture, email: string) => {
    const res = await listAuditEvents(t, asOwner(b), { action: 'sso.sign_in_refused' }).expect(200);
    return (res.body.data.items as { target: { label: string } }[]).filter(
      (e) => e.target.label === email,
    );
  };
  /** The entry a refusal of `email` with `code` leaves in the business asked for. */
  const refusal = (email: string, code: string) =>
    expect.objectContaining({
      action: 'sso.sign_in_refused',
      actor: expect.objectContaining({ type: 'user', id: null, label: email }),
      target: { type: 'identity', id: null, label: email },
      metadata: { code },
    });

  describe('a sign-in', () => {
    it('makes the person a member at the role their group gives, and a session token that is theirs alone', async () => {
      const alice = person({ groups: ['eng', 'unmapped'] });
      const res = await signIn({ business_id: biz.id, return_to: '/admin/tokens' });
      expect(res.headers['cache-control']).toContain('no-store');
      expect(String(res.headers['set-cookie'])).toMatch(/^lk_sso=; .*Max-Age=0/);
      const session = res.body.data;
      expect(session).toEqual({
        token: expect.stringMatching(/^lk_/),
        business_id: biz.id,
        token_id: expect.any(String),
        expires_at: expect.any(String),
        return_to: '/admin/tokens',
      });
      const hours = (Date.parse(session.expires_at) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(3.9);
      expect(hours).toBeLessThanOrEqual(4);
      const who = await me(t, asMember(session.token, biz.id)).expect(200);
      expect(who.body.data).toMatchObject({ identity: { email: alice.email }, role: 'member' });
      const view = await t
        .http()
        .get(`/api/v1/tokens/${session.token_id}`)
        .set(asMember(session.token, biz.id))
        .expect(200);
      expect(view.body.data).toMatchObject({
        origin: 'console-sso',
        scopes: null,
        name: 'Console session (SSO)',
      });
      const audit = await listAuditEvents(t, asOwner(biz), {
        target_id: who.body.data.identity.id,
      }).expect(200);
      const actions = audit.body.data.items.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['sso.signed_in', 'member.added']));
      const signedIn = audit.body.data.items.find(
        (e: { action: string }) => e.action === 'sso.signed_in',
      );
      expect(signedIn.metadata).toEqual({
        role: 'member',
        groups: ['eng'],
        token_jti: expect.any(String),
      });
      expect(JSON.stringify(audit.body)).not.toContain(session.token);
    });

    it('finds the business by the groups when none is named, and gives the highest role of several', async () => {
      person({ groups: ['eng', 'eng-leads'] });
      const res = await signIn({});
      expect(res.body.data.business_id).toBe(biz.id);
      const who = await me(t, asMember(res.body.data.token, biz.id)).expect(200);
      expect(who.body.data.role).toBe('admin');
    });

    it('moves an existing member to the role the rules now give, and keeps what is stored of the sign-in free of secrets', async () => {
      const email = newEmail('existing');
      const m = await addMember(t, biz, 'member', email);
      person({ email, groups: ['eng-leads'] });
      const res = await signIn();
      const who = await me(t, asMember(res.body.data.token, biz.id)).expect(200);
      expect(who.body.data).toMatchObject({ identity: { id: m.identityId }, role: 'admin' });
      const rows = await t.sql('SELECT * FROM sso_logins WHERE email = ?', [email]);
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(res.body.data.token);
      expect(rows[0].status).toBe('collected');
      expect(rows[0].handoff_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('is refused to one whose groups map to nothing here, even where another business maps them', async () => {
      const other = await createUnexpiringBusiness(t);
      await setRule(asOwner(other), 'only-there', 'admin').expect(200);
      const p = person({ groups: ['only-there'] });
      const started = await start({ business_id: biz.id });
      const back = await throughProvider(started.location, REDIRECT_URI);
      expect(await refusedAt(started, back)).toBe('SSO_NO_ROLE');
      const rows = await t.sql('SELECT i.id FROM identities i WHERE i.email = ?', [p.email]);
      expect(rows).toEqual([]);
      // Audited in the business asked for, and only there.
      expect(await refusalsOf(biz, p.email)).toEqual([refusal(p.email, 'SSO_NO_ROLE')]);
      expect(await refusalsOf(other, p.email)).toEqual([]);
    });

    it('audits a refusal of an email with a lone surrogate as text the chain still verifies', async () => {
      const tag = `${Date.now()}@example.test`;
      const p = person({ email: `odd\ud800${tag}`, groups: ['nowhere'] });
      const started = await start();
      const back = await throughProvider(started.location, REDIRECT_URI);
      expect(await refusedAt(started, back)).toBe('SSO_NO_ROLE');
      const res = await listAuditEvents(t, asOwner(biz), { action: 'sso.sign_in_refused' });
      const labels = (res.body.data.items as { target: { label: string } }[]).map(
        (e) => e.target.label,
      );
      expect(labels.some((l) => l.startsWith('odd') && l.endsWith(tag))).toBe(true);
      const verdict = await t.http().get('/api/v1/audit-events/verify').set(asOwner(biz));
      expect([verdict.status, verdict.body.data.valid]).toEqual([200, true]);
      expect(p.email).toContain('\ud800');
    });

    it('audits no refusal in a business that does not exist, nor where none was named', async () => {
      const p = person({ groups: ['nowhere'] });
      const nobody = '00000000-0000-4000-8000-00000000abcd';
      let started = await start({ business_id: nobody });
      let back = await throughProvider(started.location, REDIRECT_URI);
      expect(await refusedAt(started, back)).toBe('SSO_NO_ROLE');
      const chains = await t.sql('SELECT seq FROM audit_chain_heads WHERE chain_id = ?', [nobody]);
      expect(chains).toEqual([]);
      idp.nextLogin = p.sub;
      started = await start({});
      back = await throughProvider(started.location, REDIRECT_URI);
      expect(await refusedAt(started, back)).toBe('SSO_NO_ROLE');
      const entries = await t.sql(
        "SELECT id FROM audit_events WHERE action = 'sso.sign_in_refused' AND actor_label = ?",
        [p.email],
      );
      expect(entries).toEqual([]);
    });

    it('is refused to an email the provider does not say is verified', async () => {
      const p = person({ email_verified: false });
      const started = await start();
      const back = await throughProvider(started.location, REDIRECT_URI);
      expect(await refusedAt(started, back)).toBe('SSO_EMAIL_UNVERIFIED');
      expect(await refusalsOf(biz, p.email)).toEqual([refusal(p.email, 'SSO_EMAIL_UNVERIFIED')]);
    });

    it('is refused the next time once the person is taken out of their group', async () => {
      const p = person({ groups: ['eng'] });
      await signIn();
      idp.accounts.get(p.sub)!.groups = [];
      idp.nextLogin = p.sub;
      const started = await start();
      const back = await throughProvider(started.location, REDIRECT_URI);
      expect(await refusedAt(started, back)).toBe('SSO_NO_ROLE');
      expect(await refusalsOf(biz, p.email)).toEqual([refusal(p.email, 'SSO_NO_ROLE')]);
    });
  });

  const rulesOf = async (b: BusinessFixture) =>
    (await t.http().get('/api/v1/sso/group-roles').set(asOwner(b)).expect(200)).body.data.items as {
      id: string;
    }[];

  describe("the provider's answer", () => {
    it('is refused with a state that was never given, and from a browser that did not start it', async () => {
      person();
      const started = await start();
      const back = await throughProvider(started.location, REDIRECT_URI);
      const forged = back.replace(/state=[^&]+/, 'state=never-given');
      expect(await refusedAt(started, forged)).toBe('SSO_STATE_INVALID');
      expect(await refusedAt(started, back, null)).toBe('SSO_STATE_INVALID');
      const otherBrowser = await start();
      expect(await refusedAt(started, back, otherBrowser.cookie)).toBe('SSO_STATE_INVALID');
      // None of those spent the sign-in: its own browser still completes it.
      expect(
        fragmentOf(await callback(back, started.cookie).expect(302)).get('handoff'),
      ).toBeTruthy();
    });

    it('works once: a replayed callback, and a code carried into another sign-in, are refused', async () => {
      person();
      const first = await start();
      const back = await throughProvider(first.location, REDIRECT_URI);
      expect(
        fragmentOf(await callback(back, first.cookie).expect(302)).get('handoff'),
      ).toBeTruthy();
      expect(await refusedAt(first, back)).toBe('SSO_STATE_INVALID');
      const second = await start();
      const state = new URL(second.location).searchParams.get('state')!;
      const replayed = back.replace(/state=[^&]+/, `state=${encodeURIComponent(state)}`);
      expect(await refusedAt(second, replayed)).toBe('SSO_PROVIDER_REJECTED');
    });

    it('is refused when the ID token does not carry the nonce the sign-in sent', async () => {
      person();
      const started = await start();
      const state = new URL(started.location).searchParams.get('state')!;
      const back = await throughProvider(started.location, REDIRECT_URI);
      await t.sql(
        "UPDATE sso_logins SET nonce = 'another-nonce' WHERE status = 'started' AND id IN (SELECT id FROM sso_logins ORDER BY created_at DESC LIMIT 1)",
      );
      expect(state).toBeTruthy();
      expect(await refusedAt(started, back)).toBe('SSO_PROVIDER_REJECTED');
    });

    it('is refused when the ID token names another issuer, or the answer another iss', async () => {
      person();
      idp.forgeIdTokens = (claims) => ({ ...claims, iss: 'http://127.0.0.1:1/evil' });
      const started = await start();
      const back = await throughProvider(started.location, REDIRECT_URI);
      expect(await refusedAt(started, back)).toBe('SSO_PROVIDER_REJECTED');
      idp.forgeIdTokens = null;
      const again = await start();
      const backAgain = await throughProvider(again.location, REDIRECT_URI);
      expect(
        await refusedAt(again, `${backAgain}&iss=${encodeURIComponent('http://127.0.0.1:1/evil')}`),
      ).toBe('SSO_PROVIDER_REJECTED');
    });
  });

  describe('changes at once', () => {
    it('eight sets of one new group make one rule and one audit entry, each answered 200', async () => {
      const own = await createUnexpiringBusiness(t);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => setRule(asOwner(own), 'at-once', 'admin')),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
      const rules = await t.sql('SELECT id FROM sso_group_roles WHERE business_id = ?', [own.id]);
      expect(rules).toHaveLength(1);
      const audit = await listAuditEvents(t, asOwner(own), { action: 'sso.group_role_set' });
      expect(audit.body.data.items).toHaveLength(1);
    });
  });

  describe('the collection', () => {
    it('works once, from the browser that started the sign-in, and two at once make one session', async () => {
      person();
      const started = await start();
      const back = await throughProvider(started.location, REDIRECT_URI);
      const handoff = fragmentOf(await callback(back, started.cookie).expect(302)).get('handoff')!;
      expectError(await collect(handoff, null), 400, 'SSO_HANDOFF_INVALID');
      expectError(await collect(handoff, (await start()).cookie), 400, 'SSO_HANDOFF_INVALID');
      const both = await Promise.all([
        collect(handoff, started.cookie),
        collect(handoff, started.cookie),
      ]);
      expect(both.map((r) => r.status).sort()).toEqual([201, 400]);
      expectError(await collect(handoff, started.cookie), 400, 'SSO_HANDOFF_INVALID');
      expectError(await collect('x'.repeat(43), started.cookie), 400, 'SSO_HANDOFF_INVALID');
    });

    it('makes a session that signing out revokes: it is refused from then on', async () => {
      person();
      const session = (await signIn()).body.data;
      const caller = asMember(session.token, biz.id);
      await selfRevoke(t, caller, { reason: 'signed out' }).expect(201);
      await whoami(t, asBearer(session.token)).expect(401);
    });
  });

  describe('the start', () => {
    it.each([
      'https://evil.example/admin',
      '//evil.example/admin',
      '/admin/../platform',
      '/admin/%2e%2e/x',
      '/admin\\evil',
      '/adminevil',
      '/admin/tokens?next=https://evil.example',
      `/admin/${'a'.repeat(300)}`,
    ])('refuses return_to %#: nothing leaves the console', async (returnTo) => {
      const res = await t.http().get('/auth/sso/start').query({ return_to: returnTo });
      expectError(res, 422, 'VALIDATION_ERROR');
    });

    it('refuses a business id that is not a uuid, and sends PKCE, a state and a nonce to the provider', async () => {
      expectError(
        await t.http().get('/auth/sso/start').query({ business_id: 'acme' }),
        422,
        'VALIDATION_ERROR',
      );
      const url = new URL((await start()).location);
      expect(url.origin).toBe(idp.issuer);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      for (const p of ['code_challenge', 'state', 'nonce']) {
        expect(url.searchParams.get(p)!.length).toBeGreaterThanOrEqual(43);
      }
      const rows = await t.sql('SELECT state_hash FROM sso_logins');
      expect(JSON.stringify(rows)).not.toContain(url.searchParams.get('state')!);
    });
  });

  describe('group rules', () => {
    it('are edited by owners alone, read by admins, and another business cannot touch them', async () => {
      const admin = await addMember(t, biz, 'admin');
      const member = await addMember(t, biz, 'member');
      expectError(
        await setRule(asMember(admin.token, biz.id), 'x', 'member'),
        403,
        'INSUFFICIENT_ROLE',
      );
      expectError(
        await setRule(asMember(member.token, biz.id), 'x', 'member'),
        403,
        'INSUFFICIENT_ROLE',
      );
      await t.http().get('/api/v1/sso/group-roles').set(asMember(admin.token, biz.id)).expect(200);
      const other = await createUnexpiringBusiness(t);
      const [rule] = await rulesOf(biz);
      expectError(
        await t.http().delete(`/api/v1/sso/group-roles/${rule.id}`).set(asOwner(other)),
        404,
        'SSO_GROUP_ROLE_NOT_FOUND',
      );
      expect((await rulesOf(biz)).map((r) => r.id)).toContain(rule.id);
    });

    it.each(['', 'a\r\nb', 'x'.repeat(257), 'tab\there'])('refuses group %#', async (group) => {
      expectError(await setRule(asOwner(biz), group, 'member'), 422, 'VALIDATION_ERROR');
    });

    it('audits each change, and changing a rule changes the role the next sign-in gives', async () => {
      await setRule(asOwner(biz), 'ops', 'member').expect(200);
      const changed = await setRule(asOwner(biz), 'ops', 'admin').expect(200);
      expect(changed.body.data).toMatchObject({ group: 'ops', role: 'admin' });
      const audit = await listAuditEvents(t, asOwner(biz), {
        target_id: changed.body.data.id,
      }).expect(200);
      expect(
        audit.body.data.items.map((e: { action: string; metadata: object }) => [
          e.action,
          e.metadata,
        ]),
      ).toEqual([
        ['sso.group_role_set', { role: 'admin', from: 'member' }],
        ['sso.group_role_set', { role: 'member', from: null }],
      ]);
      person({ groups: ['ops'] });
      const res = await signIn();
      expect((await me(t, asMember(res.body.data.token, biz.id)).expect(200)).body.data.role).toBe(
        'admin',
      );
    });
  });
});

describe.each(DRIVERS)('console sign-in without an identity provider on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  it('says SSO is off, and a start is 409 SSO_NOT_CONFIGURED', async () => {
    const status = await t.http().get('/auth/sso').expect(200);
    expect(status.body.data).toEqual({ enabled: false, issuer: null });
    expectError(await t.http().get('/auth/sso/start'), 409, 'SSO_NOT_CONFIGURED');
    const back = await t.http().get('/auth/sso/callback?code=x&state=y').expect(302);
    expect(back.headers.location).toBe('/admin/sso#error=SSO_STATE_INVALID');
  });
});
