import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, REPO_ROOT, startAppProcess } from '../../harness/app-process';
import { BusinessSetup, LatchkeyClient, scoped } from '../../harness/latchkey-client';
import {
  ChromiumSession,
  hasChromium,
  launchChromium,
  opblockSelector,
  SwaggerUi,
} from '../../harness/browser/swagger-ui';
import { buildApp } from '../../harness/app-cluster';

const TIMEOUT_MS = 180_000;
/** Ignored by git: what the browser showed at each step, and at a failure. */
const SHOTS = join(REPO_ROOT, 'test-results', 'swagger-ui');

const ME = opblockSelector('me', 'getMe');
const LIST_TOKENS = opblockSelector('tokens', 'listTokens');
const REVOKE_TOKEN = opblockSelector('tokens', 'revokeToken');

if (hasChromium()) {
  /**
   * Swagger UI as a person uses it, in headless Chromium against the built app: Authorize with
   * the bearer token and the business id, then "Try it out" and "Execute" on live routes. The
   * steps run in order, each on the page the previous one left.
   */
  describe('Swagger UI in Chromium', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-swagger-ui-'));
    let app: AppProcess | undefined;
    let browser: ChromiumSession | undefined;
    let client: LatchkeyClient;
    let owner: BusinessSetup;
    let ui: SwaggerUi;

    /** Runs a step and saves a screenshot of the window, also when the step fails. */
    async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
      try {
        const result = await fn();
        await ui.screenshot(join(SHOTS, `${name}.png`));
        return result;
      } catch (e) {
        await ui.screenshot(join(SHOTS, `${name}-failed.png`)).catch(() => undefined);
        throw e;
      }
    }

    beforeAll(async () => {
      await buildApp();
      app = await startAppProcess({
        name: 'swagger-ui',
        env: { SQLITE_PATH: join(dir, 'ui.sqlite'), LOG_LEVEL: 'warn', ...RATE_LIMITS_OFF },
      });
      client = new LatchkeyClient(app.url);
      owner = await client.createBusiness(app.platformToken!, 'swagger-ui');
      browser = await launchChromium();
      ui = new SwaggerUi(browser.page);
      await ui.open(app.url);
    }, TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, TIMEOUT_MS);

    it(
      'authorizes with the bearer token and the business-id key from the Authorize dialog',
      async () => {
        const authorized = await step('authorize', () =>
          ui.authorize({ bearer: owner.ownerToken, businessId: owner.businessId }),
        );
        expect(authorized).toEqual(['bearer', 'business-id']);
        expect(await step('authorized', () => ui.closeDialog())).toBe(true);
      },
      TIMEOUT_MS,
    );

    it(
      'executes GET /api/v1/me and shows the caller in the business',
      async () => {
        const res = await step('me', () => ui.tryItOut(ME));
        expect(res.status).toBe(200);
        expect(res.body).toContain('"success": true');
        expect(res.body).toContain(`"business_id": "${owner.businessId}"`);
        expect(res.body).toContain('"role": "owner"');
        expect(res.body).not.toContain(owner.ownerToken);
      },
      TIMEOUT_MS,
    );

    it(
      'executes GET /api/v1/tokens and lists the business tokens',
      async () => {
        const made = await client.createToken(owner, 'listed-in-swagger-ui');
        const res = await step('list-tokens', () => ui.tryItOut(LIST_TOKENS));
        expect(res.status).toBe(200);
        expect(res.body).toContain('"success": true');
        expect(res.body).toContain(`"id": "${made.id}"`);
        expect(res.body).toContain('"name": "listed-in-swagger-ui"');
        expect(res.body).toContain(`"business_id": "${owner.businessId}"`);
        expect(res.body).not.toContain(made.token);
      },
      TIMEOUT_MS,
    );

    it(
      'executes POST /api/v1/tokens/{token_id}/revoke, and the API then reports the token revoked',
      async () => {
        const victim = await client.createToken(owner, 'revoked-in-swagger-ui');
        const res = await step('revoke', () =>
          ui.tryItOut(REVOKE_TOKEN, {
            path: { token_id: victim.id },
            body: { reason: 'revoked from Swagger UI' },
          }),
        );
        expect(res.status).toBe(201);
        expect(res.body).toContain('"success": true');
        expect(res.body).toContain(`"id": "${victim.id}"`);
        expect(res.body).toContain('"status": "revoked"');
        expect(res.body).toContain('"revocation_reason": "revoked from Swagger UI"');

        const after = await client.request<{ data: { status: string } }>(
          'GET',
          `/api/v1/tokens/${victim.id}`,
          { headers: scoped(owner.ownerToken, owner.businessId) },
        );
        expect(after.status).toBe(200);
        expect(after.body.data.status).toBe('revoked');
        expect((await client.me(victim.token, owner.businessId)).status).toBe(401);
      },
      TIMEOUT_MS,
    );
  });
} else {
  // Built conditionally rather than skipped, so the summary shows a todo that says why.
  describe('Swagger UI in Chromium', () => {
    it.todo('runs when /usr/bin/chromium is installed (bash .ci/run installs it)');
  });
}
