import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientError } from '../../src/authorization/clients/client-error';
import {
  ClientMetadataDocuments,
  MAX_DOCUMENT_BYTES,
  MAX_KEEP_MS,
  MIN_KEEP_MS,
} from '../../src/authorization/clients/client-metadata-documents';
import { AppConfig } from '../../src/config/app-config';
import { PATIENCE_MS } from '../harness/patience';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A metadata document server on 127.0.0.1: each path answers as its handler says, and counts. */
class DocumentServer {
  private readonly server: Server;
  readonly handlers = new Map<string, Handler>();
  readonly hits = new Map<string, number>();
  constructor() {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const handler = this.handlers.get(path);
      if (handler) handler(req, res);
      else res.writeHead(404).end();
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }
  /** Serves `path` as a JSON document built from its own URL. */
  json(path: string, document: (url: string) => unknown, headers: Record<string, string> = {}) {
    this.handlers.set(path, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(document(this.url(path))));
    });
  }
}

const documentOf = (url: string, extra: object = {}) => ({
  client_id: url,
  client_name: 'Acme Agent',
  redirect_uris: ['http://127.0.0.1/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  ...extra,
});

function documents(env: Partial<AppConfig>): ClientMetadataDocuments {
  return new ClientMetadataDocuments(Object.assign(new AppConfig(), env));
}

const LOOPBACK = { CLIENT_METADATA_ALLOW_PRIVATE: true, CLIENT_METADATA_ALLOW_HTTP: true };

/** The code a resolve fails with, or 'ok'. */
async function outcome(sut: ClientMetadataDocuments, url: string): Promise<string> {
  try {
    await sut.resolve(url);
    return 'ok';
  } catch (e) {
    if (e instanceof ClientError) return e.code;
    throw e;
  }
}

/**
 * Client ID Metadata Documents as a hostile or careless client serves them: huge, slow,
 * redirecting, private, not JSON, naming another client, or changing between fetches.
 */
describe('client metadata documents', () => {
  let server: DocumentServer;
  let sut: ClientMetadataDocuments;
  let now: number;
  let counter = 0;
  const fresh = (label: string) => `/${label}-${++counter}/client.json`;

  beforeAll(async () => {
    server = await new DocumentServer().start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    // The loopback server is private: allowed here, as federation's tests allow their JWKS. A
    // fetch waits as long as the tests do; the test of the bound sets its own.
    sut = documents({ ...LOOPBACK, CLIENT_METADATA_TIMEOUT_MS: PATIENCE_MS });
    now = 1_800_000_000_000;
    sut.clock = () => now;
  });

  it('reads a document whole into the one client shape', async () => {
    const path = fresh('good');
    server.json(path, (url) => documentOf(url, { client_uri: 'https://acme.example', extra: 1 }));
    await expect(sut.resolve(server.url(path))).resolves.toEqual({
      clientId: server.url(path),
      kind: 'metadata_document',
      clientName: 'Acme Agent',
      redirectUris: ['http://127.0.0.1/callback'],
      clientUri: 'https://acme.example',
      logoUri: null,
      tokenEndpointAuthMethod: 'none',
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
    });
  });

  it('refuses a private address when the guard is not told to allow it', async () => {
    const path = fresh('private');
    server.json(path, (url) => documentOf(url));
    const guarded = documents({ CLIENT_METADATA_ALLOW_HTTP: true });
    expect(await outcome(guarded, server.url(path))).toBe('CLIENT_METADATA_ADDRESS_REFUSED');
    expect(await outcome(guarded, 'http://10.0.0.7/client.json')).toBe(
      'CLIENT_METADATA_ADDRESS_REFUSED',
    );
    expect(await outcome(guarded, 'http://169.254.169.254/latest/meta-data')).toBe(
      'CLIENT_METADATA_ADDRESS_REFUSED',
    );
    expect(server.hits.get(path)).toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1/client.json', 'https (without CLIENT_METADATA_ALLOW_HTTP)', false],
    ['https://app.example', 'a path', true],
    ['https://app.example/', 'a path', true],
    ['https://app.example/client.json#x', 'a fragment', true],
    ['https://user@app.example/client.json', 'user name', true],
    ['https://app.example/client.json?v=1', 'a query', true],
    ['https://app.example/a/../client.json', '. or ..', true],
    ['https://APP.example/client.json', 'written as', true],
    ['ftp://app.example/client.json', 'https', true],
  ])('refuses the client_id %s for %s', async (url, because, allowHttp) => {
    const strict = documents({ CLIENT_METADATA_ALLOW_HTTP: allowHttp });
    await expect(strict.resolve(url)).rejects.toMatchObject({
      code: 'CLIENT_ID_INVALID',
      detail: expect.stringContaining(because.split(' (')[0]),
    });
  });

  it('refuses a huge document without reading past the bound', async () => {
    const declared = fresh('huge');
    server.json(declared, (url) => documentOf(url, { padding: 'x'.repeat(MAX_DOCUMENT_BYTES) }));
    expect(await outcome(sut, server.url(declared))).toBe('CLIENT_METADATA_TOO_LARGE');
    // Streamed with no length declared: cut off at the bound.
    const streamed = fresh('stream');
    server.handlers.set(streamed, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(1024);
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => clearInterval(timer));
    });
    expect(await outcome(sut, server.url(streamed))).toBe('CLIENT_METADATA_TOO_LARGE');
  });

  it('gives up on a document that never answers within the bound', async () => {
    const path = fresh('slow');
    server.handlers.set(path, () => undefined);
    const bounded = documents({ ...LOOPBACK, CLIENT_METADATA_TIMEOUT_MS: 300 });
    const started = Date.now();
    // Only the bound can end the wait: the server never answers.
    expect(await outcome(bounded, server.url(path))).toBe('CLIENT_METADATA_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('follows no redirect, even to a good document', async () => {
    const good = fresh('target');
    server.json(good, (url) => documentOf(url));
    const path = fresh('redirect');
    server.handlers.set(path, (_req, res) =>
      res.writeHead(302, { location: server.url(good) }).end(),
    );
    expect(await outcome(sut, server.url(path))).toBe('CLIENT_METADATA_REDIRECTED');
    expect(server.hits.get(good)).toBeUndefined();
  });

  it.each([
    ['text/html', '{}', 'CLIENT_METADATA_NOT_JSON'],
    ['application/json', '<html>', 'CLIENT_METADATA_NOT_JSON'],
    ['application/json', '[1,2]', 'CLIENT_METADATA_NOT_JSON'],
    ['application/json', 'null', 'CLIENT_METADATA_NOT_JSON'],
  ])('refuses an answer served as %s: %s', async (contentType, body, code) => {
    const path = fresh('notjson');
    server.handlers.set(path, (_req, res) =>
      res.writeHead(200, { 'content-type': contentType }).end(body),
    );
    expect(await outcome(sut, server.url(path))).toBe(code);
  });

  it('refuses a 404 or a 500', async () => {
    expect(await outcome(sut, server.url(fresh('missing')))).toBe('CLIENT_METADATA_UNAVAILABLE');
  });

  it.each([
    [
      'another client_id',
      (url: string) => documentOf(url, { client_id: `${url}x` }),
      'CLIENT_ID_MISMATCH',
    ],
    [
      'no client_id',
      (url: string) => documentOf(url, { client_id: undefined }),
      'CLIENT_ID_MISMATCH',
    ],
    [
      'private_key_jwt',
      (url: string) =>
        documentOf(url, {
          token_endpoint_auth_method: 'private_key_jwt',
          jwks_uri: 'https://app.example/jwks',
        }),
      'CLIENT_AUTH_METHOD_UNSUPPORTED',
    ],
    [
      'a jwks',
      (url: string) => documentOf(url, { jwks: { keys: [] } }),
      'CLIENT_AUTH_METHOD_UNSUPPORTED',
    ],
    [
      'a shared secret',
      (url: string) => documentOf(url, { token_endpoint_auth_method: 'client_secret_basic' }),
      'CLIENT_METADATA_INVALID',
    ],
    [
      'no client_name',
      (url: string) => documentOf(url, { client_name: undefined }),
      'CLIENT_METADATA_INVALID',
    ],
    [
      'a two-line name',
      (url: string) => documentOf(url, { client_name: 'Acme\nApprove this' }),
      'CLIENT_METADATA_INVALID',
    ],
    [
      'a lone surrogate',
      (url: string) => documentOf(url, { client_name: 'Acme \ud800' }),
      'CLIENT_METADATA_INVALID',
    ],
    [
      'no redirect_uris',
      (url: string) => documentOf(url, { redirect_uris: undefined }),
      'CLIENT_REDIRECT_URI_INVALID',
    ],
    [
      'a fragment redirect',
      (url: string) => documentOf(url, { redirect_uris: ['https://app.example/cb#x'] }),
      'CLIENT_REDIRECT_URI_INVALID',
    ],
    [
      'an implicit grant',
      (url: string) => documentOf(url, { response_types: ['token'] }),
      'CLIENT_METADATA_INVALID',
    ],
    [
      'an http client_uri',
      (url: string) => documentOf(url, { client_uri: 'http://app.example' }),
      'CLIENT_METADATA_INVALID',
    ],
  ])('refuses a document with %s', async (_what, document, code) => {
    const path = fresh('bad');
    server.json(path, document);
    expect(await outcome(sut, server.url(path))).toBe(code);
  });

  it('keeps a document as its max-age says, within the floor and the ceiling', async () => {
    const cases: [string, number][] = [
      ['max-age=3600', 3_600_000],
      ['max-age=5', MIN_KEEP_MS],
      ['no-store', MIN_KEEP_MS],
      ['public, max-age=99999999', MAX_KEEP_MS],
    ];
    for (const [cacheControl, keepMs] of cases) {
      const path = fresh('cache');
      server.json(path, (url) => documentOf(url), { 'cache-control': cacheControl });
      const url = server.url(path);
      const start = now;
      await sut.resolve(url);
      now = start + keepMs - 1;
      await sut.resolve(url);
      expect([cacheControl, server.hits.get(path)]).toEqual([cacheControl, 1]);
      now = start + keepMs;
      await sut.resolve(url);
      expect([cacheControl, server.hits.get(path)]).toEqual([cacheControl, 2]);
    }
  });

  it('answers a document that changed, or now fails, once the cache lets it go', async () => {
    const path = fresh('changing');
    server.json(path, (url) => documentOf(url), { 'cache-control': 'max-age=600' });
    const url = server.url(path);
    expect((await sut.resolve(url)).clientName).toBe('Acme Agent');
    server.json(path, (u) => documentOf(u, { client_name: 'Acme Agent 2' }), {
      'cache-control': 'max-age=600',
    });
    // Within max-age, the kept document still answers.
    expect((await sut.resolve(url)).clientName).toBe('Acme Agent');
    now += 600_000;
    expect((await sut.resolve(url)).clientName).toBe('Acme Agent 2');
    // Now it names another client: refused as soon as it is read again, not served stale.
    server.json(path, (u) => documentOf(u, { client_id: 'https://evil.example/client.json' }));
    now += 600_000;
    expect(await outcome(sut, url)).toBe('CLIENT_ID_MISMATCH');
  });

  it('fetches a document once for concurrent requests', async () => {
    const path = fresh('concurrent');
    server.json(path, (url) => documentOf(url));
    await Promise.all(Array.from({ length: 10 }, () => sut.resolve(server.url(path))));
    expect(server.hits.get(path)).toBe(1);
  });
});
