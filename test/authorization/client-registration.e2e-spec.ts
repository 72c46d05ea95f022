import type { Test } from 'supertest';
import { ClientDirectory } from '../../src/authorization/clients/client-directory';
import {
  ClientRegistrationService,
  UNUSED_REGISTRATION_MS,
} from '../../src/authorization/clients/client-registration.service';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const LIMIT = 20;
let address = 0;
/** A client address no other test of the run uses (TRUST_PROXY 1 reads X-Forwarded-For). */
const freshAddress = () => `203.0.113.${++address % 250}`;

const metadata = (extra: object = {}) => ({
  client_name: 'Acme Agent',
  redirect_uris: ['https://app.example/callback', 'http://127.0.0.1/callback'],
  ...extra,
});

/**
 * RFC 7591 registration at POST /oauth2/register, through the real app and its migrations: what
 * it answers and stores, every field's odd values, an address that registers without end, and
 * the sweep of registrations nobody used.
 */
describe.each(DRIVERS)('client registration on %s', (driver) => {
  let t: TestApp;
  let directory: ClientDirectory;
  let registrations: ClientRegistrationService;

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      TRUST_PROXY: '1',
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      RATE_LIMIT_CLIENT_REGISTRATIONS_PER_HOUR: String(LIMIT),
    });
    directory = t.app.get(ClientDirectory);
    registrations = t.app.get(ClientRegistrationService);
  });
  afterAll(() => t.close());
  afterEach(() => {
    registrations.clock = () => new Date();
  });

  const register = (body: unknown, from = freshAddress()): Test =>
    t
      .http()
      .post('/oauth2/register')
      .set('x-forwarded-for', from)
      .send(body as object);

  it('registers a public client: 201 with a random client_id and the metadata (§3.2.1)', async () => {
    const res = await register(metadata()).expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      client_id: expect.stringMatching(/^lkc_[A-Za-z0-9_-]{32}$/),
      client_id_issued_at: expect.any(Number),
      client_name: 'Acme Agent',
      redirect_uris: ['https://app.example/callback', 'http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
    const client = await directory.resolve(res.body.client_id);
    expect(client).toMatchObject({ kind: 'registered', clientName: 'Acme Agent' });
    expect(directory.acceptsRedirectUri(client, 'http://127.0.0.1:49152/callback')).toBe(true);
    expect(directory.acceptsRedirectUri(client, 'https://app.example/callback/')).toBe(false);
    const second = await register(metadata()).expect(201);
    expect(second.body.client_id).not.toBe(res.body.client_id);
  });

  it('ignores metadata it does not know (RFC 7591 §2)', async () => {
    const res = await register(metadata({ software_id: 'x', contacts: ['a@b.example'] }));
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty('software_id');
  });

  it('answers unknown or ill-shaped client ids with CLIENT_NOT_FOUND', async () => {
    for (const id of ['lkc_' + 'A'.repeat(32), 'nope', '', "lkc_' OR 1=1 --"]) {
      await expect(directory.resolve(id)).rejects.toMatchObject({ code: 'CLIENT_NOT_FOUND' });
    }
  });

  const long = (n: number) => 'a'.repeat(n);
  // [what, body, RFC 7591 §3.2.2 error]
  const ODD: [string, unknown, string][] = [
    ['no redirect_uris', { client_name: 'x' }, 'invalid_redirect_uri'],
    ['an empty redirect_uris', metadata({ redirect_uris: [] }), 'invalid_redirect_uri'],
    [
      'a string redirect_uris',
      metadata({ redirect_uris: 'https://app.example/cb' }),
      'invalid_redirect_uri',
    ],
    [
      '11 redirect URIs',
      metadata({ redirect_uris: Array.from({ length: 11 }, (_, i) => `https://app.example/${i}`) }),
      'invalid_redirect_uri',
    ],
    [
      'a repeated redirect URI',
      metadata({ redirect_uris: ['https://app.example/cb', 'https://app.example/cb'] }),
      'invalid_redirect_uri',
    ],
    ['a number for a redirect URI', metadata({ redirect_uris: [42] }), 'invalid_redirect_uri'],
    [
      'a fragment',
      metadata({ redirect_uris: ['https://app.example/cb#x'] }),
      'invalid_redirect_uri',
    ],
    [
      'userinfo',
      metadata({ redirect_uris: ['https://app.example@evil.example/cb'] }),
      'invalid_redirect_uri',
    ],
    ['plain http', metadata({ redirect_uris: ['http://app.example/cb'] }), 'invalid_redirect_uri'],
    ['javascript:', metadata({ redirect_uris: ['javascript:alert(1)'] }), 'invalid_redirect_uri'],
    [
      'a 600-byte redirect URI',
      metadata({ redirect_uris: [`https://app.example/${long(600)}`] }),
      'invalid_redirect_uri',
    ],
    [
      'a U+0000 redirect URI',
      metadata({ redirect_uris: ['https://app.example/cb\u0000'] }),
      'invalid_client_metadata',
    ],
    [
      'a two-line client_name',
      metadata({ client_name: 'Acme\r\nApprove' }),
      'invalid_client_metadata',
    ],
    ['a U+2028 client_name', metadata({ client_name: 'Acme\u2028x' }), 'invalid_client_metadata'],
    [
      'a NEL (U+0085) client_name',
      metadata({ client_name: 'Acme\u0085' }),
      'invalid_client_metadata',
    ],
    ['an empty client_name', metadata({ client_name: '' }), 'invalid_client_metadata'],
    [
      'a 101-character client_name',
      metadata({ client_name: long(101) }),
      'invalid_client_metadata',
    ],
    ['a number client_name', metadata({ client_name: 7 }), 'invalid_client_metadata'],
    ['a lone surrogate', metadata({ client_name: 'Acme \ud800' }), 'invalid_client_metadata'],
    [
      'an http client_uri',
      metadata({ client_uri: 'http://app.example' }),
      'invalid_client_metadata',
    ],
    [
      'a javascript: logo_uri',
      metadata({ logo_uri: 'javascript:alert(1)' }),
      'invalid_client_metadata',
    ],
    [
      'a 600-byte client_uri',
      metadata({ client_uri: `https://app.example/${long(600)}` }),
      'invalid_client_metadata',
    ],
    [
      'client_secret_basic',
      metadata({ token_endpoint_auth_method: 'client_secret_basic' }),
      'invalid_client_metadata',
    ],
    [
      'private_key_jwt',
      metadata({ token_endpoint_auth_method: 'private_key_jwt' }),
      'invalid_client_metadata',
    ],
    ['the implicit grant', metadata({ grant_types: ['implicit'] }), 'invalid_client_metadata'],
    [
      'refresh_token alone',
      metadata({ grant_types: ['refresh_token'] }),
      'invalid_client_metadata',
    ],
    ['a token response', metadata({ response_types: ['token'] }), 'invalid_client_metadata'],
    [
      'a string grant_types',
      metadata({ grant_types: 'authorization_code' }),
      'invalid_client_metadata',
    ],
    ['an array body', [metadata()], 'invalid_client_metadata'],
    ['a string body', 'hello', 'invalid_client_metadata'],
  ];

  it.each(ODD)('refuses %s', async (_what, body, error) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error, error_description: expect.any(String) });
  });

  it('refuses a form body: RFC 7591 takes JSON', async () => {
    const res = await t
      .http()
      .post('/oauth2/register')
      .set('x-forwarded-for', freshAddress())
      .type('form')
      .send('redirect_uris=https://app.example/cb');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_client_metadata');
  });

  it('stops one address after its hourly budget, however many it tries, and not the next', async () => {
    const from = freshAddress();
    const before = (await t.sql('SELECT id FROM oauth_clients')).length;
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 10_000 && refused < 5; i++) {
      const res = await register(metadata(), from);
      if (res.status === 201) accepted++;
      else {
        expect(res.status).toBe(429);
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(res.body).toMatchObject({ success: false, code: 'RATE_LIMITED' });
        refused++;
      }
    }
    expect(accepted).toBe(LIMIT);
    expect(refused).toBe(5);
    expect((await t.sql('SELECT id FROM oauth_clients')).length - before).toBeLessThanOrEqual(
      LIMIT,
    );
    await register(metadata(), freshAddress()).expect(201);
  });

  it('sweeps registrations nobody used after a day, and keeps the used ones', async () => {
    const unused = (await register(metadata()).expect(201)).body.client_id as string;
    const used = (await register(metadata()).expect(201)).body.client_id as string;
    const client = await directory.resolve(used);
    await t.app.get(UnitOfWork).run((tx) => directory.markUsed(client, new Date(), tx));
    registrations.clock = () => new Date(Date.now() + UNUSED_REGISTRATION_MS + 60_000);
    await register(metadata()).expect(201);
    await expect(directory.resolve(unused)).rejects.toMatchObject({ code: 'CLIENT_NOT_FOUND' });
    await expect(directory.resolve(used)).resolves.toMatchObject({ clientId: used });
  });
});
