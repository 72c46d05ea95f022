import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const BASE = 'https://latchkey.example.com';

/** RFC 9728: the API described as a protected resource, to anyone, outside the envelope. */
describe.each(DRIVERS)('the protected resource metadata, on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver, { PUBLIC_BASE_URL: BASE });
  });
  afterAll(() => t?.close());

  it('names the API by PUBLIC_BASE_URL, its header bearer method and its DPoP algorithms, with no token', async () => {
    const res = await t.http().get('/.well-known/oauth-protected-resource').expect(200);
    expect(res.body).toEqual({
      resource: BASE,
      resource_name: 'Latchkey',
      resource_documentation: `${BASE}/docs`,
      bearer_methods_supported: ['header'],
      scopes_supported: expect.arrayContaining(['tokens:admin', 'audit:read', 'introspect']),
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256', 'EdDSA']),
      dpop_bound_access_tokens_required: false,
    });
    expect(res.body.dpop_signing_alg_values_supported).not.toContain('HS256');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
  });
});
