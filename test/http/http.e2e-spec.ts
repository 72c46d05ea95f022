import { createBusiness } from '../factories/tenancy.factory';
import { asPlatform } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('HTTP contract on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await t.http().get('/nope').expect(404);
    expect(res.body).toEqual({
      success: false,
      message: 'Route not found',
      code: 'ROUTE_NOT_FOUND',
      detail: 'Route not found',
      request_id: expect.any(String),
    });
  });

  it('points the way at GET /: a browser to the admin console, any other client to the paths', async () => {
    const browser = await t
      .http()
      .get('/')
      .set('accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')
      .redirects(0)
      .expect(302);
    expect(browser.headers.location).toBe('/admin');
    for (const accept of [undefined, '*/*', 'application/json']) {
      const req = t.http().get('/');
      const res = await (accept ? req.set('accept', accept) : req).expect(200);
      expect(res.body).toEqual({
        success: true,
        message: 'Latchkey: the admin console is at /admin, Swagger UI at /docs',
        code: null,
        data: { console: '/admin', docs: '/docs', openapi: '/docs-json' },
      });
    }
    // Each path it names answers.
    const named = (await t.http().get('/')).body.data as Record<string, string>;
    for (const path of Object.values(named)) {
      const res = await t.http().get(path).redirects(0);
      expect([path, res.status]).toEqual([path, 200]);
    }
  });

  it('answers a malformed JSON body with 400 in the error shape', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses')
      .set(asPlatform(t))
      .set('content-type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(res.body).toMatchObject({
      success: false,
      code: 'BAD_REQUEST',
      request_id: expect.any(String),
    });
  });

  it('answers a bad % escape in the URL with 400 in the error shape', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses/%zz/suspend')
      .set(asPlatform(t))
      .expect(400);
    expect(res.body).toMatchObject({ success: false, code: 'BAD_REQUEST' });
  });

  it('answers body validation failures with 422 and a located detail list', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses')
      .set(asPlatform(t))
      .send({ name: '', owner_email: 'not-an-email', extra: 1 })
      .expect(422);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    const locs = res.body.detail.map((d: { loc: string[] }) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.name', 'body.owner_email', 'body.extra']));
    const email = res.body.detail.find((d: { loc: string[] }) => d.loc[1] === 'owner_email');
    expect(email).toMatchObject({ msg: expect.any(String), type: 'email', input: 'not-an-email' });
    const extra = res.body.detail.find((d: { loc: string[] }) => d.loc[1] === 'extra');
    expect(extra.type).toBe('extra_forbidden');
  });

  it('marks a missing field as missing', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses')
      .set(asPlatform(t))
      .send({})
      .expect(422);
    expect(res.body.detail).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'name'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'owner_email'], msg: 'Field required', type: 'missing' },
      ]),
    );
  });

  it('rejects a JSON body that is not an object with 422', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses')
      .set(asPlatform(t))
      .send([1, 2])
      .expect(422);
    expect(res.body.detail[0].loc).toEqual(['body']);
  });

  it('answers a malformed path uuid with 422 located in the path', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses/not-a-uuid/suspend')
      .set(asPlatform(t))
      .expect(422);
    expect(res.body.detail[0]).toMatchObject({
      loc: ['path', 'business_id'],
      type: 'uuid_parsing',
    });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=%21%21notbase64', 'cursor'],
  ])('answers the bad query %s with 422 located in the query', async (qs, field) => {
    const res = await t.http().get(`/platform/v1/businesses?${qs}`).set(asPlatform(t)).expect(422);
    expect(res.body.detail[0].loc).toEqual(['query', field]);
  });

  it('pages with a keyset cursor, without gaps or repeats', async () => {
    for (let i = 0; i < 3; i++) await createBusiness(t);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { data: { items: { id: string }[]; next_cursor: string | null } } } =
        await t
          .http()
          .get(`/platform/v1/businesses?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
          .set(asPlatform(t))
          .expect(200);
      seen.push(...res.body.data.items.map((b) => b.id));
      cursor = res.body.data.next_cursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('makes every request id itself, whatever the client sends, and puts it in error bodies', async () => {
    const a = await t.http().get('/nope').set('x-request-id', 'trace-123').expect(404);
    const b = await t.http().get('/nope').set('x-request-id', 'trace-123').expect(404);
    for (const res of [a, b]) {
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
    }
    expect(a.body.request_id).not.toBe(b.body.request_id);
  });

  it('answers its own id for an unsafe x-request-id too', async () => {
    const res = await t
      .http()
      .get('/health/live')
      .set('x-request-id', 'bad id\twith spaces')
      .expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('marks responses that carry a secret as no-store', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses')
      .set(asPlatform(t))
      .send({ name: 'Secretive', owner_email: 'owner@secretive.test' })
      .expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.data.first_token.token).toMatch(/^lk_[0-9A-Za-z]{36}$/);
  });

  it('never returns a token hash', async () => {
    const res = await t
      .http()
      .post('/platform/v1/businesses')
      .set(asPlatform(t))
      .send({ name: 'Hashless', owner_email: 'owner@hashless.test' })
      .expect(201);
    expect(JSON.stringify(res.body)).not.toMatch(/[0-9a-f]{64}/);
    expect(JSON.stringify(res.body)).not.toContain('token_hash');
  });

  it('serves liveness and readiness without a token', async () => {
    await t.http().get('/health/live').expect(200, { status: 'ok' });
    const res = await t.http().get('/health/ready').expect(200);
    expect(res.body.details.database.status).toBe('up');
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.http().get('/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('serves an OpenAPI 3 document with bearer and x-business-id security schemes', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'business-id': { type: 'apiKey', in: 'header', name: 'x-business-id' },
    });
    const members = res.body.paths['/api/v1/members'].post;
    // One requirement object: both schemes at once (a list of two would mean either one).
    expect(members.security).toEqual([{ bearer: [], 'business-id': [] }]);
    expect(Object.keys(members.responses)).toEqual(
      expect.arrayContaining(['201', '401', '403', '422']),
    );
  });
});
