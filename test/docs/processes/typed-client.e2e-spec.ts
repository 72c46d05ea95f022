import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLatchkeyClient } from '../../../packages/client/src';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../harness/app-process';
import { buildApp } from '../../harness/app-cluster';

const TIMEOUT_MS = 180_000;

/**
 * The generated client (packages/client) against the built server, as a user of it writes
 * code: no casts, the bodies narrowed by status, so a spec that lies about a shape fails here.
 */
describe('typed client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-typed-client-'));
  let app: AppProcess;

  beforeAll(async () => {
    await buildApp();
    app = await startAppProcess({
      name: 'typed-client',
      env: { SQLITE_PATH: join(dir, 'app.sqlite'), LOG_LEVEL: 'warn', ...RATE_LIMITS_OFF },
    });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'creates a business, issues, lists and revokes a token, and reads the revocation in the audit log',
    async () => {
      const platformToken = app.platformToken;
      if (!platformToken) throw new Error('the app printed no platform admin token');
      const platform = createLatchkeyClient(app.url, { token: platformToken });

      const created = await platform.POST('/platform/v1/businesses', {
        body: { name: 'Typed Client Co', owner_email: `owner-${randomUUID()}@typed.test` },
      });
      expect(created.response.status).toBe(201);
      if (!created.data) throw new Error(`create business: ${JSON.stringify(created.error)}`);
      const { business, owner, first_token } = created.data.data;
      expect(business.status).toBe('active');
      expect(owner.role).toBe('owner');
      expect(first_token.token).toMatch(/^lk_[0-9A-Za-z]{36}$/);

      const client = createLatchkeyClient(app.url, {
        token: first_token.token,
        businessId: business.id,
      });

      const issued = await client.POST('/api/v1/tokens', {
        body: { name: 'ci-deploy', scopes: ['deploy:write'] },
      });
      expect(issued.response.status).toBe(201);
      if (!issued.data) throw new Error(`create token: ${JSON.stringify(issued.error)}`);
      const token = issued.data.data;
      expect(token).toMatchObject({
        name: 'ci-deploy',
        scopes: ['deploy:write'],
        status: 'active',
        business_id: business.id,
        revoked_at: null,
      });

      const listed = await client.GET('/api/v1/tokens', { params: { query: { limit: 10 } } });
      expect(listed.response.status).toBe(200);
      if (!listed.data) throw new Error(`list tokens: ${JSON.stringify(listed.error)}`);
      expect(listed.data.data.items.map((t) => t.id).sort()).toEqual(
        [first_token.id, token.id].sort(),
      );
      expect(listed.data.data.next_cursor).toBeNull();

      const revoked = await client.POST('/api/v1/tokens/{token_id}/revoke', {
        params: { path: { token_id: token.id } },
        body: { reason: 'rotated out of CI' },
      });
      expect(revoked.response.status).toBe(201);
      if (!revoked.data) throw new Error(`revoke token: ${JSON.stringify(revoked.error)}`);
      expect(revoked.data.code).toBeNull();
      expect(revoked.data.data).toMatchObject({
        id: token.id,
        status: 'revoked',
        revocation_reason: 'rotated out of CI',
      });
      expect(typeof revoked.data.data.revoked_at).toBe('string');

      const again = await client.POST('/api/v1/tokens/{token_id}/revoke', {
        params: { path: { token_id: token.id } },
        body: { reason: 'twice' },
      });
      expect(again.data?.code).toBe('ALREADY_REVOKED');

      const audit = await client.GET('/api/v1/audit-events', {
        params: { query: { action: ['token.revoked'], target_id: token.id } },
      });
      expect(audit.response.status).toBe(200);
      if (!audit.data) throw new Error(`audit log: ${JSON.stringify(audit.error)}`);
      const events = audit.data.data.items;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        business_id: business.id,
        action: 'token.revoked',
        outcome: 'success',
        target: { id: token.id },
        actor: { id: owner.identity_id, type: 'user' },
      });
      expect(events[0]?.metadata).toMatchObject({ jti: token.jti, reason: 'rotated out of CI' });
    },
    TIMEOUT_MS,
  );

  it(
    'types the error body of a documented failure',
    async () => {
      const platformToken = app.platformToken;
      if (!platformToken) throw new Error('the app printed no platform admin token');
      const created = await createLatchkeyClient(app.url, { token: platformToken }).POST(
        '/platform/v1/businesses',
        { body: { name: 'Errors Co', owner_email: `owner-${randomUUID()}@typed.test` } },
      );
      if (!created.data) throw new Error(`create business: ${JSON.stringify(created.error)}`);
      const { business, first_token } = created.data.data;
      const client = createLatchkeyClient(app.url, {
        token: first_token.token,
        businessId: business.id,
      });

      const missing = await client.POST('/api/v1/tokens/{token_id}/revoke', {
        params: { path: { token_id: randomUUID() } },
        body: {},
      });
      expect(missing.response.status).toBe(404);
      expect(missing.data).toBeUndefined();
      if (!missing.error) throw new Error('revoking an unknown token succeeded');
      expect(missing.error.success).toBe(false);
      expect(missing.error.code).toBe('TOKEN_NOT_FOUND');

      const stranger = createLatchkeyClient(app.url, { token: 'lk_nope', businessId: business.id });
      const denied = await stranger.GET('/api/v1/me');
      expect(denied.response.status).toBe(401);
      expect(denied.response.headers.get('www-authenticate')).toContain('invalid_token');
      expect(denied.error?.code).toBe('INVALID_TOKEN');
    },
    TIMEOUT_MS,
  );
});
