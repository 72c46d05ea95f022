import { once } from 'node:events';
import { createServer as createTlsServer } from 'node:https';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  parseRetryAfter,
  sendWebhook,
  storableBody,
  USER_AGENT,
  type SendRequest,
} from './webhook-sender';
import type { TargetPolicy } from '../../common/address-guard';

const local: TargetPolicy = { allowHttp: true, allowPrivate: true };

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real server on 127.0.0.1 that records what reaches it. */
class TestServer {
  readonly received: Received[] = [];
  connections = 0;
  private readonly server: Server;

  private constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        handler(req, res);
      });
    });
    this.server.on('connection', () => this.connections++);
  }

  static async start(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<TestServer> {
    const started = new TestServer(handler);
    started.server.listen(0, '127.0.0.1');
    await once(started.server, 'listening');
    return started;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

function send(overrides: Partial<SendRequest> & { url: string }): ReturnType<typeof sendWebhook> {
  return sendWebhook({ headers: {}, body: '{}', timeoutMs: 2000, policy: local, ...overrides });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

// A throwaway self-signed certificate for localhost and 127.0.0.1, made for this spec alone: its
// key protects nothing.
const SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUkSetSzK6I4BG5NG
HMeclG8wjFxAdd9i34iz3f1z116hRANCAATXhl/bga3UGrnVkdulD3CMoozSJOfx
mEE2Eul9SgHgoubnMmTqVN/udxUgXb/ibZ+h0bCmLZwbkDIVBFyaC+op
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmjCCAUCgAwIBAgITFmkDsoYUzUpOPWc+xdV9TWWPKjAKBggqhkjOPQQDAjAU
MRIwEAYDVQQDDAlsb2NhbGhvc3QwIBcNMjYxMTI1MDgwNTUyWhgPMjEyNjExMDEw
ODA1NTJaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABNeGX9uBrdQaudWR26UPcIyijNIk5/GYQTYS6X1KAeCi5ucyZOpU3+53
FSBdv+Jtn6HRsKYtnBuQMhUEXJoL6imjbzBtMB0GA1UdDgQWBBRJtXzGqe0SyG9R
siEH1c0rNqn+fTAfBgNVHSMEGDAWgBRJtXzGqe0SyG9RsiEH1c0rNqn+fTAPBgNV
HRMBAf8EBTADAQH/MBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAKBggqhkjO
PQQDAgNIADBFAiAjjhI+CsyK3XTp1fMcZElIKkCudDFFDGxE/KiJ1L1TbQIhAMvs
k8pbZAPcEagjS214HVBhThfNfLtmLihYCF8qgMgw
-----END CERTIFICATE-----
`,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(sendWebhook.name, () => {
  const sut = sendWebhook;
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('answers the status and body of a 200', async () => {
    server = await TestServer.start((_req, res) => res.end('{"ok":true}'));
    const result = await sut({
      url: server.url(),
      headers: {},
      body: '{}',
      timeoutMs: 2000,
      policy: local,
    });
    expect(result).toEqual({
      status: 200,
      latencyMs: expect.any(Number),
      body: '{"ok":true}',
      retryAfterSeconds: null,
      error: null,
    });
  });

  it('delivers the headers and body exactly as given, as a JSON POST', async () => {
    server = await TestServer.start((_req, res) => res.end());
    const body = JSON.stringify({ type: 'token.revoked', note: 'Zoë ✓ 🔑', n: 1 });
    const result = await send({
      url: server.url('/hook?tenant=7'),
      headers: {
        'X-Latchkey-Signature': 't=1,v1=abc',
        'webhook-id': 'msg_1',
        'Content-Type': 'text/plain',
        'User-Agent': 'curl/8',
      },
      body,
    });
    expect(result.status).toBe(200);
    expect(server.received).toHaveLength(1);
    const [got] = server.received;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hook?tenant=7');
    expect(got.body).toBe(body);
    expect(got.headers).toMatchObject({
      'x-latchkey-signature': 't=1,v1=abc',
      'webhook-id': 'msg_1',
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'content-length': String(Buffer.byteLength(body)),
    });
  });

  it('keeps only the first 1024 bytes of a huge body and does not wait for the rest', async () => {
    let serverSawClose = false;
    server = await TestServer.start((_req, res) => {
      res.on('close', () => (serverSawClose = true));
      res.writeHead(200, { 'content-length': String(5 * 1024 * 1024) });
      res.write('x'.repeat(4096));
      // Then a trickle that would take minutes to finish the 5 MiB.
      const trickle = setInterval(() => {
        if (res.destroyed) clearInterval(trickle);
        else res.write('y'.repeat(1024));
      }, 100);
      res.on('close', () => clearInterval(trickle));
    });
    // The rest would take minutes: a read that waited for it would end only at the timeout,
    // which is as long as the tests wait, so a busy machine cannot reach it first.
    const started = Date.now();
    const result = await send({ url: server.url(), timeoutMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.status).toBe(200);
    expect(result.error).toBeNull();
    expect(result.body).toBe('x'.repeat(1024));
    await sleep(100);
    expect(serverSawClose).toBe(true);
  });

  it('drops a multibyte character cut by the 1024-byte cap', async () => {
    server = await TestServer.start((_req, res) => res.end('a'.repeat(1023) + 'é and more'));
    const result = await send({ url: server.url() });
    expect(result.body).toBe('a'.repeat(1023));
  });

  it('stores a NUL in the answer as U+FFFD, which PostgreSQL takes in a text column', async () => {
    server = await TestServer.start((_req, res) => res.end('ok\u0000then\u0000'));
    const result = await send({ url: server.url() });
    expect(result).toMatchObject({ status: 200, body: 'ok\uFFFDthen\uFFFD', error: null });
  });

  it('keeps an answer of NULs within 1024 bytes once each is replaced', () => {
    const body = storableBody(Buffer.alloc(1024, 0));
    expect(body).toBe('\uFFFD'.repeat(341));
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024);
    expect(storableBody(Buffer.from('a\u0000'.repeat(600)))).not.toContain('\u0000');
  });

  it('gives up on a server that never answers, within the timeout', async () => {
    server = await TestServer.start(() => undefined);
    const started = Date.now();
    const result = await send({ url: server.url(), timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ status: null, body: '', error: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it('bounds the body read by the same timeout, keeping the status that came', async () => {
    server = await TestServer.start((_req, res) => {
      res.writeHead(200, { 'content-length': '500' });
      res.write('partial');
    });
    // The body never ends: only the timeout can end the read.
    const result = await send({ url: server.url(), timeoutMs: 300 });
    expect(result).toMatchObject({ status: 200, body: 'partial', error: null });
  });

  it('returns a 302 as it is and never requests the Location', async () => {
    server = await TestServer.start((req, res) => {
      if (req.url === '/hook') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.end('followed');
    });
    const result = await send({ url: server.url() });
    expect(result).toMatchObject({ status: 302, body: '', error: null });
    await sleep(100);
    expect(server.received.map((r) => r.url)).toEqual(['/hook']);
  });

  it('reads Retry-After seconds from a 429', async () => {
    server = await TestServer.start((_req, res) =>
      res.writeHead(429, { 'retry-after': '7' }).end('slow down'),
    );
    const result = await send({ url: server.url() });
    expect(result).toMatchObject({ status: 429, body: 'slow down', retryAfterSeconds: 7 });
  });

  it('reads a Retry-After HTTP-date from a 503', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 120_000).toUTCString();
    server = await TestServer.start((_req, res) => res.writeHead(503, { 'retry-after': at }).end());
    const result = await send({ url: server.url() });
    expect(result.status).toBe(503);
    expect(result.retryAfterSeconds).toBeGreaterThanOrEqual(118);
    expect(result.retryAfterSeconds).toBeLessThanOrEqual(120);
  });

  it('reports connection_failed for a closed port, without the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}/hook?secret=hunter2`;
    const result = await send({ url, headers: { authorization: 'Bearer hunter2' } });
    expect(result).toMatchObject({ status: null, error: 'connection_failed' });
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });

  it.each(['127.0.0.1', 'localhost'])(
    'refuses %s when private targets are not allowed, and nothing reaches it',
    async (host) => {
      server = await TestServer.start((_req, res) => res.end());
      const url = server.url().replace('127.0.0.1', host);
      const result = await send({ url, policy: { allowHttp: true, allowPrivate: false } });
      expect(result).toMatchObject({ status: null, error: 'refused_address' });
      await sleep(50);
      expect(server.connections).toBe(0);
      expect(server.received).toEqual([]);
    },
  );

  it('keeps one connection open for sends in turn to one receiver', async () => {
    server = await TestServer.start((_req, res) => res.end('ok'));
    for (let i = 0; i < 5; i++) {
      expect(await send({ url: server.url() })).toMatchObject({ status: 200, body: 'ok' });
    }
    expect(server.received).toHaveLength(5);
    expect(server.connections).toBe(1);
  });

  it('never lets a connection kept under a looser policy serve a stricter one', async () => {
    server = await TestServer.start((_req, res) => res.end('ok'));
    const url = server.url().replace('127.0.0.1', 'localhost');
    expect(await send({ url })).toMatchObject({ status: 200 });
    const strict = await send({ url, policy: { allowHttp: true, allowPrivate: false } });
    expect(strict).toMatchObject({ status: null, error: 'refused_address' });
    expect(server.received).toHaveLength(1);
  });

  it('sends once more, on a new connection, when a kept one is closed as it is reused', async () => {
    const used = new WeakSet<object>();
    server = await TestServer.start((req, res) => {
      // The second request on a connection finds it closed, as a receiver's idle timeout would.
      if (used.has(req.socket)) return req.socket.destroy();
      used.add(req.socket);
      res.end('ok');
    });
    expect(await send({ url: server.url() })).toMatchObject({ status: 200 });
    expect(await send({ url: server.url() })).toMatchObject({ status: 200, body: 'ok' });
    expect(server.connections).toBe(2);
    expect(server.received).toHaveLength(3);
  });

  it('does not send again when a new connection fails', async () => {
    server = await TestServer.start((req) => req.socket.destroy());
    expect(await send({ url: server.url() })).toMatchObject({
      status: null,
      error: 'connection_failed',
    });
    expect(server.received).toHaveLength(1);
  });

  it('reports dns_failed for a name that does not resolve', async () => {
    const result = await send({ url: 'https://nothing-here.invalid/hook' });
    expect(result).toMatchObject({ status: null, error: 'dns_failed' });
  });

  it('reports tls_failed when the server does not speak TLS', async () => {
    server = await TestServer.start((_req, res) => res.end());
    const result = await send({ url: server.url().replace('http:', 'https:') });
    expect(result).toMatchObject({ status: null, error: 'tls_failed' });
  });

  it('reports tls_failed for a certificate nobody vouches for, and sends nothing', async () => {
    let requests = 0;
    const tls = createTlsServer(SELF_SIGNED, (_req, res) => {
      requests++;
      res.end();
    });
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    try {
      const { port } = tls.address() as AddressInfo;
      const result = await send({ url: `https://localhost:${port}/hook` });
      expect(result).toMatchObject({ status: null, error: 'tls_failed' });
      expect(requests).toBe(0);
    } finally {
      tls.closeAllConnections();
      tls.close();
    }
  });

  it.each<[string, Partial<SendRequest>]>([
    [
      'a URL the policy refuses',
      { url: 'http://example.com/', policy: { ...local, allowHttp: false } },
    ],
    ['a URL that does not parse', { url: 'not a url' }],
    ['a header value with a line break', { headers: { 'x-a': 'b\r\nx-injected: 1' } }],
    ['a header name that is not a token', { headers: { 'x a': 'b' } }],
  ])('never throws: %s is invalid_request', async (_label, overrides) => {
    server = await TestServer.start((_req, res) => res.end());
    const result = await send({ url: server.url(), ...overrides });
    expect(result).toMatchObject({ status: null, error: 'invalid_request' });
    expect(server.received).toEqual([]);
  });
});

