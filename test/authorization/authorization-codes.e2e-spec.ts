import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../../src/config/app-config';
import type { Author } from '../../src/database/units/domain-event';
import { AuthorizationCodeSweep } from '../../src/authorization/codes/authorization-code-sweep';
import {
  AuthorizationCodesService,
  CODE_LIFETIME_MS,
} from '../../src/authorization/codes/authorization-codes.service';
import {
  AuthorizationClients,
  ResourceCatalog,
} from '../../src/authorization/codes/authorization-ports';
import { AuthorizationRequests } from '../../src/authorization/codes/authorization-requests.service';
import { OAuthError } from '../../src/common/errors/oauth-error';
import type {
  CodeGrant,
  CodePresentation,
} from '../../src/authorization/codes/dto/authorization-code.dto';
import { s256Challenge } from '../../src/authorization/codes/pkce';
import { BusinessFixture, createUnexpiringBusiness } from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asOwner } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const CLIENT_ID = 'https://agent.example.com/oauth/client.json';
const REDIRECT = 'https://agent.example.com/callback';
const ORIGIN = { channel: 'api' as const, requestId: null, ip: '203.0.113.9', userAgent: 'agent' };
const CLIENT: Author = {
  actor: { id: null, type: 'machine', label: `client:${CLIENT_ID}` },
  origin: ORIGIN,
};

/** A PKCE pair (RFC 7636 §4.1, §4.2): a fresh verifier and its S256 challenge. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier) };
}

interface AuditRow {
  action: string;
  outcome: string;
  metadata: string;
}

/**
 * Authorization codes through the real app and its migrations, tried as an attacker would:
 * replayed, raced, redeemed by another client, at another redirect URI, for another resource,
 * late, without the verifier or with the challenge as one, and carried to another business.
 */
