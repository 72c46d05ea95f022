import { createUnexpiringBusiness, BusinessFixture } from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asOwner } from '../harness/app/api';
import { dpopKey, dpopProof, DpopKey } from '../harness/app/dpop';
import { TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import {
  BASE,
  bootAuthorizationServer,
  FlowDriver,
  registerClient,
  registerResource,
} from './connected-apps-fixtures';

/**
 * The connected apps' tokens under the other standards: RFC 9449 DPoP at the token endpoint (a
 * proof binds the grant to its key, and its refreshes need the key; a business that requires
 * proofs refuses none), RFC 7009 revocation of a refresh token (the grant ends) and of an access
 * token (it alone), and RFC 7662 introspection.
 */
describe.each(DRIVERS)('connected apps and the standards on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let flow: FlowDriver;

  beforeAll(async () => {
    t = await bootAuthorizationServer(driver);
    biz = await createUnexpiringBusiness(t, uniqueLabel('standards'));
    flow = new FlowDriver(t, biz, await registerClient(t), await registerResource(t, biz));
  });
  afterAll(() => t.close());

  const tokenUrl = () => `${BASE}/oauth2/businesses/${biz.id}/token`;
  const proofFor = (key: DpopKey) =>
    dpopProof(key, { method: 'POST', url: tokenUrl(), token: null });

  /** The flow with a DPoP proof at the token endpoint: answers the tokens and the key. */
  async function boundFlow(key: DpopKey) {
    const { request, verifier } = await flow.authorize();
    const code = await flow.allow(request);
    const res = await flow
      .token(flow.codeBody(code, verifier))
      .set('dpop', await proofFor(key))
      .expect(200);
    return res.body as { access_token: string; refresh_token: string; token_type: string };
  }

  describe('DPoP (RFC 9449)', () => {
    it('a proof at the token endpoint binds the grant: DPoP tokens, refreshed with that key only', async () => {
      const key = await dpopKey();
      const tokens = await boundFlow(key);
      expect(tokens.token_type).toBe('DPoP');
      const unproven = await flow.token(flow.refreshBody(tokens.refresh_token)).expect(400);
      expect(unproven.body.error).toBe('invalid_dpop_proof');
      const stranger = await flow
        .token(flow.refreshBody(tokens.refresh_token))
        .set('dpop', await proofFor(await dpopKey()))
        .expect(400);
      expect(stranger.body.error).toBe('invalid_dpop_proof');
      const next = await flow
        .token(flow.refreshBody(tokens.refresh_token))
        .set('dpop', await proofFor(key))
        .expect(200);
      expect(next.body.token_type).toBe('DPoP');
    });

    it('a code bound to a key at authorization (dpop_jkt) is redeemed with that key alone', async () => {
      const key = await dpopKey();
      const { request, verifier } = await flow.authorize({ dpop_jkt: key.jkt });
      const code = await flow.allow(request);
      await flow
        .token(flow.codeBody(code, verifier))
        .set('dpop', await proofFor(await dpopKey()))
        .expect(400);
      await flow.token(flow.codeBody(code, verifier)).expect(400);
      const res = await flow
        .token(flow.codeBody(code, verifier))
        .set('dpop', await proofFor(key))
        .expect(200);
      expect(res.body.token_type).toBe('DPoP');
    });

    it('a business whose policy requires proofs refuses a grant without one', async () => {
      const strict = await createUnexpiringBusiness(t, uniqueLabel('strict'));
      const there = new FlowDriver(t, strict, flow.clientId, await registerResource(t, strict));
      await t
        .http()
        .put('/api/v1/token-policy')
        .set(asOwner(strict))
        .send({ require_dpop: 'all' })
        .expect(200);
      const { request, verifier } = await there.authorize();
      const code = await there.allow(request);
      const res = await there.token(there.codeBody(code, verifier)).expect(400);
      expect(res.body.error).toBe('invalid_dpop_proof');
    });
  });

  describe('RFC 7009 and RFC 7662', () => {
    const revoke = (token: string) =>
      t.http().post('/oauth2/revoke').type('form').send({ token }).expect(200);
    const introspect = (token: string) =>
      t
        .http()
        .post('/oauth2/introspect')
        .set('authorization', `Bearer ${biz.ownerToken}`)
        .type('form')
        .send({ token })
        .expect(200);

    it('introspection describes an access token for its resource, and says inactive once revoked', async () => {
      const tokens = await flow.codeFlow();
      const live = await introspect(tokens.access_token);
      expect(live.body).toMatchObject({ active: true, scope: 'notes:read', business_id: biz.id });
      await revoke(tokens.access_token);
      expect((await introspect(tokens.access_token)).body).toEqual({ active: false });
      // An access token revoked alone leaves its grant: the refresh token still works.
      await flow.token(flow.refreshBody(tokens.refresh_token)).expect(200);
    });

    it('revoking a refresh token ends its grant and revokes the access tokens it gave', async () => {
      const tokens = await flow.codeFlow();
      await flow.verify(tokens.access_token).expect(204);
      await revoke(tokens.refresh_token);
      await flow.verify(tokens.access_token).expect(401);
      await flow.token(flow.refreshBody(tokens.refresh_token)).expect(400);
      // Again, or one never issued: still 200, and nothing said.
      await revoke(tokens.refresh_token);
      await revoke(`lkr_${'x'.repeat(43)}`);
    });
  });
});
