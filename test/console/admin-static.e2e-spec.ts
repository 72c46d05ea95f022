import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootTestApp, TestApp } from '../harness/app/test-app';

/**
 * The admin console at /admin: a Vite build served by the app, public, under a strict
 * content security policy of its own. Each suite serves a small fake build from a temp folder
 * (CONSOLE_DIR), so nothing here depends on `npm run build:console`.
 */

const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";

const INDEX =
  '<!doctype html><html><head><script type="module" src="/admin/assets/index-B3x9Qk.js"></script>' +
  '<link rel="stylesheet" href="/admin/assets/index-Dk2mP0.css"></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("latchkey console");';
/** What Swagger UI's relaxed policy allows, and no other path may. */
const DOCS_SCRIPTS = "script-src 'self' 'unsafe-inline'";
/** What sits beside the build, never to be served: what a path that climbs out would reach. */
const SECRET = 'OUTSIDE-THE-BUILD-7f3a';

/** A folder holding `build/` (the fake console build) and, beside it, a file no path may reach. */
function fakeBuild(): { parent: string; build: string } {
  const parent = mkdtempSync(join(tmpdir(), 'latchkey-console-'));
  const build = join(parent, 'build');
  mkdirSync(join(build, 'assets'), { recursive: true });
  writeFileSync(join(build, 'index.html'), INDEX);
  writeFileSync(join(build, 'assets', 'index-B3x9Qk.js'), SCRIPT);
  writeFileSync(join(build, 'assets', 'index-Dk2mP0.css'), 'body{margin:0}');
  writeFileSync(join(build, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(build, '.build-mark'), SECRET);
  writeFileSync(join(parent, 'secret.txt'), SECRET);
  return { parent, build };
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request with the path exactly as written: supertest (WHATWG URL) and Fastify's inject both
 * resolve `..` before sending, which is not what an attacker's client does.
 */
function raw(port: number, path: string, method = 'GET'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin console at /admin', () => {
  let t: TestApp;
  let port: number;
  let folders: { parent: string; build: string };
  beforeAll(async () => {
    folders = fakeBuild();
    t = await bootTestApp('sqlite', { CONSOLE_DIR: folders.build });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
    rmSync(folders.parent, { recursive: true, force: true });
  });

  it.each([
    '/admin',
    '/admin/',
    '/admin/tokens',
    '/admin/businesses/3f2c1d7e/members',
    '/admin?x=1',
  ])('answers index.html at %s, uncached, with no token', async (path) => {
    const res = await raw(port, path);
    expect(res.status).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it('answers a hashed asset, cached for a year and immutable', async () => {
    const res = await raw(port, '/admin/assets/index-B3x9Qk.js');
    expect(res.status).toBe(200);
    expect(res.body).toBe(SCRIPT);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const css = await raw(port, '/admin/assets/index-Dk2mP0.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it("serves the build's other files (Vite's public folder) uncached", async () => {
    const res = await raw(port, '/admin/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers HEAD as GET, without a body', async () => {
    const res = await raw(port, '/admin/tokens', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });

  it.each([
    '/admin/assets/missing-x1.js',
    '/admin/missing.js',
    '/admin/assets/',
    '/admin/.build-mark',
  ])('answers %s with 404 in the API error shape', async (path) => {
    const res = await raw(port, path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({
      success: false,
      message: 'Not found',
      code: 'NOT_FOUND',
      detail: 'No such file in the admin console',
      request_id: res.headers['x-request-id'],
    });
    expect(res.headers['cache-control']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(res.body).not.toContain(SECRET);
  });

  it('answers a write to /admin with 404, not the page', async () => {
    const res = await raw(port, '/admin/tokens', 'POST');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it.each([
    '/admin/assets/../../package.json',
    '/admin/assets/../../../package.json',
    '/admin/../package.json',
    '/admin/assets/../../secret.txt',
    '/admin/../secret.txt',
    '/admin/assets/%2e%2e/%2e%2e/secret.txt',
    '/admin/assets/..%2f..%2fsecret.txt',
    '/admin/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/admin/%2e%2e%2fsecret.txt',
    '/admin/assets/%252e%252e%252f%252e%252e%252fsecret.txt',
    '/admin/assets/..%5c..%5csecret.txt',
    '/admin/assets/....//....//secret.txt',
    '/admin/assets/%00../../secret.txt',
    '/admin/assets/../.build-mark',
  ])('never serves a file outside the build: %s', async (path) => {
    const res = await raw(port, path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body).not.toContain(SECRET);
    expect(res.body).not.toContain('devDependencies');
    expect(res.headers['content-security-policy']).not.toContain(DOCS_SCRIPTS);
  });

  describe('content security policy', () => {
    it.each(['/admin', '/admin/', '/admin/tokens', '/admin/assets/index-B3x9Qk.js'])(
      'is exactly the console policy on %s, with no unsafe-inline',
      async (path) => {
        const res = await raw(port, path);
        expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
        expect(res.headers['content-security-policy']).not.toContain('unsafe');
        expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
      },
    );

    it("keeps Swagger UI's relaxed policy on /docs alone", async () => {
      for (const path of ['/docs', '/docs/', '/docs-json']) {
        const res = await raw(port, path);
        expect([path, res.headers['content-security-policy']]).toEqual([
          path,
          expect.stringContaining(DOCS_SCRIPTS),
        ]);
      }
    });

    it.each([
      '/docsfoo',
      '/docs-jsonx',
      '/admin/../docs',
      '/admin/../docs/',
      '/api/v1/docs',
      '/adminx',
    ])('never gives the relaxed policy to %s', async (path) => {
      const res = await raw(port, path);
      expect(res.headers['content-security-policy']).not.toContain(DOCS_SCRIPTS);
      expect(res.headers['content-security-policy']).toMatch(/^default-src 'none';/);
    });

    it('gives the console policy to any spelling of /admin that routes to the console', async () => {
      const res = await raw(port, '/%61dmin/tokens');
      expect(res.status).toBe(200);
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    });

    it("keeps the API's own policy on the API", async () => {
      const res = await raw(port, '/health/live');
      expect(res.headers['content-security-policy']).toMatch(/^default-src 'none';/);
      expect(res.headers['content-security-policy']).not.toBe(CONSOLE_CSP);
    });
  });
});

describe('the admin console before it is built', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-console-none-'));
    t = await bootTestApp('sqlite', { CONSOLE_DIR: join(dir, 'not-built') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['/admin', '/admin/', '/admin/tokens', '/admin/assets/index-B3x9Qk.js'])(
    'answers %s with 503 CONSOLE_NOT_BUILT, saying how to build it',
    async (path) => {
      const res = await t.http().get(path).expect(503);
      expect(res.body).toMatchObject({
        success: false,
        code: 'CONSOLE_NOT_BUILT',
        message: expect.stringContaining('npm run build:console'),
        request_id: expect.any(String),
      });
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    },
  );

  it('serves the API all the same', async () => {
    await t.http().get('/health/live').expect(200);
  });

  it('serves a build made after the start, with no restart', async () => {
    mkdirSync(join(dir, 'not-built', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'not-built', 'index.html'), INDEX);
    const res = await t.http().get('/admin/tokens').expect(200);
    expect(res.text).toBe(INDEX);
  });
});
