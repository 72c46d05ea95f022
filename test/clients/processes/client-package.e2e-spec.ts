import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, REPO_ROOT, startAppProcess } from '../../harness/app-process';
import { buildApp } from '../../harness/app-cluster';
import { Child, stopAll } from '../../harness/child';
import { httpRequest } from '../../harness/http';
import { LatchkeyClient } from '../../harness/latchkey-client';
import { freePort } from '../../harness/ports';

/**
 * @latchkey/client as its users get it: `npm pack` (prepack builds it), the tarball installed in a
 * project of its own outside the repository beside the frameworks its README names, then used
 * from CommonJS and ES modules, type-checked strictly with the shipped declarations checked too
 * (`skipLibCheck: false`), and each framework example of its README ("Protecting your API")
 * compiled and run as written against the built server. Versions are the root lockfile's, so the
 * npm cache answers the installs.
 */

const PACKAGE_DIR = join(REPO_ROOT, 'packages', 'client');
const README = join(REPO_ROOT, 'packages', 'client', 'README.md');
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TIMEOUT_MS = 120_000;
const MAX_PACKED_BYTES = 200_000;

/** What the README's examples import, at the major each was written for (null: any). */
const FRAMEWORKS: Record<string, number | null> = {
  express: 5,
  fastify: 5,
  hono: 4,
  '@hono/node-server': 2,
  '@nestjs/common': 11,
  '@nestjs/core': 11,
  '@nestjs/platform-fastify': 11,
  'reflect-metadata': null,
  rxjs: null,
  '@types/express': 5,
  '@types/node': 20,
};

