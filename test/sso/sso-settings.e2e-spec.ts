import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, Caller, listAuditEvents, whoami } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { bootSsoApp, REDIRECT_URI, ssoFlow } from './sso-flow';
import { TestIdp } from './test-idp';

/**
 * A business's console sign-in setting: off, the console takes only SSO sessions from its
 * people. No caller may set it so that it shuts them out: a person turns it off only from an SSO
 * session, and an installation with no identity provider never turns it off.
 */
describe.each(DRIVERS)('the console sign-in setting on %s', (driver) => {
  let t: TestApp;
  let idp: TestIdp;
  const flow = ssoFlow(() => ({ t, idp }));
  beforeAll(async () => {
    idp = await TestIdp.start(REDIRECT_URI);
    t = await bootSsoApp(driver, idp);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  const settings = (caller: Caller, body?: object) =>
    body
      ? t.http().put('/api/v1/sso/settings').set(caller).send(body)
      : t.http().get('/api/v1/sso/settings').set(caller);
  const fromConsole = (caller: Caller) => whoami(t, caller).set('x-latchkey-client', 'console');
  /** A business whose `owners` group signs people in as owners, and one owner's SSO session. */
  const withSsoOwner = async () => {
    const own = await createUnexpiringBusiness(t);
    await flow.setRule(asOwner(own), `owners-${own.id}`, 'owner').expect(200);
    flow.person({ groups: [`owners-${own.id}`] });
    const session = (await flow.signIn({ business_id: own.id })).body.data.token as string;
    return { own, session: asMember(session, own.id) };
  };
  const updates = async (own: BusinessFixture) =>
    (
      await listAuditEvents(t, asOwner(own), { action: 'sso.settings_updated' }).expect(200)
    ).body.data.items.map((e: { metadata: object }) => e.metadata);

  it('refuses an owner who would turn it off from a token the console would then refuse, and changes nothing', async () => {
    const { own, session } = await withSsoOwner();
    const res = await settings(asOwner(own), { token_sign_in: false });
    expectError(res, 409, 'SSO_LOCKOUT');
    expect(res.body.message).toMatch(/lock you out of the console/);
    expect(res.body.message).toMatch(/sign in to the console with SSO/);
    // A token the SSO session made is no session: the console would refuse it too.
    const made = await createToken(t, session, { name: 'made by the session' });
    expectError(
      await settings(asMember(made.secret, own.id), { token_sign_in: false }),
      409,
      'SSO_LOCKOUT',
    );
    expect((await settings(asOwner(own)).expect(200)).body.data).toEqual({ token_sign_in: true });
    await fromConsole(asOwner(own)).expect(200);
    expect(await updates(own)).toEqual([]);
    // Turning it on never shuts anyone out.
    await settings(asOwner(own), { token_sign_in: true }).expect(200);
  });

  it("turns off from an owner's SSO session: the console refuses their other tokens alone, at once, and the session, a new sign-in, a machine and the API go on", async () => {
    const { own, session } = await withSsoOwner();
    const admin = await addMember(t, own, 'admin');
    const machine = await createMachine(t, own, 'member');
    const machineToken = await createToken(t, asOwner(own), { identity_id: machine.id });
    // Warm the verifier's cache, which the setting must then evict on every instance.
    await fromConsole(asOwner(own)).expect(200);
    expectError(
      await settings(asMember(admin.token, own.id), { token_sign_in: false }),
      403,
      'INSUFFICIENT_ROLE',
    );
    await settings(asMember(admin.token, own.id)).expect(200);
    expect((await settings(session, { token_sign_in: false }).expect(200)).body.data).toEqual({
      token_sign_in: false,
    });
    expectError(await fromConsole(asOwner(own)), 403, 'SSO_REQUIRED');
    expectError(await fromConsole(asMember(admin.token, own.id)), 403, 'SSO_REQUIRED');
    const write = await t
      .http()
      .post('/api/v1/tokens')
      .set(asOwner(own))
      .set('x-latchkey-client', 'console')
      .send({ name: 'from the console' });
    expectError(write, 403, 'SSO_REQUIRED');
    expect(
      await t.sql('SELECT id FROM api_tokens WHERE business_id = ? AND name = ?', [
        own.id,
        'from the console',
      ]),
    ).toEqual([]);
    await fromConsole(session).expect(200);
    await fromConsole(asMember(machineToken.secret, own.id)).expect(200);
    await whoami(t, asOwner(own)).expect(200);
    flow.person({ groups: [`owners-${own.id}`] });
    const again = (await flow.signIn({ business_id: own.id })).body.data.token as string;
    await fromConsole(asMember(again, own.id)).expect(200);
    expect(await updates(own)).toEqual([{ token_sign_in: false }]);
    // Setting it on again opens the console to tokens at once.
    await settings(asOwner(own), { token_sign_in: true }).expect(200);
    await fromConsole(asOwner(own)).expect(200);
  });

  it("lets a platform admin's platform token turn it off: it is held to no business's setting", async () => {
    const { own } = await withSsoOwner();
    const platform = { ...asPlatform(t), 'x-business-id': own.id };
    await settings(platform, { token_sign_in: false }).expect(200);
    // The platform token itself goes on in the console.
    await settings(platform).set('x-latchkey-client', 'console').expect(200);
    expectError(await fromConsole(asOwner(own)), 403, 'SSO_REQUIRED');
    await settings(platform, { token_sign_in: true }).expect(200);
  });

  it('eight settings at once from one SSO session turn token sign-in off once, each answered 200', async () => {
    const { own, session } = await withSsoOwner();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => settings(session, { token_sign_in: false })),
    );
    expect(answers.map((r) => [r.status, r.body.data])).toEqual(
      Array(8).fill([200, { token_sign_in: false }]),
    );
    expect(await updates(own)).toHaveLength(1);
  });

  it.each([null, 'no', 0, undefined])('refuses token_sign_in %p', async (value) => {
    const own = await createUnexpiringBusiness(t);
    expectError(await settings(asOwner(own), { token_sign_in: value }), 422, 'VALIDATION_ERROR');
  });
});

describe.each(DRIVERS)(
  'the console sign-in setting without an identity provider on %s',
  (driver) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootTestApp(driver);
    });
    afterAll(() => t?.close());

    it('is never turned off, whoever asks: no one could sign in to the console', async () => {
      const own = await createUnexpiringBusiness(t);
      const platform = { ...asPlatform(t), 'x-business-id': own.id };
      for (const caller of [asOwner(own), platform]) {
        const res = await t
          .http()
          .put('/api/v1/sso/settings')
          .set(caller)
          .send({ token_sign_in: false });
        expectError(res, 409, 'SSO_NOT_CONFIGURED');
        expect(res.body.detail).toMatch(/out of the console/);
      }
      await t
        .http()
        .put('/api/v1/sso/settings')
        .set(asOwner(own))
        .send({ token_sign_in: true })
        .expect(200);
      await whoami(t, asOwner(own)).set('x-latchkey-client', 'console').expect(200);
    });
  },
);
