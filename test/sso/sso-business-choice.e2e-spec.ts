import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, listAuditEvents, me, suspend } from '../harness/app/api';
import { dbDate, dbTime, expectError } from '../harness/app/assertions';
import { TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { bootSsoApp, REDIRECT_URI, refusal, ssoFlow } from './sso-flow';
import { TestIdp } from './test-idp';

/**
 * A sign-in that named no business, by a person whose groups reach several: the provider answers
 * first, then the person chooses among the businesses their groups reach, as an attacker tries
 * it: the list asked from another browser or after the collection, a business outside it (one
 * that exists, one that does not, one whose rule went meanwhile), a suspended one, the choice
 * replayed, or made too late. The list names no other business; a choice is this sign-in's alone.
 */
describe.each(DRIVERS)('choosing a business after the provider answers on %s', (driver) => {
  let t: TestApp;
  let idp: TestIdp;
  /** Reached as admin, reached as member, reached but suspended, and not reached. */
  let a: BusinessFixture, b: BusinessFixture, d: BusinessFixture, c: BusinessFixture;
  let tag = 0;
  const flow = ssoFlow(() => ({ t, idp }));
  beforeAll(async () => {
    idp = await TestIdp.start(REDIRECT_URI);
    t = await bootSsoApp(driver, idp);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });
  /** Four businesses of names of their own, and rules that reach a, b and d from `groups`. */
  beforeEach(async () => {
    const named = (n: string) => createUnexpiringBusiness(t, `${n} ${process.pid}-${++tag}`);
    [a, b, c, d] = await Promise.all(['Alpha', 'Bravo', 'Charlie', 'Delta'].map(named));
    await flow.setRule(asOwner(a), `leads-${tag}`, 'admin').expect(200);
    await flow.setRule(asOwner(a), `eng-${tag}`, 'member').expect(200);
    await flow.setRule(asOwner(b), `eng-${tag}`, 'member').expect(200);
    await flow.setRule(asOwner(d), `eng-${tag}`, 'admin').expect(200);
    await flow.setRule(asOwner(c), `sales-${tag}`, 'owner').expect(200);
    await suspend(t, d.id).expect(200);
  });
  const groups = () => [`eng-${tag}`, `leads-${tag}`, 'unmapped'];
  const nameOf = (x: BusinessFixture) => (x === a ? 'Alpha' : x === b ? 'Bravo' : 'Delta');
  const listed = (handoff: string, cookie: string | null) => {
    const req = t.http().post('/auth/sso/businesses').send({ handoff });
    return cookie === null ? req : req.set('Cookie', cookie);
  };
  /** Through the provider to the choice: the hand-off and the browser's cookie. */
  const toChoice = async () => {
    const p = flow.person({ groups: groups() });
    const { fragment, cookie } = await flow.returned({});
    expect(fragment.get('handoff')).toBeNull();
    return { p, handoff: fragment.get('choose')!, cookie };
  };
  const memberships = (email: string) =>
    t.sql<{ business_id: string; role: string }>(
      'SELECT m.business_id, m.role FROM memberships m JOIN identities i ON i.id = m.identity_id WHERE i.email = ?',
      [email],
    );

  it('lists, by name, the businesses the groups reach and no other, and makes the session in the one chosen, once', async () => {
    const { p, handoff, cookie } = await toChoice();
    expect(handoff).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await listed(handoff, cookie).expect(200);
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.body.data.items).toEqual(
      [
        [a, 'admin', 'active'],
        [b, 'member', 'active'],
        [d, 'admin', 'suspended'],
      ].map(([x, role, status]) => ({
        business_id: (x as BusinessFixture).id,
        name: expect.stringMatching(new RegExp(`^${nameOf(x as BusinessFixture)} `)),
        role,
        status,
      })),
    );
    expect(JSON.stringify(res.body)).not.toContain(c.id);
    expect(JSON.stringify(res.body)).not.toContain('Charlie');
    // Nothing is made before the choice, and the list spends nothing.
    expect(await memberships(p.email)).toEqual([]);
    await listed(handoff, cookie).expect(200);

    expectError(await flow.collect(handoff, cookie), 409, 'SSO_CHOOSE_BUSINESS');
    const session = await flow.collect(handoff, cookie, a.id).expect(201);
    expect(session.body.data.business_id).toBe(a.id);
    const who = await me(t, asMember(session.body.data.token, a.id)).expect(200);
    expect(who.body.data.role).toBe('admin');
    expect(await memberships(p.email)).toEqual([{ business_id: a.id, role: 'admin' }]);
    const audit = await listAuditEvents(t, asOwner(a), { action: 'sso.signed_in' }).expect(200);
    expect(audit.body.data.items[0].metadata).toMatchObject({
      role: 'admin',
      groups: [`leads-${tag}`],
    });
    // Once: neither another choice nor the list is had with it again.
    expectError(await flow.collect(handoff, cookie, b.id), 400, 'SSO_HANDOFF_INVALID');
    expectError(await flow.collect(handoff, cookie, a.id), 400, 'SSO_HANDOFF_INVALID');
    expectError(await listed(handoff, cookie), 400, 'SSO_HANDOFF_INVALID');
    expect(await memberships(p.email)).toHaveLength(1);
  });

  it("is this sign-in's and this browser's alone: another browser, or none, gets neither the list nor a session", async () => {
    const { p, handoff, cookie } = await toChoice();
    const other = await flow.start({});
    for (const stranger of [null, other.cookie]) {
      expectError(await listed(handoff, stranger), 400, 'SSO_HANDOFF_INVALID');
      expectError(await flow.collect(handoff, stranger, b.id), 400, 'SSO_HANDOFF_INVALID');
    }
    expectError(await listed('x'.repeat(43), cookie), 400, 'SSO_HANDOFF_INVALID');
    expectError(await listed('x'.repeat(101), cookie), 422, 'VALIDATION_ERROR');
    expect(await memberships(p.email)).toEqual([]);
    await flow.collect(handoff, cookie, b.id).expect(201);
  });

  it('refuses a business outside the list alike, whether it exists or not, makes nothing, and lets the person choose again', async () => {
    const { p, handoff, cookie } = await toChoice();
    const nowhere = '00000000-0000-4000-8000-00000000c0de';
    const answers = [];
    for (const outside of [c.id, nowhere]) {
      const res = await flow.collect(handoff, cookie, outside);
      expectError(res, 403, 'SSO_NO_ROLE');
      answers.push({ ...res.body, request_id: null });
    }
    expect(answers[0]).toEqual(answers[1]);
    expectError(await flow.collect(handoff, cookie, 'acme'), 422, 'VALIDATION_ERROR');
    expect(await memberships(p.email)).toEqual([]);
    // Audited where the person asked to go, as a refusal of a named business is.
    expect(await flow.refusalsOf(c, p.email)).toEqual([refusal(p.email, 'SSO_NO_ROLE')]);
    await flow.collect(handoff, cookie, b.id).expect(201);
    expect(await memberships(p.email)).toEqual([{ business_id: b.id, role: 'member' }]);
  });

  it('refuses a suspended business chosen, audited there, and a business whose rule went since the list', async () => {
    const { p, handoff, cookie } = await toChoice();
    expectError(await flow.collect(handoff, cookie, d.id), 403, 'SSO_BUSINESS_SUSPENDED');
    const refused = await t
      .http()
      .get('/platform/v1/audit-events')
      .query({ business_id: d.id, action: 'sso.sign_in_refused' })
      .set(asPlatform(t))
      .expect(200);
    expect(refused.body.data.items).toEqual([refusal(p.email, 'SSO_BUSINESS_SUSPENDED')]);
    const rules = await t.http().get('/api/v1/sso/group-roles').set(asOwner(b)).expect(200);
    await t
      .http()
      .delete(`/api/v1/sso/group-roles/${rules.body.data.items[0].id}`)
      .set(asOwner(b))
      .expect(200);
    expectError(await flow.collect(handoff, cookie, b.id), 403, 'SSO_NO_ROLE');
    const left = await listed(handoff, cookie).expect(200);
    expect(left.body.data.items.map((x: { business_id: string }) => x.business_id)).toEqual([
      a.id,
      d.id,
    ]);
    expect(await memberships(p.email)).toEqual([]);
  });

  it('gives five minutes to choose, and no more', async () => {
    const { handoff, cookie } = await toChoice();
    const [row] = await t.sql<{ expires_at: unknown }>(
      'SELECT expires_at FROM sso_logins WHERE handoff_hash IS NOT NULL ORDER BY created_at DESC LIMIT 1',
    );
    const left = dbDate(row.expires_at)!.getTime() - Date.now();
    expect(left).toBeGreaterThan(4.9 * 60_000);
    expect(left).toBeLessThanOrEqual(5 * 60_000 + 1000);
    await t.sql("UPDATE sso_logins SET expires_at = ? WHERE status = 'verified'", [
      dbTime(driver, new Date(Date.now() - 1000)),
    ]);
    expectError(await listed(handoff, cookie), 400, 'SSO_HANDOFF_INVALID');
    expectError(await flow.collect(handoff, cookie, a.id), 400, 'SSO_HANDOFF_INVALID');
  });

  it('refuses a business named at the collection of a sign-in decided for another', async () => {
    flow.person({ groups: [`eng-${tag}`] });
    const { fragment, cookie } = await flow.returned({ business_id: b.id });
    const handoff = fragment.get('handoff')!;
    expectError(await listed(handoff, cookie), 400, 'SSO_HANDOFF_INVALID');
    expectError(await flow.collect(handoff, cookie, a.id), 403, 'SSO_NO_ROLE');
    const res = await flow.collect(handoff, cookie, b.id).expect(201);
    expect(res.body.data.business_id).toBe(b.id);
  });
});
