import { addMember, BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asOwner, asPlatform, resume, suspend } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { bootSsoApp, REDIRECT_URI, refusal, ssoFlow } from './sso-flow';
import { TestIdp, throughProvider } from './test-idp';

/**
 * A suspended business takes no SSO sign-in: the refusal comes at sign-in, before any membership
 * or session is made, and is audited in the business as other refused sign-ins are. It is told
 * only to a person whose groups give them a role there; anyone else learns nothing of it.
 */
describe.each(DRIVERS)('an SSO sign-in to a suspended business on %s', (driver) => {
  let t: TestApp;
  let idp: TestIdp;
  let biz: BusinessFixture;
  const flow = ssoFlow(() => ({ t, idp }));
  beforeAll(async () => {
    idp = await TestIdp.start(REDIRECT_URI);
    t = await bootSsoApp(driver, idp);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });
  beforeEach(async () => {
    biz = await createUnexpiringBusiness(t);
    await flow.setRule(asOwner(biz), `team-${biz.id}`, 'member').expect(200);
  });
  afterEach(async () => {
    await resume(t, biz.id).expect(200);
  });

  /** What the sign-in left behind for `email` in `biz`: the person, memberships, sessions. */
  const leftBehind = async (email: string) => ({
    identities: await t.sql('SELECT id FROM identities WHERE email = ?', [email]),
    memberships: await t.sql(
      'SELECT m.role FROM memberships m JOIN identities i ON i.id = m.identity_id WHERE m.business_id = ? AND i.email = ?',
      [biz.id, email],
    ),
    sessions: await t.sql(
      "SELECT t.id FROM api_tokens t JOIN identities i ON i.id = t.identity_id WHERE t.business_id = ? AND i.email = ? AND t.origin = 'console-sso'",
      [biz.id, email],
    ),
  });
  /** The business's refusals of `email`, as a platform admin reads them while it is suspended. */
  const refusalsOf = async (email: string) => {
    const res = await t
      .http()
      .get('/platform/v1/audit-events')
      .query({ business_id: biz.id, action: 'sso.sign_in_refused' })
      .set(asPlatform(t))
      .expect(200);
    return (res.body.data.items as { target: { label: string } }[]).filter(
      (e) => e.target.label === email,
    );
  };

  it.each([
    ['named', true],
    ['reached by the groups alone', false],
  ])('is refused at the callback when %s, with nothing made, and audited', async (_, named) => {
    const p = flow.person({ groups: [`team-${biz.id}`] });
    await suspend(t, biz.id).expect(200);
    const { fragment } = await flow.returned(named ? { business_id: biz.id } : {});
    expect([fragment.get('error'), fragment.get('handoff')]).toEqual([
      'SSO_BUSINESS_SUSPENDED',
      null,
    ]);
    expect(await leftBehind(p.email)).toEqual({ identities: [], memberships: [], sessions: [] });
    expect(await refusalsOf(p.email)).toEqual([refusal(p.email, 'SSO_BUSINESS_SUSPENDED')]);
  });

  it('makes no session for an existing member, and moves no role', async () => {
    const m = await addMember(t, biz, 'admin');
    const email = (
      await t.sql<{ email: string }>('SELECT email FROM identities WHERE id = ?', [m.identityId])
    )[0].email;
    flow.person({ email, groups: [`team-${biz.id}`] });
    await suspend(t, biz.id).expect(200);
    const { fragment } = await flow.returned({ business_id: biz.id });
    expect(fragment.get('error')).toBe('SSO_BUSINESS_SUSPENDED');
    const left = await leftBehind(email);
    expect([left.memberships, left.sessions]).toEqual([[{ role: 'admin' }], []]);
  });

  it('tells one whose groups give no role there that they have none, never that it is suspended', async () => {
    const p = flow.person({ groups: ['not-mapped-anywhere'] });
    await suspend(t, biz.id).expect(200);
    const { fragment } = await flow.returned({ business_id: biz.id });
    expect(fragment.get('error')).toBe('SSO_NO_ROLE');
    expect(await refusalsOf(p.email)).toEqual([refusal(p.email, 'SSO_NO_ROLE')]);
  });

  it('is refused at the collection when suspended after the provider answered: nothing is made, and it is audited', async () => {
    const p = flow.person({ groups: [`team-${biz.id}`] });
    const started = await flow.start({ business_id: biz.id });
    const back = await throughProvider(started.location, REDIRECT_URI);
    const handoff = flow
      .fragmentOf(await flow.callback(back, started.cookie).expect(302))
      .get('handoff')!;
    await suspend(t, biz.id).expect(200);
    const res = await flow.collect(handoff, started.cookie);
    expectError(res, 403, 'SSO_BUSINESS_SUSPENDED');
    expect(JSON.stringify(res.body)).not.toContain(handoff);
    expect(await leftBehind(p.email)).toEqual({ identities: [], memberships: [], sessions: [] });
    expect(await refusalsOf(p.email)).toEqual([refusal(p.email, 'SSO_BUSINESS_SUSPENDED')]);
  });

  it('signs in again once the business is resumed', async () => {
    const p = flow.person({ groups: [`team-${biz.id}`] });
    await suspend(t, biz.id).expect(200);
    expect((await flow.returned({ business_id: biz.id })).fragment.get('error')).toBe(
      'SSO_BUSINESS_SUSPENDED',
    );
    await resume(t, biz.id).expect(200);
    idp.nextLogin = p.sub;
    const res = await flow.signIn({ business_id: biz.id });
    expect(res.body.data.business_id).toBe(biz.id);
    expect((await leftBehind(p.email)).sessions).toHaveLength(1);
  });
});
