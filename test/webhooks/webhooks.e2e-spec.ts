import { addMember, createBusiness, createToken } from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform, revoke } from '../harness/app/api';
import { DRIVERS } from '../setup/servers';
import { ofBusiness, verified, waitForAttempts, webhookWorld, FAST_RETRIES } from './webhook-suite';
import type { TestApp } from '../harness/app/test-app';

/**
 * Webhooks, endpoints: registering, changing, limits and who may see them; private targets. The suites of webhooks*.e2e-spec.ts share their describe titles, so a
 * test keeps its full title wherever it lives.
 */
describe.each(DRIVERS)('webhooks on %s', (driver) => {
  const world = webhookWorld(driver, FAST_RETRIES);
  const { receiver, register } = world;
  let t: TestApp;
  beforeAll(() => (t = world.t));

  it('shows the secret once, with no-store, and never in a list or a view', async () => {
    const biz = await createBusiness(t);
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.revoked'] })
      .expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.data.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = await t.http().get('/api/v1/webhooks').set(asOwner(biz)).expect(200);
    const one = await t.http().get(`/api/v1/webhooks/${res.body.data.id}`).set(asOwner(biz));
    for (const body of [list.text, one.text]) {
      expect(body).not.toContain(res.body.data.secret);
      expect(body).not.toContain('"secret"');
    }
    expect(list.body.data.items).toEqual([
      expect.objectContaining({ id: res.body.data.id, enabled: true }),
    ]);
  });

  it('changes an endpoint in part, validates what it changes, and sends nothing while disabled', async () => {
    const biz = await createBusiness(t);
    const endpoint = await register(biz, ['token.created']);
    const patch = (body: object) =>
      t.http().patch(`/api/v1/webhooks/${endpoint.id}`).set(asOwner(biz)).send(body);
    const bad = await patch({ event_types: ['token.nope'] });
    expect({ status: bad.status, loc: bad.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'event_types'],
    });
    const badUrl = await patch({ url: 'ftp://example.com/x' });
    expect({ status: badUrl.status, loc: badUrl.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'url'],
    });
    const renamed = await patch({ description: 'renamed' }).expect(200);
    expect(renamed.body.data).toMatchObject({
      description: 'renamed',
      event_types: ['token.created'],
    });
    await patch({ enabled: false }).expect(200);
    await createToken(t, asOwner(biz));
    await patch({ enabled: true, event_types: ['token.revoked'] }).expect(200);
    const token = await createToken(t, asOwner(biz));
    await revoke(t, asOwner(biz), token.id).expect(201);
    await receiver.waitFor((got) => got.some(ofBusiness(biz)));
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received.filter(ofBusiness(biz)).map((r) => r.json.type)).toEqual([
      'token.revoked',
    ]);
    const audit = await t
      .http()
      .get('/api/v1/audit-events?action=webhook.updated')
      .set(asOwner(biz))
      .expect(200);
    expect(audit.body.data.items.map((e: { metadata: object }) => e.metadata)).toEqual([
      { changed: ['event_types', 'enabled'] },
      { changed: ['enabled'] },
      { changed: ['description'] },
    ]);
  });

  it('keeps to 20 endpoints a business', async () => {
    const biz = await createBusiness(t);
    for (let i = 0; i < 20; i++) await register(biz, ['token.revoked']);
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['*'] });
    expect({ status: res.status, code: res.body.code }).toEqual({
      status: 409,
      code: 'WEBHOOK_LIMIT_REACHED',
    });
  });

  it("answers 404 for another business's endpoint, and 403 to a member", async () => {
    const biz = await createBusiness(t);
    const other = await createBusiness(t);
    const endpoint = await register(other);
    for (const [method, path] of [
      ['get', ''],
      ['patch', ''],
      ['delete', ''],
      ['post', '/test'],
      ['post', '/rotate-secret'],
      ['get', '/deliveries'],
    ] as const) {
      const res = await t
        .http()
        [method](`/api/v1/webhooks/${endpoint.id}${path}`)
        .set(asOwner(biz))
        .send({});
      expect({ path: `${method} ${path}`, status: res.status, code: res.body.code }).toEqual({
        path: `${method} ${path}`,
        status: 404,
        code: 'WEBHOOK_NOT_FOUND',
      });
    }
    const member = await addMember(t, biz, 'member');
    const res = await t.http().get('/api/v1/webhooks').set(asMember(member.token, biz.id));
    expect(res.status).toBe(403);
    const unscoped = await createToken(t, asOwner(biz), { scopes: ['audit:read'] });
    const denied = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asMember(unscoped.secret, biz.id))
      .send({ url: receiver.url, event_types: ['*'] });
    expect({ status: denied.status, code: denied.body.code }).toEqual({
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
    });
  });

  it('lets a platform admin follow the platform chain', async () => {
    const res = await t
      .http()
      .post('/platform/v1/webhooks')
      .set(asPlatform(t))
      .send({ url: receiver.url, event_types: ['business.suspended'] })
      .expect(201);
    const biz = await createBusiness(t);
    await t.http().post(`/platform/v1/businesses/${biz.id}/suspend`).set(asPlatform(t)).expect(200);
    await receiver.waitFor((got) => got.some(ofBusiness(biz)));
    expect(verified(receiver.received[0], res.body.data.secret)).toMatchObject({
      type: 'business.suspended',
    });
    await t
      .http()
      .delete(`/platform/v1/webhooks/${res.body.data.id}`)
      .set(asPlatform(t))
      .expect(200);
  });
});

