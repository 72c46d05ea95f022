import type { Response } from 'supertest';
import { randomUUID } from 'node:crypto';
import { InvalidationMessage, RevocationBus } from '../../../src/bus/revocation-bus';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from '../../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  Caller,
  listAuditEvents,
  me,
  revoke,
  rotate,
} from '../../harness/app/api';
import { expectBearerError, expectError } from '../../harness/app/assertions';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { expectValidation } from '../../harness/app/token-checks';
import { DRIVERS } from '../../setup/servers';

/**
 * Pause and resume: a disabled token is refused as a revoked one is, at once and on
 * every instance, but can be enabled again. Who may do it, cell by cell: token-policy-table.ts.
 * Across instances: token-pause-instances.e2e-spec.ts.
 */
describe.each(DRIVERS)('Disabling and enabling a token on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    // The verifier cache keeps a long TTL, so "refused at once" really tests eviction.
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
  });
  afterAll(() => t?.close());

  const disable = (caller: Caller, id: string, body: object = {}) =>
    t.http().post(`/api/v1/tokens/${id}/disable`).set(caller).send(body);
  const enable = (caller: Caller, id: string) =>
    t.http().post(`/api/v1/tokens/${id}/enable`).set(caller).send({});
  const introspect = (secret: string) =>
    t.http().post('/oauth2/introspect').set(asBearer(t.platformToken)).send({ token: secret });
  const row = async (id: string) =>
    (await t.sql<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];
  const auditOf = async (b: BusinessFixture, action: string, targetId: string) => {
    const res = await listAuditEvents(t, asOwner(b), { action, limit: 50 }).expect(200);
    return (res.body.data.items as { target: { id: string }; metadata: object }[]).filter(
      (e) => e.target.id === targetId,
    );
  };
  const expectOk = (res: Response, code: string | null = null) =>
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 200, code });

  async function busMessages(work: () => Promise<void>): Promise<InvalidationMessage[]> {
    const seen: InvalidationMessage[] = [];
    const unsubscribe = t.app.get(RevocationBus).subscribe((m) => seen.push(m));
    try {
      await work();
    } finally {
      unsubscribe();
    }
    return seen;
  }

  it('refuses a disabled token at once (401 TOKEN_DISABLED), and serves it again once enabled', async () => {
    const b = await createBusiness(t);
    const tok = await createToken(t, asOwner(b), { name: 'deploy' });
    await me(t, asMember(tok.secret, b.id)).expect(200);

    let res: Response | undefined;
    const published = await busMessages(async () => {
      res = await disable(asOwner(b), tok.id, { reason: 'under review' });
    });
    expectOk(res!);
    expect(res!.body.data).toMatchObject({
      id: tok.id,
      status: 'disabled',
      disabled_at: expect.any(String),
      disabled_by: b.ownerEmail,
      disabled_reason: 'under review',
      revoked_at: null,
    });
    expect(published).toContainEqual({ type: 'token.changed', business_id: b.id, jti: tok.jti });
    expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_DISABLED');
    expect((await introspect(tok.secret)).body).toEqual({ active: false });
    expect(await row(tok.id)).toMatchObject({ disabled_reason: 'under review', revoked_at: null });
    expect(await auditOf(b, 'token.disabled', tok.id)).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ jti: tok.jti, reason: 'under review' }),
      }),
    ]);

    const enabled = await enable(asOwner(b), tok.id);
    expectOk(enabled);
    expect(enabled.body.data).toMatchObject({ status: 'active', disabled_at: null });
    await me(t, asMember(tok.secret, b.id)).expect(200);
    expect((await introspect(tok.secret)).body.active).toBe(true);
    expect(await row(tok.id)).toMatchObject({ disabled_at: null, disabled_reason: null });
    expect(await auditOf(b, 'token.enabled', tok.id)).toHaveLength(1);
  });

  it('queues token.disabled and token.enabled to a webhook that asked for them', async () => {
    const b = await createBusiness(t);
    const hook = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(b))
      .send({ url: 'http://127.0.0.1:9/hook', event_types: ['token.disabled', 'token.enabled'] })
      .expect(201);
    const tok = await createToken(t, asOwner(b));
    expectOk(await disable(asOwner(b), tok.id, { reason: 'hooked' }));
    expectOk(await enable(asOwner(b), tok.id));
    const messages = await t.sql<{ event_type: string }>(
      'SELECT event_type FROM webhook_messages WHERE endpoint_id = ? ORDER BY id',
      [hook.body.data.id],
    );
    expect(messages.map((m) => m.event_type).sort()).toEqual(['token.disabled', 'token.enabled']);
  });

  it('keeps the first pause when disabled again, and says a token was not disabled', async () => {
    const b = await createBusiness(t);
    const tok = await createToken(t, asOwner(b));
    expectOk(await disable(asOwner(b), tok.id, { reason: 'first' }));
    const again = await disable(asOwner(b), tok.id, { reason: 'second' });
    expectOk(again, 'ALREADY_DISABLED');
    expect(again.body.data.disabled_reason).toBe('first');
    expect(await auditOf(b, 'token.disabled', tok.id)).toHaveLength(1);

    expectOk(await enable(asOwner(b), tok.id));
    expectOk(await enable(asOwner(b), tok.id), 'ALREADY_ENABLED');
    expect(await auditOf(b, 'token.enabled', tok.id)).toHaveLength(1);
  });

  it('revokes a disabled token; a revoked token is neither enabled nor disabled (409)', async () => {
    const b = await createBusiness(t);
    const tok = await createToken(t, asOwner(b));
    expectOk(await disable(asOwner(b), tok.id));
    await revoke(t, asOwner(b), tok.id, { reason: 'done' }).expect(201);
    expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');
    expectError(await enable(asOwner(b), tok.id), 409, 'TOKEN_IS_REVOKED');
    expectError(await disable(asOwner(b), tok.id), 409, 'TOKEN_IS_REVOKED');
    expect(await row(tok.id)).toMatchObject({ revocation_reason: 'done' });
    expectBearerError(await me(t, asMember(tok.secret, b.id)), 'TOKEN_REVOKED');
  });

  it("never lets the holder resume a pause: not the token itself, nor the holder's other token", async () => {
    const b = await createBusiness(t);
    const alice = await addMember(t, b);
    const other = await createToken(t, asMember(alice.token, b.id), { name: 'other' });
    const paused = await createToken(t, asMember(alice.token, b.id), { name: 'paused' });
    expectOk(await disable(asOwner(b), paused.id, { reason: 'admin says' }));

    expectBearerError(await enable(asMember(paused.secret, b.id), paused.id), 'TOKEN_DISABLED');
    expectError(await enable(asMember(other.secret, b.id), paused.id), 403, 'INSUFFICIENT_ROLE');
    expectError(await enable(asMember(alice.token, b.id), paused.id), 403, 'INSUFFICIENT_ROLE');
    expect((await row(paused.id)).disabled_reason).toBe('admin says');
    expectBearerError(await me(t, asMember(paused.secret, b.id)), 'TOKEN_DISABLED');
  });

  it('refuses to rotate a disabled token: a successor would undo the pause', async () => {
    const b = await createBusiness(t);
    const tok = await createToken(t, asOwner(b), { name: 'own' });
    expectOk(await disable(asOwner(b), tok.id));
    expectError(await rotate(t, asOwner(b), tok.id), 409, 'TOKEN_NOT_ACTIVE');
    const successors = await t.sql('SELECT id FROM api_tokens WHERE rotated_from_id = ?', [tok.id]);
    expect(successors).toEqual([]);
  });

  it('lets exactly one of a parallel disable and rotation win', async () => {
    const b = await createBusiness(t);
    for (let i = 0; i < 5; i++) {
      const tok = await createToken(t, asOwner(b), { name: `race-${i}` });
      const [paused, rotated] = await Promise.all([
        disable(asOwner(b), tok.id),
        rotate(t, asOwner(b), tok.id),
      ]);
      const wins = [paused.status === 200, rotated.status === 201];
      expect({ wins, codes: [paused.body.code, rotated.body.code] }).toEqual({
        wins: expect.arrayContaining([true, false]),
        codes: expect.any(Array),
      });
      const after = await row(tok.id);
      // Whichever lost, the paused token has no successor, and a rotated one is revoked.
      if (paused.status === 200) expect(after.rotated_to_id).toBeNull();
      else expect(after.revoked_at).not.toBeNull();
    }
  });

  it('hides a token of another business, and of no one (404)', async () => {
    const b = await createBusiness(t);
    const other = await createBusiness(t);
    const theirs = await createToken(t, asOwner(other));
    for (const id of [theirs.id, randomUUID()]) {
      expectError(await disable(asOwner(b), id), 404, 'TOKEN_NOT_FOUND');
      expectError(await enable(asOwner(b), id), 404, 'TOKEN_NOT_FOUND');
    }
    expect((await row(theirs.id)).disabled_at).toBeNull();
  });

  it.each([
    ['a reason too long', { reason: 'x'.repeat(501) }, ['body', 'reason']],
    ['a reason that is no string', { reason: 42 }, ['body', 'reason']],
    ['an unknown field', { until: 'tomorrow' }, ['body', 'until']],
  ])('answers 422 for %s, and pauses nothing', async (_name, body, loc) => {
    const b = await createBusiness(t);
    const tok = await createToken(t, asOwner(b));
    expectValidation(await disable(asOwner(b), tok.id, body), loc);
    expect((await row(tok.id)).disabled_at).toBeNull();
  });

  it('answers 422 for a token id that is no UUID', async () => {
    const b = await createBusiness(t);
    expectValidation(await disable(asOwner(b), 'nope'), ['path', 'token_id']);
  });
});