describe.each(DRIVERS)('authorization codes on %s', (driver) => {
  let t: TestApp;
  let codes: AuthorizationCodesService;
  let a: BusinessFixture;
  let b: BusinessFixture;
  let resource: string;
  const replays: string[] = [];
  /** Every secret handed out or presented in this suite: none may be written or told back. */
  const secrets: string[] = [];
  const messages: string[] = [];

  const owner = (biz: BusinessFixture): Author => ({
    actor: { id: biz.ownerId, type: 'user', label: biz.ownerEmail },
    origin: ORIGIN,
  });

  const grantOf = (biz: BusinessFixture, challenge: string, extra: Partial<CodeGrant> = {}) => ({
    businessId: biz.id,
    identityId: biz.ownerId,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT,
    resource,
    scopes: ['orders:read'],
    codeChallenge: challenge,
    dpopJkt: null,
    ...extra,
  });

  /** A code issued in `biz`, with the presentation that redeems it. */
  async function issued(biz: BusinessFixture = a, extra: Partial<CodeGrant> = {}) {
    const { verifier, challenge } = pkce();
    const code = await codes.issue(owner(biz), grantOf(biz, challenge, extra));
    secrets.push(code.code, verifier, createHash('sha256').update(code.code).digest('hex'));
    const presentation: CodePresentation = {
      code: code.code,
      clientId: CLIENT_ID,
      redirectUri: REDIRECT,
      resource,
      codeVerifier: verifier,
    };
    return { ...code, verifier, challenge, presentation };
  }

  /** The refusal a redemption ends in, its message kept for the suite's last check. */
  async function refusal(biz: BusinessFixture, presented: CodePresentation) {
    const error = await codes.redeem(CLIENT, biz.id, presented).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OAuthError);
    const refused = error as OAuthError;
    messages.push(refused.message, refused.description);
    return { error: refused.error, description: refused.description };
  }

  const auditOf = (biz: BusinessFixture, grantId: string) =>
    t
      .sql<AuditRow>(
        'SELECT action, outcome, metadata FROM audit_events WHERE business_id = ? ORDER BY seq',
        [biz.id],
      )
      .then((rows) => rows.filter((r) => r.metadata.includes(grantId)));

  const actionsOf = async (biz: BusinessFixture, grantId: string) =>
    (await auditOf(biz, grantId)).map((r) => {
      const reason = (JSON.parse(r.metadata) as { reason?: string }).reason;
      return reason ? `${r.action}:${reason}` : r.action;
    });

  beforeAll(async () => {
    t = await bootTestApp(driver);
    codes = t.app.get(AuthorizationCodesService);
    codes.onReplay((_business, grantId) => replays.push(grantId));
    a = await createUnexpiringBusiness(t);
    b = await createUnexpiringBusiness(t);
    resource = `https://${uniqueLabel('mcp')}.example.com/mcp`;
    for (const biz of [a, b]) {
      await t
        .http()
        .post('/api/v1/resources')
        .set(asOwner(biz))
        .send({
          uri: resource,
          name: 'Orders',
          scopes: [
            { name: 'orders:read', description: 'Read orders' },
            { name: 'orders:write', description: 'Place orders' },
          ],
        })
        .expect(201);
    }
  });
  afterEach(() => {
    codes.clock = Date.now;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores a code only as its SHA-256, for 60 s, and redeems it once for its grant', async () => {
    const code = await issued();
    const [row] = await t.sql<Record<string, unknown>>(
      'SELECT * FROM authorization_codes WHERE grant_id = ?',
      [code.grantId],
    );
    expect(row.code_hash).toBe(createHash('sha256').update(code.code).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(code.code);
    expect(code.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(CODE_LIFETIME_MS);

    await expect(codes.redeem(CLIENT, a.id, code.presentation)).resolves.toEqual({
      grantId: code.grantId,
      businessId: a.id,
      identityId: a.ownerId,
      clientId: CLIENT_ID,
      resource,
      scopes: ['orders:read'],
      dpopJkt: null,
    });
    expect(await actionsOf(a, code.grantId)).toEqual([
      'authorization_code.issued',
      'authorization_code.redeemed',
    ]);
  });

  it('refuses a code redeemed twice, and tells of the replay once, in the log too', async () => {
    const code = await issued();
    await codes.redeem(CLIENT, a.id, code.presentation);
    expect(await refusal(a, code.presentation)).toMatchObject({ error: 'invalid_grant' });
    expect(replays.filter((g) => g === code.grantId)).toEqual([code.grantId]);
    const audit = await auditOf(a, code.grantId);
    expect(audit.map((r) => [r.action, r.outcome])).toEqual([
      ['authorization_code.issued', 'success'],
      ['authorization_code.redeemed', 'success'],
      ['authorization_code.replayed', 'failure'],
    ]);
  });

  describe.each<[string, (code: Awaited<ReturnType<typeof issued>>) => object, string, string]>([
    [
      'by another client',
      () => ({ clientId: 'https://evil.example.com/c.json' }),
      'invalid_grant',
      'client_mismatch',
    ],
    [
      'at another redirect_uri',
      () => ({ redirectUri: `${REDIRECT}/` }),
      'invalid_grant',
      'redirect_uri_mismatch',
    ],
    [
      'for another resource',
      () => ({ resource: `${resource}/admin` }),
      'invalid_grant',
      'resource_mismatch',
    ],
    [
      'with a wrong verifier',
      () => ({ codeVerifier: pkce().verifier }),
      'invalid_grant',
      'verifier_mismatch',
    ],
    [
      'with no verifier',
      () => ({ codeVerifier: undefined }),
      'invalid_request',
      'verifier_missing',
    ],
    [
      'with the challenge as a plain verifier',
      (c) => ({ codeVerifier: c.challenge }),
      'invalid_grant',
      'verifier_mismatch',
    ],
  ])('a code presented %s', (_what, change, error, reason) => {
    it(`is refused (${error}), audited as ${reason}, and left for its client to redeem`, async () => {
      const code = await issued();
      const presented = { ...code.presentation, ...change(code) };
      expect(await refusal(a, presented)).toMatchObject({ error });
      await expect(codes.redeem(CLIENT, a.id, code.presentation)).resolves.toMatchObject({
        grantId: code.grantId,
      });
      expect(await actionsOf(a, code.grantId)).toEqual([
        'authorization_code.issued',
        `authorization_code.refused:${reason}`,
        'authorization_code.redeemed',
      ]);
      expect(replays).not.toContain(code.grantId);
    });
  });

  it('refuses a code 60 s after its issue, and takes it a second before', async () => {
    const late = await issued();
    codes.clock = () => Date.now() + CODE_LIFETIME_MS;
    expect(await refusal(a, late.presentation)).toMatchObject({ error: 'invalid_grant' });
    expect(await actionsOf(a, late.grantId)).toContain('authorization_code.refused:expired');

    codes.clock = Date.now;
    const onTime = await issued();
    codes.clock = () => onTime.expiresAt.getTime() - 1000;
    await expect(codes.redeem(CLIENT, a.id, onTime.presentation)).resolves.toMatchObject({
      grantId: onTime.grantId,
    });
  });

  it('lets exactly one of 10 redemptions at once win; the others are refused as replays', async () => {
    const code = await issued();
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, () => codes.redeem(CLIENT, a.id, code.presentation)),
    );
    const won = settled.filter((s) => s.status === 'fulfilled');
    const lost = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const e of lost) {
      expect(e).toBeInstanceOf(OAuthError);
      expect((e as OAuthError).error).toBe('invalid_grant');
    }
    const actions = await actionsOf(a, code.grantId);
    expect(actions.filter((x) => x === 'authorization_code.redeemed')).toHaveLength(1);
    expect(actions.filter((x) => x === 'authorization_code.replayed')).toHaveLength(9);
    expect(replays.filter((g) => g === code.grantId)).toHaveLength(9);
  });

  it("refuses business A's code in business B, and writes nothing in either's log", async () => {
    const code = await issued(a);
    expect(await refusal(b, code.presentation)).toMatchObject({ error: 'invalid_grant' });
    expect(await auditOf(b, code.grantId)).toEqual([]);
    expect(await actionsOf(a, code.grantId)).toEqual(['authorization_code.issued']);
    await expect(codes.redeem(CLIENT, a.id, code.presentation)).resolves.toMatchObject({
      businessId: a.id,
    });
  });

  it('refuses text that is no code, or a code never issued, before it is looked up', async () => {
    const code = await issued();
    for (const text of ['', 'x', `${code.code}=`, randomBytes(32).toString('base64url')]) {
      expect(await refusal(a, { ...code.presentation, code: text })).toMatchObject({
        error: 'invalid_grant',
      });
    }
  });

  it("holds a code bound to a DPoP key to that key's proof", async () => {
    const jkt = randomBytes(32).toString('base64url');
    const code = await issued(a, { dpopJkt: jkt });
    expect(await refusal(a, code.presentation)).toMatchObject({ error: 'invalid_grant' });
    const other = { ...code.presentation, dpopJkt: randomBytes(32).toString('base64url') };
    expect(await refusal(a, other)).toMatchObject({ error: 'invalid_grant' });
    await expect(
      codes.redeem(CLIENT, a.id, { ...code.presentation, dpopJkt: jkt }),
    ).resolves.toMatchObject({ dpopJkt: jkt });
    expect(await actionsOf(a, code.grantId)).toEqual([
      'authorization_code.issued',
      'authorization_code.refused:dpop_key_mismatch',
      'authorization_code.refused:dpop_key_mismatch',
      'authorization_code.redeemed',
    ]);
  });

  it('sweeps codes an hour past their expiry, redeemed or not, and keeps the rest', async () => {
    const redeemed = await issued();
    await codes.redeem(CLIENT, a.id, redeemed.presentation);
    const unused = await issued();
    const count = () =>
      t.sql('SELECT id FROM authorization_codes WHERE grant_id IN (?, ?)', [
        redeemed.grantId,
        unused.grantId,
      ]);
    const sweep = t.app.get(AuthorizationCodeSweep);
    await sweep.runTurn(new Date(Date.now() + 30 * 60_000));
    expect(await count()).toHaveLength(2);
    expect(await sweep.runTurn(new Date(Date.now() + 2 * 3_600_000))).toBeGreaterThanOrEqual(2);
    expect(await count()).toHaveLength(0);
  });

  it("checks an authorization request's resource and scopes against the business's registry", async () => {
    const clients: AuthorizationClients = {
      findClient: (clientId) =>
        Promise.resolve(
          clientId === CLIENT_ID ? { clientId, acceptsRedirectUri: (u) => u === REDIRECT } : null,
        ),
    };
    const sut = new AuthorizationRequests(
      clients,
      t.app.get(ResourceCatalog),
      t.app.get(AppConfig),
    );
    const params = {
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      resource,
      scope: 'orders:read orders:write',
      state: 'xyz',
    };
    await expect(sut.check(a.id, params)).resolves.toMatchObject({ kind: 'valid' });
    await expect(sut.check(a.id, { ...params, scope: 'orders:delete' })).resolves.toMatchObject({
      kind: 'redirect',
      check: 'scope_undeclared',
      params: { error: 'invalid_scope', state: 'xyz', iss: expect.any(String) },
    });
    const unknown = `https://${uniqueLabel('nowhere')}.example.com/mcp`;
    await expect(sut.check(b.id, { ...params, resource: unknown })).resolves.toMatchObject({
      kind: 'redirect',
      check: 'resource_unregistered',
    });
    // Until the client registry is bound, the app's own checks trust no client: never a redirect.
    await expect(t.app.get(AuthorizationRequests).check(a.id, params)).resolves.toMatchObject({
      kind: 'page',
      check: 'client_unknown',
    });
  });

  it('never writes a code, its hash or a verifier in the log, nor tells one in an error', async () => {
    const rows = await t.sql('SELECT * FROM audit_events WHERE business_id IN (?, ?)', [
      a.id,
      b.id,
    ]);
    const written = JSON.stringify(rows);
    expect(messages.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(written).not.toContain(secret);
      for (const message of messages) expect(message).not.toContain(secret);
    }
  });
});
