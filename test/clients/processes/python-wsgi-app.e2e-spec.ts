import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, REPO_ROOT } from '../../harness/app-process';
import { Child, stopAll } from '../../harness/child';
import { LatchkeyClient } from '../../harness/latchkey-client';
import { PYTHON } from '../../harness/python';
import {
  downUrl,
  get,
  ownerToken,
  revokedToken,
  startLatchkey,
  startScratchApp,
} from './package-scratch';
import {
  leftOutWithoutPip,
  packPython,
  pipInstall,
  PYTHON_VERSION as version,
} from './python-scratch';

/**
 * The Python client's WSGI middleware as its users run it: the release wheel (`npm run
 * pack:clients`) installed by `pip install --no-index --target` into a folder of its own, and a
 * WSGI app (wsgi_app.py, served by wsgiref) that imports only what pip put there, guarding its
 * routes against the built server: allowed, a missing scope, no token, a revoked token, and
 * Latchkey down.
 */

const HERE = join(REPO_ROOT, 'test', 'clients', 'processes');
const SETUP_TIMEOUT_MS = 240_000;
const TIMEOUT_MS = 180_000;

describe('a WSGI app with the release wheel installed beside it, against a live Latchkey', () => {
  if (leftOutWithoutPip()) return;

  const work = mkdtempSync(join(tmpdir(), 'latchkey-python-wsgi-'));
  const app = join(work, 'app');
  const running = new Set<Child>();
  let latchkeyApp: AppProcess;
  let api: LatchkeyClient;
  let business: { businessId: string; ownerToken: string };
  let site: string;

  beforeAll(async () => {
    mkdirSync(app);
    copyFileSync(join(HERE, 'wsgi_app.py'), join(app, 'wsgi_app.py'));
    const setup = await Promise.allSettled([
      packPython(join(work, 'packages')).then(async ({ wheel }) => {
        site = await pipInstall(work, wheel);
      }),
      startLatchkey('python-wsgi-latchkey', work).then((started) => (latchkeyApp = started)),
    ]);
    for (const step of setup) if (step.status === 'rejected') throw step.reason;
    api = new LatchkeyClient(latchkeyApp.url);
    if (!latchkeyApp.platformToken) throw new Error('Latchkey printed no platform admin token');
    business = await api.createBusiness(latchkeyApp.platformToken, 'python-wsgi');
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stopAll([...running], 2000);
    await latchkeyApp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** wsgi_app.py, importing only what pip installed in `site`, with Latchkey at `url`. */
  async function startWsgiApp(url: string) {
    const started = await startScratchApp('wsgi-app', PYTHON, ['-B', '-s', 'wsgi_app.py'], app, {
      LATCHKEY_URL: url,
      PYTHONPATH: site,
    });
    running.add(started.child);
    return started;
  }

  async function stop(child: Child) {
    await child.stop(2000);
    running.delete(child);
  }

  it(
    'guards its routes: allowed, a missing scope, no token, a revoked token',
    async () => {
      const orders = await ownerToken(api, business, 'wsgi-orders', ['orders:read']);
      const profile = await ownerToken(api, business, 'wsgi-profile', ['profile:read']);
      const revoked = await revokedToken(api, business, 'wsgi-revoked');
      const me = await api.me(orders.token, business.businessId);
      const identityId = (me.body as { data: { identity: { id: string } } }).data.identity.id;
      const { origin, child } = await startWsgiApp(latchkeyApp.url);
      try {
        const where = await get(origin, '/where');
        expect(where.body).toEqual({ file: join(site, 'latchkey', '__init__.py'), version });

        const whoami = await get(origin, '/whoami', profile.token);
        expect({ status: whoami.status, body: whoami.body }).toEqual({
          status: 200,
          body: { identityId, scopes: ['profile:read'], meta: { plan: 'pro' } },
        });
        const allowed = await get(origin, '/orders', orders.token);
        expect({ status: allowed.status, body: allowed.body }).toEqual({
          status: 200,
          body: { orders: [], for: identityId },
        });

        const short = await get(origin, '/orders', profile.token);
        expect({ status: short.status, body: short.body }).toEqual({
          status: 403,
          body: expect.objectContaining({ success: false, code: 'INSUFFICIENT_SCOPE' }),
        });
        expect(short.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);

        for (const [token, code] of [
          [undefined, 'INVALID_TOKEN'],
          [revoked, 'TOKEN_REVOKED'],
        ] as const) {
          const refused = await get(origin, '/whoami', token);
          expect({ status: refused.status, body: refused.body }).toEqual({
            status: 401,
            body: expect.objectContaining({ success: false, code }),
          });
          expect(refused.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
        }
        expect(child.running).toBe(true);
      } finally {
        await stop(child);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'with Latchkey down, answers 503 and lets no request through',
    async () => {
      const token = await ownerToken(api, business, 'wsgi-down', ['orders:read']);
      const { origin, child } = await startWsgiApp(await downUrl());
      try {
        for (const path of ['/whoami', '/orders']) {
          const down = await get(origin, path, token.token);
          // The code is the middleware's to name (docs/clients.md); an outage's is *_UNAVAILABLE.
          expect({ status: down.status, body: down.body }).toEqual({
            status: 503,
            body: expect.objectContaining({
              success: false,
              code: expect.stringMatching(/_UNAVAILABLE$/) as unknown,
            }),
          });
        }
        expect((await get(origin, '/where')).status).toBe(200);
      } finally {
        await stop(child);
      }
    },
    TIMEOUT_MS,
  );
});
