import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, REPO_ROOT } from '../../harness/app-process';
import { Child, stopAll } from '../../harness/child';
import { LatchkeyClient } from '../../harness/latchkey-client';
import {
  EXAMPLES,
  errorsFor,
  FRAMEWORKS,
  locked,
  TS_CONSUMERS,
  writeAndCompile,
} from './client-project';
import {
  docsCommands,
  downUrl,
  get,
  ok,
  Ran,
  revokedToken,
  run,
  startLatchkey,
  startScratchApp,
} from './package-scratch';

/**
 * @latchkey/client as its users get it: the tarball `npm run pack:clients` writes for the release
 * (docs/clients.md's command, run as written), installed by the docs' own command into a project
 * of its own outside the repository, beside the frameworks its README names; then used from
 * CommonJS and ES modules, type-checked strictly with the shipped declarations checked too
 * (`skipLibCheck: false`), and each framework example of its README ("Protecting your API")
 * compiled and run as written against the built server: allowed, refused for a scope, revoked,
 * and with Latchkey down. Versions are the root lockfile's, so the npm cache answers the installs.
 */

const PACKAGE_DIR = join(REPO_ROOT, 'packages', 'client');
const TIMEOUT_MS = 180_000;
// Packing, installing and compiling take most of a minute on an idle machine, and far longer beside
// the suites that share its two cores.
const SETUP_TIMEOUT_MS = 360_000;
const MAX_PACKED_BYTES = 200_000;

const NPM_WARNING = /^npm warn.*$/gim;
const npmInstall = (specs: string[], cwd: string) =>
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], cwd);

/** The command that writes the release artifacts, and the one that installs the tarball. */
const PACK_BLOCK = { file: 'docs/clients.md', holds: 'npm run pack:clients' };
const INSTALL_HOLDS = 'npm install ../latchkey/dist/packages/latchkey-client-';
const INSTALL_BLOCKS = ['docs/clients.md', 'packages/client/README.md'];
// As a user's shell runs `npm install`, with the flags the suite gives its own installs.
const QUIET_NPM = {
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
};

