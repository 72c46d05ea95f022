import { createUnexpiringBusiness } from '../factories/tenancy.factory';
import { bootTestApp, TestApp } from '../harness/app/test-app';

/** Helmet's headers, computed once at start, on every kind of answer. */
describe('Security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp('sqlite');
  });
  afterAll(() => t?.close());

  // Helmet's default directives, with default-src and frame-ancestors closed.
  const STRICT_CSP = expect.stringMatching(/^default-src 'none';.*frame-ancestors 'none';/);
  const answers: [string, () => Promise<{ status: number; headers: Record<string, string> }>][] = [
    ['an open route', () => t.http().get('/health/live')],
    ['a 401', () => t.http().get('/api/v1/me')],
    [
      'an enveloped success',
      () =>
        t.http().get('/platform/v1/businesses').set('authorization', `Bearer ${t.platformToken}`),
    ],
    ['an unknown route', () => t.http().get('/nope')],
    [
      'a malformed body',
      () => t.http().post('/oauth2/revoke').set('content-type', 'application/json').send('{'),
    ],
  ];

  it.each(answers)('sets the strict policy and helmet headers on %s', async (_, send) => {
    const res = await send();
    expect(res.headers).toMatchObject({
      'content-security-policy': STRICT_CSP,
      'x-frame-options': 'SAMEORIGIN',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringContaining('max-age='),
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'x-request-id': expect.any(String),
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('relaxes the policy for Swagger UI alone, keeping the other headers', async () => {
    const res = await t.http().get('/docs').redirects(1).expect(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const api = await t.http().get('/health/live');
    expect(api.headers['content-security-policy']).toEqual(STRICT_CSP);
  });

  it("answers the gateway check with none of helmet's headers: its request id and, on a 204, what it verified", async () => {
    const biz = await createUnexpiringBusiness(t);
    const verify = (path: string, token?: string) => {
      const req = t.http().get(path).set('x-latchkey-business', biz.id);
      return token ? req.set('authorization', `Bearer ${token}`) : req;
    };
    const answers = [
      await verify('/auth/verify', biz.ownerToken).expect(204),
      await verify('/auth/verify/orders/42', biz.ownerToken).expect(204),
      await verify('/auth/verify').expect(401),
    ];
    for (const res of answers) {
      const browserHeaders = Object.keys(res.headers).filter((h) =>
        /^(content-security-policy|x-frame-options|x-content-type-options|strict-transport-security|referrer-policy|cross-origin-|origin-agent-cluster|x-dns-prefetch-control|x-download-options|x-permitted-cross-domain-policies|x-xss-protection)/.test(
          h,
        ),
      );
      expect({ status: res.status, browserHeaders }).toEqual({
        status: res.status,
        browserHeaders: [],
      });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(answers[0].headers['x-latchkey-business-id']).toBe(biz.id);
    // Only the route itself: a path that merely begins alike keeps the API's headers.
    const near = await t.http().get('/auth/verifyx');
    expect(near.headers['content-security-policy']).toEqual(STRICT_CSP);
  });

  it("answers its own x-request-id, never the client's, safe or not", async () => {
    for (const sent of ['abc-123', 'a b<script>']) {
      const res = await t.http().get('/health/live').set('x-request-id', sent);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
