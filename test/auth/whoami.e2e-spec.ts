import { createHash } from 'node:crypto';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import {
  asBearer,
  asMember,
  asOwner,
  Caller,
  removeMember,
  resume,
  revoke,
  rotate,
  suspend,
  whoami,
} from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * GET /api/v1/whoami: the caller from the bearer token alone, for a client (the admin
 * console) that holds a token and no business yet. It reads no x-business-id, so a header naming
 * another business neither changes the answer nor confirms that business.
 */

const MISSING_BUSINESS = '00000000-0000-4000-8000-000000000000';

describe.each(DRIVERS)('GET /api/v1/whoami on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let other: BusinessFixture;
  const bizName = `whoami-${driver}-${process.pid}`;
  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createBusiness(t, bizName);
    other = await createBusiness(t);
  });
  afterAll(() => t?.close());

  /** The token's row id, found by its secret's hash, as the answer's token view must name it. */
  const tokenId = async (secret: string) => {
    const [row] = await t.sql<{ id: string }>('SELECT id FROM api_tokens WHERE token_hash = ?', [
      createHash('sha256').update(secret).digest('hex'),
    ]);
    return row.id;
  };

  /** The same caller with no x-business-id, with its own business's, another's, and nonsense. */
  const HEADERS: [string, (secret: string) => Caller][] = [
    ['no x-business-id', (secret) => asBearer(secret)],
    ['its own business in x-business-id', (secret) => asMember(secret, biz.id)],
    ["another business's id in x-business-id", (secret) => asMember(secret, other.id)],
    ['a business that does not exist in x-business-id', (s) => asMember(s, MISSING_BUSINESS)],
    ['x-business-id that is no uuid', (secret) => asMember(secret, 'not-a-uuid')],
  ];
  const headerVariants = (secret: string) =>
    HEADERS.map(([name, as]) => [name, as(secret)] as const);

  describe.each(['owner', 'admin', 'member'] as const)('as the %s of a business', (role) => {
    let secret: string;
    let identityId: string;
    let email: string;
    beforeAll(async () => {
      if (role === 'owner') {
        [secret, identityId, email] = [biz.ownerToken, biz.ownerId, biz.ownerEmail];
      } else {
        const m = await addMember(t, biz, role);
        [secret, identityId, email] = [m.token, m.identityId, m.email];
      }
    });

    it.each(HEADERS)('is described by the token alone, with %s', async (_, as) => {
      const res = await whoami(t, as(secret)).expect(200);
      expect(res.body).toMatchObject({ success: true, message: null, code: null });
      expect(res.body.data).toEqual({
        identity: {
          id: identityId,
          kind: 'user',
          email,
          name: null,
          label: email,
          is_platform_admin: false,
        },
        token: expect.objectContaining({
          id: await tokenId(secret),
          business_id: biz.id,
          identity_id: identityId,
          status: 'active',
          revoked_at: null,
        }),
        is_platform_token: false,
        businesses: [{ id: biz.id, name: bizName, status: 'active', role }],
      });
      expect(res.body.data.token).not.toHaveProperty('token');
      expect(res.body.data.token).not.toHaveProperty('token_hash');
      expect(res.text).not.toContain(secret);
      // Whoami never confirms another business, nor even reads the header's.
      expect(res.text).not.toContain(other.id);
      expect(res.text).not.toContain(MISSING_BUSINESS);
    });
  });

  it("describes a machine's token: no email, its name, labelled machine:<name>", async () => {
    const machine = await createMachine(t, biz, 'admin');
    const token = await createToken(t, asOwner(biz), { identity_id: machine.id, name: 'ci' });
    for (const [, caller] of headerVariants(token.secret)) {
      const res = await whoami(t, caller).expect(200);
      expect(res.body.data).toEqual({
        identity: {
          id: machine.id,
          kind: 'machine',
          email: null,
          name: machine.name,
          label: `machine:${machine.name}`,
          is_platform_admin: false,
        },
        token: expect.objectContaining({ id: token.id, name: 'ci', identity_id: machine.id }),
        is_platform_token: false,
        businesses: [{ id: biz.id, name: bizName, status: 'active', role: 'admin' }],
      });
    }
  });

  it('describes a platform token: no business listed, whatever x-business-id says', async () => {
    for (const [variant, caller] of headerVariants(t.platformToken)) {
      const res = await whoami(t, caller);
      expect([variant, res.status]).toEqual([variant, 200]);
      expect(res.body.data).toEqual({
        identity: expect.objectContaining({
          kind: 'user',
          label: res.body.data.identity.email,
          is_platform_admin: true,
        }),
        token: expect.objectContaining({
          id: await tokenId(t.platformToken),
          business_id: null,
        }),
        is_platform_token: true,
        businesses: [],
      });
    }
  });

  it('answers a token in its rotation grace period, with its own view', async () => {
    const old = await createToken(t, asOwner(biz), { name: 'rotating' });
    await rotate(t, asOwner(biz), old.id, { grace_period_seconds: 3600 }).expect(201);
    const res = await whoami(t, asBearer(old.secret)).expect(200);
    expect(res.body.data.token).toMatchObject({ id: old.id, status: 'active' });
    expect(res.body.data.businesses).toEqual([expect.objectContaining({ id: biz.id })]);
  });

  it('refuses a revoked token with 401 TOKEN_REVOKED', async () => {
    const token = await createToken(t, asOwner(biz), { name: 'gone' });
    await revoke(t, asOwner(biz), token.id).expect(201);
    const res = await whoami(t, asBearer(token.secret)).expect(401);
    expect(res.body).toMatchObject({ success: false, code: 'TOKEN_REVOKED' });
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('refuses no token, and a malformed one, with 401 INVALID_TOKEN', async () => {
    for (const headers of [{}, { authorization: 'Bearer lk_nope' }, asMember('', biz.id)]) {
      const res = await whoami(t, headers).expect(401);
      expect(res.body).toMatchObject({ success: false, code: 'INVALID_TOKEN' });
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
  });

  it('refuses the token of a removed member with 401', async () => {
    const m = await addMember(t, biz, 'member');
    await whoami(t, asBearer(m.token)).expect(200);
    await removeMember(t, asOwner(biz), m.identityId).expect(200);
    const res = await whoami(t, asBearer(m.token)).expect(401);
    expect(res.body.success).toBe(false);
  });

  it("refuses a suspended business's tokens with 403 BUSINESS_SUSPENDED, as every route does", async () => {
    const b = await createBusiness(t);
    const m = await addMember(t, b, 'admin');
    await suspend(t, b.id).expect(200);
    for (const secret of [b.ownerToken, m.token]) {
      const res = await whoami(t, asBearer(secret)).expect(403);
      expect(res.body).toMatchObject({ success: false, code: 'BUSINESS_SUSPENDED' });
    }
    // A platform token is not its business's: it still answers.
    await whoami(t, asMember(t.platformToken, b.id)).expect(200);
    await resume(t, b.id).expect(200);
    const res = await whoami(t, asBearer(b.ownerToken)).expect(200);
    expect(res.body.data.businesses).toEqual([
      expect.objectContaining({ id: b.id, status: 'active', role: 'owner' }),
    ]);
  });
});