describe('@latchkey/client as users get it (the release tarball, installed in a project of its own)', () => {
  // The reader's layout: the clone of Latchkey (this repository) beside their app.
  const work = mkdtempSync(join(tmpdir(), 'latchkey-client-package-'));
  const project = join(work, 'project');
  const running = new Set<Child>();
  const version = (
    JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const tarball = join(REPO_ROOT, 'dist', 'packages', `latchkey-client-${version}.tgz`);
  let packed: { size: number; files: string[] };
  let installCommands: string[][];
  let install: Ran;
  let latchkeyApp: AppProcess;
  let api: LatchkeyClient;
  let business: { businessId: string; ownerToken: string };
  /** Tokens of the owner: each with meta, `profile` without orders:read, `orders` with it. */
  const tokens: Record<'profile' | 'orders', { token: string; identityId: string }> = {
    profile: { token: '', identityId: '' },
    orders: { token: '', identityId: '' },
  };
  let consumerTsc: Ran;
  let exampleTsc: Ran;

  /** docs/clients.md's command, in the repository, as written; then what the tarball holds. */
  async function pack(): Promise<void> {
    for (const command of docsCommands(PACK_BLOCK.file, PACK_BLOCK.holds)) {
      ok(await run('bash', ['-c', command], REPO_ROOT), command);
    }
    const listed = ok(await run('tar', ['-tzf', tarball], work), `tar -tzf ${tarball}`);
    packed = {
      size: statSync(tarball).size,
      files: listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((p) => p.replace(/^package\//, '')),
    };
  }

  beforeAll(async () => {
    mkdirSync(project);
    symlinkSync(REPO_ROOT, join(work, 'latchkey'), 'dir');
    installCommands = INSTALL_BLOCKS.map((file) => docsCommands(file, INSTALL_HOLDS));
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
      startLatchkey('client-package-latchkey', work).then((app) => (latchkeyApp = app)),
    ]);
    for (const step of setup) if (step.status === 'rejected') throw step.reason;
    const [command] = installCommands[0];
    install = ok(await run('bash', ['-c', command], project, QUIET_NPM), command);

    api = new LatchkeyClient(latchkeyApp.url);
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

    ({ consumerTsc, exampleTsc } = await writeAndCompile(project));
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stopAll([...running], 2000);
    await latchkeyApp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('npm run pack:clients writes the release artifacts docs/clients.md names, and the docs install the tarball with one command', () => {
    const python = /^version = "([^"]+)"$/m.exec(
      readFileSync(join(REPO_ROOT, 'clients', 'python', 'pyproject.toml'), 'utf8'),
    )?.[1];
    const written = readdirSync(join(REPO_ROOT, 'dist', 'packages')).sort();
    const expected = [
      `latchkey-${python}-py3-none-any.whl`,
      `latchkey-${python}.tar.gz`,
      `latchkey-client-${version}.tgz`,
    ];
    expect(written).toEqual(expect.arrayContaining(expected));
    const docs = readFileSync(join(REPO_ROOT, PACK_BLOCK.file), 'utf8');
    expect(expected.filter((name) => !docs.includes(name))).toEqual([]);
    // The same command in each document, naming this version's tarball.
    expect(installCommands).toEqual(
      INSTALL_BLOCKS.map(() => [
        `npm install ../latchkey/dist/packages/latchkey-client-${version}.tgz`,
      ]),
    );
  });

  it(`packs under ${MAX_PACKED_BYTES / 1000} kB: dist (CommonJS, ESM, schema), README, CHANGELOG, package.json, and no sources, tests or source maps`, () => {
    const paths = packed.files;
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
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
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
    const paths = new Set(packed.files);
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
    /** `out/<name>.mjs`, as compiled, with Latchkey at `latchkeyUrl`. */
    async function startExample(latchkeyUrl: string) {
      const app = await startScratchApp(
        `readme-${name}`,
        process.execPath,
        [`out/${name}.mjs`],
        project,
        { LATCHKEY_URL: latchkeyUrl },
      );
      running.add(app.child);
      return app;
    }

    async function stop(child: Child) {
      await child.stop(2000);
      running.delete(child);
    }

    it(
      'compiles strictly, listens on PORT, and guards its routes with the Latchkey at LATCHKEY_URL: allowed, a missing scope, no token, a revoked token',
      async () => {
        expect(readFileSync(join(project, `${name}.mts`), 'utf8')).toContain(
          `from '@latchkey/client/${name}';`,
        );
        const sources = EXAMPLES.map((e) => `${e.name}.mts`);
        expect(errorsFor(exampleTsc, `${name}.mts`, sources)).toEqual([]);
        const revoked = await revokedToken(api, business, `revoked-${name}`);
        const { origin, child } = await startExample(latchkeyApp.url);
        try {
          const { profile, orders } = tokens;

          const whoami = await get(origin, '/whoami', profile.token);
          expect({ status: whoami.status, body: whoami.body }).toEqual({
            status: 200,
            body: {
              identityId: profile.identityId,
              scopes: ['profile:read'],
              meta: { plan: 'pro' },
            },
          });

          const allowed = await get(origin, '/orders', orders.token);
          expect({ status: allowed.status, body: allowed.body }).toEqual({
            status: 200,
            body: { orders: [], for: orders.identityId },
          });

          const short = await get(origin, '/orders', profile.token);
          expect(short.status).toBe(403);
          expect(short.body).toMatchObject({ success: false, code: 'INSUFFICIENT_SCOPE' });
          expect(short.headers['www-authenticate']).toBe(
            'Bearer error="insufficient_scope", scope="orders:read"',
          );

          for (const [token, code] of [
            [undefined, 'INVALID_TOKEN'],
            [`lk_${'x'.repeat(36)}`, 'INVALID_TOKEN'],
            [revoked, 'TOKEN_REVOKED'],
          ] as const) {
            const refused = await get(origin, '/whoami', token);
            expect({ status: refused.status, body: refused.body }).toEqual({
              status: 401,
              body: expect.objectContaining({ success: false, code }),
            });
            expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
          }

          if (open) {
            const health = await get(origin, open);
            expect({ status: health.status, body: health.body }).toEqual({
              status: 200,
              body: { ok: true },
            });
          }
          expect(child.running).toBe(true);
        } finally {
          await stop(child);
        }
      },
      TIMEOUT_MS,
    );

    it(
      'with Latchkey down, answers 503 LATCHKEY_UNAVAILABLE with Retry-After, and lets no request through',
      async () => {
        const { origin, child } = await startExample(await downUrl());
        try {
          for (const path of ['/whoami', '/orders']) {
            const down = await get(origin, path, tokens.orders.token);
            expect({ status: down.status, body: down.body }).toEqual({
              status: 503,
              body: expect.objectContaining({ success: false, code: 'LATCHKEY_UNAVAILABLE' }),
            });
            expect(Number(down.headers['retry-after'])).toBeGreaterThan(0);
          }
          expect((await get(origin, '/whoami')).status).toBe(401);
          if (open) expect((await get(origin, open)).status).toBe(200);
          expect(child.running).toBe(true);
        } finally {
          await stop(child);
        }
      },
      TIMEOUT_MS,
    );
  });
});