describe(parseRetryAfter.name, () => {
  const sut = parseRetryAfter;
  const now = Date.UTC(2026, 0, 15, 12, 0, 0);

  it.each<[string | undefined, number | null]>([
    [undefined, null],
    ['', null],
    ['7', 7],
    [' 7 ', 7],
    ['0', 0],
    ['86400', 86400],
    ['86401', 86400],
    ['99999999999999999999999', 86400],
    ['-5', null],
    ['1.5', null],
    ['7s', null],
    ['soon', null],
    ['2026', 2026],
    ['Thu, 15 Jan 2026 12:02:00 GMT', 120],
    ['Thu, 15 Jan 2026 12:00:00 GMT', 0],
    ['Wed, 14 Jan 2026 12:00:00 GMT', 0],
    ['Sat, 15 Jan 2028 12:00:00 GMT', 86400],
    ['Thursday, 15-Jan-26 12:00:30 GMT', 30],
    ['Thu Jan 15 12:00:45 2026', 45],
    ['Thu Jan  5 12:00:45 2026', 0],
    ['Thu, 15 Jan 2026 12:02:00 +0000', null],
    ['Thu, 15 Jan 2026 12:02:00', null],
    ['Thu, 31 Feb 2026 12:02:00 GMT', null],
    ['Thu, 15 Jan 2026 25:02:00 GMT', null],
    ['2026-01-15T12:02:00Z', null],
  ])('reads %j as %j', (value, expected) => {
    expect(sut(value, now)).toBe(expected);
  });
});
