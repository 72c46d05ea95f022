import { randomUUID } from 'node:crypto';
import {
  addMember,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asOwner,
  asPlatform,
  me,
  platformRevoke,
  postPlatformAdmin,
} from '../harness/app/api';
import { expectBearerError, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/** POST /platform/v1/tokens/{token_id}/revoke: a platform admin revokes any listed token by id. */
describe.each(DRIVERS)('platform revoke by id on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '10000' });
  });
  afterAll(() => t?.close());

  const auditOf = (tokenId: string) =>
    t.sql<{ action: string; actor_label: string; origin: string; business_id: string | null }>(
      "SELECT action, actor_label, origin, business_id FROM audit_events WHERE action = 'token.revoked' AND target_id = ?",
      [tokenId],
    );

  it("revokes a business's token with no x-business-id, audited in that business's chain", async () => {
    const b = await createBusiness(t);
    const machine = await createMachine(t, b);
    const target = await createToken(t, asOwner(b), { identity_id: machine.id });
    await me(t, { ...asOwner(b), authorization: `Bearer ${target.secret}` }).expect(200);

    const res = await platformRevoke(t, asPlatform(t), target.id, { reason: 'leaked' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      success: true,
      code: null,
      data: {
        id: target.id,
        status: 'revoked',
        business_id: b.id,
        revoked_by: 'admin@latchkey.local',
        revocation_reason: 'leaked',
      },
    });
    // The cached token is refused at once by the instance that revoked it.
    expectBearerError(
      await me(t, { ...asOwner(b), authorization: `Bearer ${target.secret}` }),
      'TOKEN_REVOKED',
    );
    expect(await auditOf(target.id)).toEqual([
      {
        action: 'token.revoked',
        actor_label: 'admin@latchkey.local',
        origin: 'api',
        business_id: b.id,
      },
    ]);
    const verify = await t.http().get('/api/v1/audit-events/verify').set(asOwner(b)).expect(200);
    expect(verify.body.data).toMatchObject({ valid: true });
  });

  it("revokes another platform admin's platform token, which then gets 401", async () => {
    const added = await postPlatformAdmin(t, asPlatform(t), {
      email: `revoked-admin-${Date.now()}@latchkey.test`,
    }).expect(201);
    const { first_token } = added.body.data;
    await t.http().get('/platform/v1/businesses').set(asBearer(first_token.token)).expect(200);
    const res = await platformRevoke(t, asPlatform(t), first_token.id, {});
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      id: first_token.id,
      business_id: null,
      status: 'revoked',
    });
    expectBearerError(
      await t.http().get('/platform/v1/businesses').set(asBearer(first_token.token)),
      'TOKEN_REVOKED',
    );
  });

  it('answers a second revocation 201 ALREADY_REVOKED with the first one kept, and no new event', async () => {
    const b = await createBusiness(t);
    const target = await createToken(t, asOwner(b));
    await platformRevoke(t, asPlatform(t), target.id, { reason: 'first' }).expect(201);
    const again = await platformRevoke(t, asPlatform(t), target.id, { reason: 'second' });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({
      code: 'ALREADY_REVOKED',
      data: { revocation_reason: 'first' },
    });
    expect(await auditOf(target.id)).toHaveLength(1);
  });

  it('takes an empty body or none, as the other revoke routes do', async () => {
    const b = await createBusiness(t);
    const one = await createToken(t, asOwner(b));
    const two = await createToken(t, asOwner(b));
    expect((await platformRevoke(t, asPlatform(t), one.id)).status).toBe(201);
    const empty = await platformRevoke(t, asPlatform(t), two.id)
      .set('content-type', 'application/json')
      .send('');
    expect(empty.status).toBe(201);
    expect(empty.body.data.revocation_reason).toBeNull();
  });

  it('answers an id that names no token 404, a malformed id and a long reason 422', async () => {
    const b = await createBusiness(t);
    const target = await createToken(t, asOwner(b));
    expectError(await platformRevoke(t, asPlatform(t), randomUUID(), {}), 404, 'TOKEN_NOT_FOUND');
    expectError(await platformRevoke(t, asPlatform(t), 'not-a-uuid', {}), 422, 'VALIDATION_ERROR');
    expectError(
      await platformRevoke(t, asPlatform(t), target.id, { reason: 'x'.repeat(501) }),
      422,
      'VALIDATION_ERROR',
    );
    await me(t, { ...asOwner(b), authorization: `Bearer ${target.secret}` }).expect(200);
  });

  const businessCallers = ['owner', 'admin', 'member'] as const;
  it.each(businessCallers)(
    "refuses a business %s's token with 403 PLATFORM_ADMIN_REQUIRED, and revokes nothing",
    async (role) => {
      const b = await createBusiness(t);
      const caller = role === 'owner' ? b.ownerToken : (await addMember(t, b, role)).token;
      const target = await createToken(t, asOwner(b));
      for (const headers of [
        asBearer(caller),
        { ...asOwner(b), authorization: `Bearer ${caller}` },
      ]) {
        expectError(
          await platformRevoke(t, headers, target.id, {}),
          403,
          'PLATFORM_ADMIN_REQUIRED',
        );
      }
      await me(t, { ...asOwner(b), authorization: `Bearer ${target.secret}` }).expect(200);
      expect(await auditOf(target.id)).toEqual([]);
    },
  );

  it('refuses without a token, 401 before anything else', async () => {
    const b = await createBusiness(t);
    const target = await createToken(t, asOwner(b));
    expectBearerError(await t.http().post(`/platform/v1/tokens/${target.id}/revoke`).send({}));
  });
});
