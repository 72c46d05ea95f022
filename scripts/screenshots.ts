/**
 * Refreshes the Swagger UI screenshots in docs/ (`npm run docs:screenshots`). It starts the built
 * app on a throwaway SQLite database, makes a business, and walks /docs in headless Chromium with
 * the same steps test/console/processes/swagger-ui.e2e-spec.ts checks: Authorize, then "Try it out" and "Execute".
 * Each response must be the expected one, so a picture never shows an error. Every secret on
 * screen belongs to the throwaway instance, and Swagger UI masks the authorized values.
 *
 *   ts-node --transpile-only scripts/screenshots.ts [out-dir]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../test/harness/app-process';
import { LatchkeyClient } from '../test/harness/latchkey-client';
import {
  ChromiumSession,
  CHROMIUM_PATH,
  hasChromium,
  LiveResponse,
  launchChromium,
  opblockSelector,
  SwaggerUi,
} from '../test/harness/browser/swagger-ui';

function expectStatus(what: string, res: LiveResponse, status: number): void {
  if (res.status !== status) {
    throw new Error(`${what}: Swagger UI showed ${res.status}, expected ${status}:\n${res.body}`);
  }
}

async function main(): Promise<void> {
  if (!hasChromium()) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium`);
  const out = resolve(process.argv[2] ?? 'docs');
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-screenshots-'));
  let app: AppProcess | undefined;
  let browser: ChromiumSession | undefined;
  try {
    app = await startAppProcess({
      name: 'screenshots',
      env: { SQLITE_PATH: join(dir, 'docs.sqlite'), LOG_LEVEL: 'warn', ...RATE_LIMITS_OFF },
    });
    const client = new LatchkeyClient(app.url);
    const owner = await client.createBusiness(app.platformToken!, 'acme');
    const ci = await client.createToken(owner, 'ci-deploy');

    browser = await launchChromium();
    const ui = new SwaggerUi(browser.page);
    await ui.open(app.url);

    await ui.authorize({ bearer: owner.ownerToken, businessId: owner.businessId });
    await ui.screenshot(join(out, 'swagger-ui-authorize.png'));
    await ui.closeDialog();

    const me = opblockSelector('me', 'getMe');
    expectStatus('GET /api/v1/me', await ui.tryItOut(me), 200);
    await ui.showResponse(me);
    await ui.screenshot(join(out, 'swagger-ui-me.png'));

    const revoke = opblockSelector('tokens', 'revokeToken');
    const revoked = await ui.tryItOut(revoke, {
      path: { token_id: ci.id },
      body: { reason: 'leaked in a build log' },
    });
    expectStatus('POST /api/v1/tokens/{token_id}/revoke', revoked, 201);
    await ui.showResponse(revoke);
    await ui.screenshot(join(out, 'swagger-ui-revoke.png'));
  } finally {
    await browser?.close();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `Screenshots written to ${out}: swagger-ui-authorize.png, swagger-ui-me.png, swagger-ui-revoke.png\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