describe.each(DRIVERS)('webhook targets on %s, private addresses refused', (driver) => {
  const world = webhookWorld(driver, {
    WEBHOOK_ALLOW_PRIVATE: 'false',
    WEBHOOK_ALLOW_HTTP: 'false',
  });
  const { receiver } = world;
  let t: TestApp;
  beforeAll(() => (t = world.t));

  it('refuses, at delivery, a host whose DNS answer turned private after registration', async () => {
    const dns = jest.requireActual<typeof import('node:dns')>('node:dns');
    const realLookup = dns.lookup;
    const realPromise = dns.promises.lookup;
    // rebind.example resolves to a public address at registration, then to loopback.
    let answer = '93.184.215.14';
    const registration = jest
      .spyOn(dns.promises, 'lookup')
      .mockImplementation(((host: string, options: object) =>
        host === 'rebind.example'
          ? Promise.resolve([{ address: answer, family: 4 }])
          : realPromise(host, options as never)) as typeof dns.promises.lookup);
    const delivery = jest
      .spyOn(dns, 'lookup')
      .mockImplementation(((
        host: string,
        options: object,
        callback: (e: Error | null, a: unknown) => void,
      ) =>
        host === 'rebind.example'
          ? callback(null, [{ address: answer, family: 4 }])
          : realLookup(host, options as never, callback as never)) as unknown as typeof dns.lookup);
    try {
      const biz = await createBusiness(t);
      const port = new URL(receiver.url).port;
      const created = await t
        .http()
        .post('/api/v1/webhooks')
        .set(asOwner(biz))
        .send({ url: `https://rebind.example:${port}/hook`, event_types: ['token.revoked'] })
        .expect(201);
      answer = '127.0.0.1';
      await t
        .http()
        .post(`/api/v1/webhooks/${created.body.data.id}/test`)
        .set(asOwner(biz))
        .expect(201);
      const attempts = await waitForAttempts(t, biz, created.body.data.id, 1);
      expect(attempts[0]).toMatchObject({ error: 'refused_address', status_code: null });
      expect(receiver.received).toEqual([]);
    } finally {
      registration.mockRestore();
      delivery.mockRestore();
    }
  });

  it.each([
    ['http, not https', 'http://hooks.example.com/x'],
    ['a loopback address', 'https://127.0.0.1/x'],
    ['a name that resolves to loopback', 'https://localhost/x'],
    ['the metadata address', 'https://169.254.169.254/latest'],
    ['a private address', 'https://10.0.0.7/x'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/x'],
    ['credentials in the URL', 'https://user:pw@hooks.example.com/x'],
  ])('refuses %s at registration, with 422 on body.url', async (_label, url) => {
    const biz = await createBusiness(t);
    const res = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url, event_types: ['*'] });
    expect({ status: res.status, loc: res.body.detail?.[0]?.loc }).toEqual({
      status: 422,
      loc: ['body', 'url'],
    });
  });
});