/** Each example of "Protecting your API": its heading, and the route it leaves open, if any. */
const EXAMPLES = [
  { name: 'express', heading: 'Express', open: null },
  { name: 'fastify', heading: 'Fastify', open: '/health' },
  { name: 'nestjs', heading: 'NestJS', open: '/health' },
  { name: 'hono', heading: 'Hono', open: null },
] as const;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (at most `timeoutMs`), with nothing of this process's env but PATH and HOME. */
function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 32 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function ok(ran: Ran, what: string): Ran {
  if (ran.code !== 0) throw new Error(`${what} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

const NPM_WARNING = /^npm warn.*$/gim;
const npmInstall = (specs: string[], cwd: string) =>
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], cwd);

/** `name@version` as the root's package-lock.json has it, at the major the README's code wants. */
function locked(name: string, major: number | null): string {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string } | undefined>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`package-lock.json has no ${name}`);
  if (major !== null && Number(version.split('.')[0]) !== major) {
    throw new Error(`package-lock.json has ${name}@${version}, not ${major}.x`);
  }
  return `${name}@${version}`;
}

/** The ```ts block after the README's `### <heading>`, as written. */
function readmeExample(heading: string): string {
  const readme = readFileSync(README, 'utf8');
  const at = readme.indexOf(`\n### ${heading}\n`);
  const block = at < 0 ? null : /```ts\n([\s\S]*?)\n```/.exec(readme.slice(at));
  if (!block) throw new Error(`packages/client/README.md: no ts block under ### ${heading}`);
  return `${block[1]}\n`;
}

/**
 * What tsc (`--pretty false`) said of `file`, and of any declaration file it loaded (the
 * package's own, with skipLibCheck off), and of the project itself (`error TS…`, no path). Another
 * source of the same program is that source's to answer for.
 */
function errorsFor(ran: Ran, file: string, sources: readonly string[]): string[] {
  return (ran.stdout + ran.stderr)
    .split('\n')
    .filter((line) => /^(\S+\(\d+,\d+\): )?error TS\d+/.test(line))
    .filter((line) => {
      const path = line.slice(0, line.indexOf('('));
      return path === file || !sources.includes(path);
    });
}

/** The same program for every module system, written so that it is also strict TypeScript. */
const CONSUMER_BODY = `
async function main() {
  const [base, ownerToken, ordersToken, otherToken, businessId] = [
    'LATCHKEY_URL',
    'LATCHKEY_OWNER_TOKEN',
    'LATCHKEY_ORDERS_TOKEN',
    'LATCHKEY_OTHER_TOKEN',
    'LATCHKEY_BUSINESS_ID',
  ].map((name) => {
    const value = process.env[name];
    if (!value) throw new Error(name + ' is unset');
    return value;
  });

  const owner = createLatchkeyClient(base, { token: ownerToken, businessId });
  const me = await owner.GET('/api/v1/me');
  if (!me.data) throw new Error('GET /api/v1/me: ' + me.error.code);

  const edge = new EdgeVerifier({ baseUrl: base });
  const online = await edge.verify(ordersToken, { businessId });
  const again = edge.checkCached(ordersToken) ?? (await edge.verify(ordersToken));

  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jkt = await dpopThumbprint({ ...pair, alg: 'ES256' });
  const made = await owner.POST('/api/v1/tokens', { body: { name: 'bound', dpop_jkt: jkt } });
  if (!made.data) throw new Error('POST /api/v1/tokens: ' + made.error.code);
  const bound = createLatchkeyClient(base, { token: made.data.data.token, businessId });
  bound.use(await dpopMiddleware(made.data.data.token, { ...pair, alg: 'ES256' }));
  const boundMe = await bound.GET('/api/v1/me');

  const app = express();
  app.get('/orders', latchkey({ verifier: edge }), requireScopes('orders:read'), (req, res) => {
    res.json({ identityId: req.latchkey?.identityId, meta: req.latchkey?.meta });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const url = 'http://127.0.0.1:' + address.port + '/orders';
  const allowed = await fetch(url, { headers: { authorization: 'Bearer ' + ordersToken } });
  const refused = await fetch(url, { headers: { authorization: 'Bearer ' + otherToken } });
  const guarded = {
    allowed: { status: allowed.status, body: await allowed.json() },
    refused: { status: refused.status, body: await refused.json() },
  };
  server.closeAllConnections();
  server.close();

  return {
    resolved,
    me: { status: me.response.status, identityId: me.data.data.identity.id },
    online,
    again,
    dpop: { jkt, status: boundMe.response.status, boundTo: boundMe.data?.data.token.dpop_jkt },
    express: guarded,
  };
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
`;

const IMPORTS = `import { once } from 'node:events';
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { createLatchkeyClient } from '@latchkey/client';
import { EdgeVerifier } from '@latchkey/client/verifier';
import { dpopMiddleware, dpopThumbprint } from '@latchkey/client/dpop';
import { latchkey, requireScopes } from '@latchkey/client/express';
`;

/** Each consumer, by file: its imports, and where it found the verifier. */
const CONSUMERS: Record<string, string> = {
  'consumer.cjs': `'use strict';
const { once } = require('node:events');
const { generateKeyPairSync } = require('node:crypto');
const express = require('express');
const { createLatchkeyClient } = require('@latchkey/client');
const { EdgeVerifier } = require('@latchkey/client/verifier');
const { dpopMiddleware, dpopThumbprint } = require('@latchkey/client/dpop');
const { latchkey, requireScopes } = require('@latchkey/client/express');
const resolved = require.resolve('@latchkey/client/verifier');
`,
  'consumer.mjs': `${IMPORTS}import { fileURLToPath } from 'node:url';
const resolved = fileURLToPath(import.meta.resolve('@latchkey/client/verifier'));
`,
  'consumer-ts.mts': `${IMPORTS}import { fileURLToPath } from 'node:url';
const resolved = fileURLToPath(import.meta.resolve('@latchkey/client/verifier'));
`,
  'consumer-ts.cts': `${IMPORTS}const resolved = require.resolve('@latchkey/client/verifier');
`,
};

const TS_CONSUMERS = ['consumer-ts.mts', 'consumer-ts.cts'] as const;

describe('@latchkey/client as users get it (npm pack, installed in a project of its own)', () => {
  const work = mkdtempSync(join(tmpdir(), 'latchkey-client-package-'));
  const project = join(work, 'project');
  const agent = new http.Agent({ keepAlive: false });
  const running = new Set<Child>();
  let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
  let install: Ran;
  let latchkeyApp: AppProcess;
  let business: { businessId: string; ownerToken: string };
  /** Tokens of the owner: each with meta, `profile` without orders:read, `orders` with it. */
  const tokens: Record<'profile' | 'orders', { token: string; identityId: string }> = {
    profile: { token: '', identityId: '' },
    orders: { token: '', identityId: '' },
  };
  let consumerTsc: Ran;
  let exampleTsc: Ran;

  async function startLatchkey(): Promise<AppProcess> {
    await buildApp();
    for (let attempt = 1; ; attempt++) {
      // PUBLIC_BASE_URL on 127.0.0.1: the status lists are where a verifier of LATCHKEY_URL looks.
      const port = await freePort();
      try {
        return await startAppProcess({
          name: 'client-package-latchkey',
          port,
          env: {
            SQLITE_PATH: join(work, 'latchkey.sqlite'),
            PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
            LOG_LEVEL: 'warn',
            ...RATE_LIMITS_OFF,
          },
        });
      } catch (e) {
        if (attempt >= 3 || !/in use/.test(String(e))) throw e;
      }
    }
  }

  async function pack(): Promise<void> {
    const dest = join(work, 'pack');
    mkdirSync(dest);
    const ran = ok(
      await run('npm', ['pack', '--json', '--pack-destination', dest], PACKAGE_DIR),
      'npm pack',
    );
    [packed] = JSON.parse(ran.stdout) as (typeof packed)[];
    packed.filename = join(dest, packed.filename);
  }

  beforeAll(async () => {
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'latchkey-client-users-app', private: true })}\n`,
    );
    const frameworks = Object.entries(FRAMEWORKS).map(([name, major]) => locked(name, major));
    // The frameworks first, on their own: what npm says of the package's install is its alone.
    // All settled before any failure is thrown, so afterAll finds the server if it started.
    const setup = await Promise.allSettled([
      pack(),
      npmInstall(frameworks, project).then((ran) => ok(ran, 'npm install <frameworks>')),
      startLatchkey().then((app) => (latchkeyApp = app)),
    ]);
    for (const step of setup) if (step.status === 'rejected') throw step.reason;
    install = await npmInstall([packed.filename], project);
    ok(install, `npm install ${packed.filename}`);

    const api = new LatchkeyClient(latchkeyApp.url);
    if (!latchkeyApp.platformToken) throw new Error('Latchkey printed no platform admin token');
    business = await api.createBusiness(latchkeyApp.platformToken, 'client-package');
    for (const [name, scopes] of [
      ['profile', ['profile:read']],
      ['orders', ['orders:read']],
    ] as const) {
      const res = await api.request<{ data: { token: string; identity_id: string } }>(
        'POST',
        '/api/v1/tokens',
        {
          headers: {
            authorization: `Bearer ${business.ownerToken}`,
            'x-business-id': business.businessId,
          },
          body: { name, scopes, meta: { plan: 'pro' } },
        },
      );
      if (res.status !== 201) throw new Error(`create token: ${JSON.stringify(res.body)}`);
      tokens[name] = { token: res.body.data.token, identityId: res.body.data.identity_id };
    }

    for (const [file, imports] of Object.entries(CONSUMERS)) {
      writeFileSync(join(project, file), `${imports}${CONSUMER_BODY}`);
    }
    for (const { name, heading } of EXAMPLES) {
      writeFileSync(join(project, `${name}.mts`), readmeExample(heading));
    }
    const strict = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: false,
    };
    const tsconfig = (name: string, options: object, files: string[]) =>
      writeFileSync(
        join(project, name),
        JSON.stringify({ compilerOptions: { ...strict, ...options }, files }),
      );
    // A Node-only project, as @tsconfig/node20 sets one up: no DOM types to lean on.
    tsconfig('tsconfig.consumers.json', { lib: ['es2023'], outDir: 'out' }, [...TS_CONSUMERS]);
    tsconfig(
      'tsconfig.examples.json',
      { experimentalDecorators: true, emitDecoratorMetadata: true, outDir: 'out' },
      EXAMPLES.map((e) => `${e.name}.mts`),
    );
    [consumerTsc, exampleTsc] = await Promise.all(
      ['tsconfig.consumers.json', 'tsconfig.examples.json'].map((p) =>
        run(process.execPath, [TSC, '-p', p, '--pretty', 'false'], project),
      ),
    );
  }, TIMEOUT_MS);

  afterAll(async () => {
    await stopAll([...running], 2000);
    await latchkeyApp?.stop();
    agent.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it(`packs under ${MAX_PACKED_BYTES / 1000} kB: dist (CommonJS, ESM, schema), README, CHANGELOG, package.json, and no sources or tests`, () => {
    const paths = packed.files.map((f) => f.path);
    expect(packed.size).toBeLessThan(MAX_PACKED_BYTES);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dist/cjs/index.js',
        'dist/esm/index.js',
        'dist/schema.d.ts',
        'README.md',
        'CHANGELOG.md',
        'package.json',
      ]),
    );
    const shipped =
      /^(dist\/(cjs|esm)\/.+|dist\/schema\.d\.ts|README\.md|CHANGELOG\.md|package\.json)$/;
    expect(paths.filter((p) => !shipped.test(p))).toEqual([]);
    const sourceOrTest = (p: string) =>
      /(^|\/)(src|tests?|__tests__)\//.test(p) ||
      /\.(spec|test)\.[cm]?[jt]s$/.test(p) ||
      (/\.[cm]?ts$/.test(p) && !/\.d\.[cm]?ts$/.test(p));
    expect(paths.filter(sourceOrTest)).toEqual([]);
  });

  it('ships every file its package.json names (main, module, types, each export)', () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      main: string;
      module: string;
      types: string;
      exports: Record<string, unknown>;
    };
    const targets = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : Object.values(value as object).flatMap(targets);
    const named = [manifest.main, manifest.module, manifest.types, ...targets(manifest.exports)];
    const paths = new Set(packed.files.map((f) => f.path));
    expect(named.map((p) => p.replace(/^\.\//, '')).filter((p) => !paths.has(p))).toEqual([]);
  });

  it('installs from the tarball without a warning from npm', () => {
    expect(install.stderr.match(NPM_WARNING) ?? []).toEqual([]);
  });

  it.each(['consumer.cjs', 'consumer.mjs'])(
    '%s: the client, the verifier, DPoP and the Express middleware against a live Latchkey',
    async (file) => {
      await expectConsumerWorks(file, file.endsWith('.cjs') ? 'cjs' : 'esm');
    },
    TIMEOUT_MS,
  );

  it.each([
    ['consumer-ts.mts', 'out/consumer-ts.mjs', 'esm'],
    ['consumer-ts.cts', 'out/consumer-ts.cjs', 'cjs'],
  ] as const)(
    '%s: strict TypeScript (module nodenext, skipLibCheck false) compiles, and its output runs',
    async (source, output, system) => {
      expect(errorsFor(consumerTsc, source, TS_CONSUMERS)).toEqual([]);
      await expectConsumerWorks(output, system);
    },
    TIMEOUT_MS,
  );

  async function expectConsumerWorks(file: string, system: 'cjs' | 'esm'): Promise<void> {
    const ran = await run(
      process.execPath,
      [file],
      project,
      {
        LATCHKEY_URL: latchkeyApp.url,
        LATCHKEY_OWNER_TOKEN: business.ownerToken,
        LATCHKEY_ORDERS_TOKEN: tokens.orders.token,
        LATCHKEY_OTHER_TOKEN: tokens.profile.token,
        LATCHKEY_BUSINESS_ID: business.businessId,
      },
      30_000,
    );
    // It exits by itself: nothing the package holds keeps a finished program running.
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(ran.stdout) as Record<string, unknown>;
    const { identityId } = tokens.orders;
    expect(result.resolved).toBe(
      join(project, 'node_modules', '@latchkey', 'client', 'dist', system, 'verifier.js'),
    );
    expect(result.me).toEqual({ status: 200, identityId });
    const verified = {
      valid: true,
      businessId: business.businessId,
      identityId,
      scopes: ['orders:read'],
      meta: { plan: 'pro' },
    };
    expect(result.online).toMatchObject({ ...verified, source: 'online' });
    expect(result.again).toMatchObject({ ...verified, source: 'list' });
    expect(result.dpop).toMatchObject({
      status: 200,
      boundTo: (result.dpop as { jkt: string }).jkt,
    });
    expect((result.dpop as { jkt: string }).jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.express).toEqual({
      allowed: { status: 200, body: { identityId, meta: { plan: 'pro' } } },
      refused: { status: 403, body: expect.objectContaining({ code: 'INSUFFICIENT_SCOPE' }) },
    });
  }

  describe.each(EXAMPLES)("README's $heading example, as written", ({ name, open }) => {
    it(
      `compiles strictly, listens on PORT, and guards its routes with the Latchkey at LATCHKEY_URL`,
      async () => {
        expect(readFileSync(join(project, `${name}.mts`), 'utf8')).toContain(
          `from '@latchkey/client/${name}';`,
        );
        const sources = EXAMPLES.map((e) => `${e.name}.mts`);
        expect(errorsFor(exampleTsc, `${name}.mts`, sources)).toEqual([]);
        const { port, child } = await startExample(name);
        try {
          const get = (path: string, token?: string) =>
            httpRequest<Record<string, unknown>>(`http://127.0.0.1:${port}`, 'GET', path, {
              agent,
              headers: token ? { authorization: `Bearer ${token}` } : {},
            });
          const { profile, orders } = tokens;

          const whoami = await get('/whoami', profile.token);
          expect({ status: whoami.status, body: whoami.body }).toEqual({
            status: 200,
            body: {
              identityId: profile.identityId,
              scopes: ['profile:read'],
              meta: { plan: 'pro' },
            },
          });

          for (const token of [undefined, `lk_${'x'.repeat(36)}`]) {
            const refused = await get('/whoami', token);
            expect(refused.status).toBe(401);
            expect(refused.body).toMatchObject({ success: false, code: 'INVALID_TOKEN' });
            expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
          }

          const short = await get('/orders', profile.token);
          expect(short.status).toBe(403);
          expect(short.body).toMatchObject({ success: false, code: 'INSUFFICIENT_SCOPE' });
          expect(short.headers['www-authenticate']).toBe(
            'Bearer error="insufficient_scope", scope="orders:read"',
          );

          const allowed = await get('/orders', orders.token);
          expect({ status: allowed.status, body: allowed.body }).toEqual({
            status: 200,
            body: { orders: [], for: orders.identityId },
          });

          if (open) {
            const health = await get(open);
            expect({ status: health.status, body: health.body }).toEqual({
              status: 200,
              body: { ok: true },
            });
          }
          expect(child.running).toBe(true);
        } finally {
          await child.stop(2000);
          running.delete(child);
        }
      },
      TIMEOUT_MS,
    );
  });

  /** Starts `out/<name>.mjs` with LATCHKEY_URL and PORT; resolves once its port takes a connection. */
  async function startExample(name: string): Promise<{ port: number; child: Child }> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = Child.spawn(`readme-${name}`, process.execPath, [`out/${name}.mjs`], {
        cwd: project,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? '/tmp',
          LATCHKEY_URL: latchkeyApp.url,
          PORT: String(port),
        },
      });
      running.add(child);
      if (await listening(port, child, 20_000)) return { port, child };
      await child.stop(1000);
      running.delete(child);
      // Another suite may take a free port before the example listens on it.
      if (attempt >= 3 || !/EADDRINUSE/.test(child.output())) {
        throw new Error(`${name}.mjs did not listen on ${port}:\n${child.tail()}`);
      }
    }
  }
});

/** Whether `child` listens on `port` within `timeoutMs`; false once it exits or time is up. */
async function listening(port: number, child: Child, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (child.running && Date.now() < deadline) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected && child.running) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
