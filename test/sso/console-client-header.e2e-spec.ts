import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { bootSsoApp, REDIRECT_URI, ssoFlow } from './sso-flow';
import { TestIdp } from './test-idp';

/**
 * The console sign-in setting meets every spelling of the console's header that HTTP reads as
 * the same (any case, whitespace around it, a list, repeated lines), and nothing else: the
 * setting governs the console, and a caller that does not say it is the console is the API's.
 */
describe.each(DRIVERS)('x-latchkey-client and token sign-in off on %s', (driver) => {
  let t: TestApp;
  let idp: TestIdp;
  let biz: BusinessFixture;
  const flow = ssoFlow(() => ({ t, idp }));
  beforeAll(async () => {
    idp = await TestIdp.start(REDIRECT_URI);
    t = await bootSsoApp(driver, idp);
    biz = await createUnexpiringBusiness(t);
    await flow.setRule(asOwner(biz), 'owners', 'owner').expect(200);
    flow.person({ groups: ['owners'] });
    const session = (await flow.signIn({ business_id: biz.id })).body.data.token as string;
    await t
      .http()
      .put('/api/v1/sso/settings')
      .set(asMember(session, biz.id))
      .send({ token_sign_in: false })
      .expect(200);
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  const ROUTES = ['/api/v1/whoami', '/api/v1/me', '/api/v1/tokens'];
  const call = (path: string, header: string | string[] | undefined) => {
    const req = t.http().get(path).set(asOwner(biz));
    // An array sends the header once per item, as a client repeating the line does.
    return header === undefined ? req : req.set({ 'x-latchkey-client': header });
  };

  describe.each(ROUTES)('%s', (path) => {
    it.each([
      'console',
      'Console',
      'CONSOLE',
      'cOnSoLe',
      ' console ',
      '\tconsole',
      'swagger, Console',
      ['swagger', 'CONSOLE'],
    ])('refuses a token presented with x-latchkey-client %p', async (header) => {
      expectError(await call(path, header), 403, 'SSO_REQUIRED');
    });

    it.each([undefined, '', 'swagger', 'console-ish', 'consoles', 'con sole'])(
      'takes the token from a caller whose x-latchkey-client is %p: the API',
      async (header) => {
        await call(path, header).expect(200);
      },
    );
  });
});
