import {
  addMember,
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  Caller,
  listAuditEvents,
  me,
  patchMember,
  postToken,
} from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const MAKERS = ['owner', 'admin', 'member'] as const;
const BASES = ['admin', 'member'] as const;
/** What a role is made of: a custom scope, a scope only an admin may hold, or none. */
const SHAPES = { custom: ['deploy:prod'], 'admin scope': ['audit:read'], none: [] } as const;
type Shape = keyof typeof SHAPES;

/** The rule, whole: who may make which role (the maker's token is unrestricted here). */
function expected(maker: (typeof MAKERS)[number], base: (typeof BASES)[number], shape: Shape) {
  if (maker === 'member') return { status: 403, code: 'INSUFFICIENT_ROLE' };
  if (base === 'member' && shape === 'admin scope') {
    return { status: 422, code: 'SCOPE_BEYOND_BASE_ROLE' };
  }
  return { status: 201, code: null };
}

/**
 * Custom roles, as an attacker tries them: a role with a scope its maker lacks, a member shaping
 * one, an admin reaching past their token, a role of one business given in another, an owner
 * demoted by an admin, a role deleted under its holders; and the bound itself: a holder's tokens,
 * old and new, do only what the role allows, from the moment it is given or narrowed.
 */
describe.each(DRIVERS)('custom roles on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let counter = 0;
  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  const makeRole = (caller: Caller, body: object) =>
    t.http().post('/api/v1/custom-roles').set(caller).send(body);
  const editRole = (caller: Caller, id: string, body: object) =>
    t.http().patch(`/api/v1/custom-roles/${id}`).set(caller).send(body);
  const give = (caller: Caller, identityId: string, customRoleId: string | null) =>
    t
      .http()
      .put(`/api/v1/custom-roles/holders/${identityId}`)
      .set(caller)
      .send({ custom_role_id: customRoleId });
  const roleName = () => `role-${process.pid % 1000}-${++counter}`;
  const newRole = async (base: string, scopes: string[], caller = asOwner(biz)) =>
    (await makeRole(caller, { name: roleName(), base_role: base, scopes }).expect(201)).body
      .data as {
      id: string;
    };

  describe('who may make which role', () => {
    const rows = MAKERS.flatMap((maker) =>
      BASES.flatMap((base) =>
        (Object.keys(SHAPES) as Shape[]).map((shape) => [maker, base, shape] as const),
      ),
    );
    it.each(rows)('a %s making a %s-based role of %s', async (maker, base, shape) => {
      const caller =
        maker === 'owner' ? asOwner(biz) : asMember((await addMember(t, biz, maker)).token, biz.id);
      const res = await makeRole(caller, {
        name: roleName(),
        base_role: base,
        scopes: SHAPES[shape],
      });
      const want = expected(maker, base, shape);
      if (want.code) expectError(res, want.status, want.code);
      else expect(res.status).toBe(201);
    });

    it("refuses a role beyond the maker's own token, and an owner-based role", async () => {
      const admin = await addMember(t, biz, 'admin');
      const narrow = await createToken(t, asMember(admin.token, biz.id), {
        scopes: ['members:write', 'deploy:prod'],
      });
      const caller = asMember(narrow.secret, biz.id);
      expectError(
        await makeRole(caller, { name: roleName(), base_role: 'member', scopes: ['deploy:*'] }),
        403,
        'ROLE_ESCALATION',
      );
      await makeRole(caller, {
        name: roleName(),
        base_role: 'member',
        scopes: ['deploy:prod'],
      }).expect(201);
      expectError(
        await makeRole(asOwner(biz), { name: roleName(), base_role: 'owner', scopes: [] }),
        422,
        'VALIDATION_ERROR',
      );
    });

    it('refuses a second role of one name, and bad names and scopes', async () => {
      const name = roleName();
      await makeRole(asOwner(biz), { name, base_role: 'member', scopes: [] }).expect(201);
      expectError(
        await makeRole(asOwner(biz), { name, base_role: 'member', scopes: [] }),
        409,
        'CUSTOM_ROLE_EXISTS',
      );
      for (const bad of [
        { name: 'owner' },
        { name: 'admin' },
        { name: 'member' },
        { name: 'Has Space' },
        { name: 'x'.repeat(41) },
        { scopes: ['BAD SCOPE'] },
        { scopes: null },
      ]) {
        const body = { name: roleName(), base_role: 'member', scopes: [], ...bad };
        expectError(await makeRole(asOwner(biz), body), 422, 'VALIDATION_ERROR');
      }
    });
  });

  describe("a holder's tokens", () => {
    it('do only what the role allows, old tokens included, from the moment it is given', async () => {
      const m = await addMember(t, biz, 'member');
      const caller = asMember(m.token, biz.id);
      const before = await createToken(t, caller, { scopes: ['billing:read', 'deploy:prod'] });
      const role = await newRole('member', ['deploy:*']);
      const given = await give(asOwner(biz), m.identityId, role.id).expect(200);
      expect(given.body.data).toEqual({
        identity_id: m.identityId,
        role: 'member',
        custom_role_id: role.id,
      });
      const listed = await t.http().get('/api/v1/members').query({ limit: 200 }).set(asOwner(biz));
      const row = listed.body.data.items.find(
        (i: { identity_id: string }) => i.identity_id === m.identityId,
      );
      expect(row).toMatchObject({ role: 'member', custom_role_id: role.id });
      // The first token, unrestricted before, now holds deploy:* alone.
      expectError(
        await postToken(t, caller, { name: 'x', scopes: ['billing:read'] }),
        403,
        'SCOPE_ESCALATION',
      );
      expectError(await postToken(t, caller, { name: 'x' }), 403, 'SCOPE_ESCALATION');
      await postToken(t, caller, { name: 'x', scopes: ['deploy:staging'] }).expect(201);
      // The older token keeps deploy:prod, and lost billing:read.
      const old = asMember(before.secret, biz.id);
      expectError(
        await postToken(t, old, { name: 'x', scopes: ['billing:read'] }),
        403,
        'SCOPE_ESCALATION',
      );
      await postToken(t, old, { name: 'x', scopes: ['deploy:prod'] }).expect(201);
    });

    it('are narrowed at once when the role is, and widened only by taking the role back', async () => {
      const admin = await addMember(t, biz, 'admin');
      const caller = asMember(admin.token, biz.id);
      await listAuditEvents(t, caller).expect(200);
      const role = await newRole('admin', ['audit:read', 'tokens:admin']);
      await give(asOwner(biz), admin.identityId, role.id).expect(200);
      await listAuditEvents(t, caller).expect(200);
      expectError(await t.http().get('/api/v1/members').set(caller), 403, 'INSUFFICIENT_SCOPE');
      await editRole(asOwner(biz), role.id, { scopes: ['tokens:admin'] }).expect(200);
      expectError(await listAuditEvents(t, caller), 403, 'INSUFFICIENT_SCOPE');
      await give(asOwner(biz), admin.identityId, null).expect(200);
      await listAuditEvents(t, caller).expect(200);
    });

    it('are named by /me: the custom role and the scopes in force, as they change', async () => {
      const m = await addMember(t, biz, 'member');
      const caller = asMember(m.token, biz.id);
      const before = (await me(t, caller).expect(200)).body.data;
      expect(before).toMatchObject({ role: 'member', custom_role: null, scopes: null });
      const role = await newRole('member', ['orders:read']);
      await give(asOwner(biz), m.identityId, role.id).expect(200);
      const narrowed = (await me(t, caller).expect(200)).body.data;
      expect(narrowed).toMatchObject({
        role: 'member',
        custom_role: { id: role.id, name: expect.any(String) },
        scopes: ['orders:read'],
      });
      // The token itself was made unrestricted, and its view says so.
      expect(narrowed.token.scopes).toBeNull();
      await editRole(asOwner(biz), role.id, { scopes: ['orders:write'] }).expect(200);
      expect((await me(t, caller).expect(200)).body.data.scopes).toEqual(['orders:write']);
      await give(asOwner(biz), m.identityId, null).expect(200);
      expect((await me(t, caller).expect(200)).body.data).toMatchObject({
        custom_role: null,
        scopes: null,
      });
    });

    it("bound a machine's tokens as a person's", async () => {
      const machine = await createMachine(t, biz, 'member');
      const token = await createToken(t, asOwner(biz), {
        identity_id: machine.id,
        scopes: ['deploy:prod', 'ci:run'],
      });
      const role = await newRole('member', ['ci:*']);
      await give(asOwner(biz), machine.id, role.id).expect(200);
      const caller = asMember(token.secret, biz.id);
      expectError(
        await postToken(t, caller, { name: 'x', scopes: ['deploy:prod'] }),
        403,
        'SCOPE_ESCALATION',
      );
    });
  });

  describe('giving and taking roles', () => {
    it('refuses a role of another business, a member giving one, and an admin demoting an owner', async () => {
      const other = await createUnexpiringBusiness(t);
      const theirs = (
        await makeRole(asOwner(other), {
          name: roleName(),
          base_role: 'member',
          scopes: [],
        }).expect(201)
      ).body.data;
      const m = await addMember(t, biz, 'member');
      expectError(await give(asOwner(biz), m.identityId, theirs.id), 404, 'CUSTOM_ROLE_NOT_FOUND');
      expectError(
        await editRole(asOwner(biz), theirs.id, { scopes: [] }),
        404,
        'CUSTOM_ROLE_NOT_FOUND',
      );
      const ours = await newRole('member', []);
      expectError(
        await give(asMember(m.token, biz.id), m.identityId, ours.id),
        403,
        'INSUFFICIENT_ROLE',
      );
      expectError(await give(asOwner(other), m.identityId, theirs.id), 404, 'MEMBER_NOT_FOUND');
      const admin = await addMember(t, biz, 'admin');
      expectError(
        await give(asMember(admin.token, biz.id), biz.ownerId, ours.id),
        403,
        'INSUFFICIENT_ROLE',
      );
      expectError(await give(asOwner(biz), biz.ownerId, ours.id), 409, 'LAST_OWNER');
    });

    it('keeps a held role from deletion, and a built-in role given takes the custom one back', async () => {
      const m = await addMember(t, biz, 'member');
      const role = await newRole('member', ['deploy:*']);
      await give(asOwner(biz), m.identityId, role.id).expect(200);
      expectError(
        await t.http().delete(`/api/v1/custom-roles/${role.id}`).set(asOwner(biz)),
        409,
        'CUSTOM_ROLE_IN_USE',
      );
      await patchMember(t, asOwner(biz), m.identityId, { role: 'admin' }).expect(200);
      const rows = await t.sql(
        'SELECT role, custom_role_id FROM memberships WHERE business_id = ? AND identity_id = ?',
        [biz.id, m.identityId],
      );
      expect(rows).toEqual([{ role: 'admin', custom_role_id: null }]);
      await t.http().delete(`/api/v1/custom-roles/${role.id}`).set(asOwner(biz)).expect(200);
    });

    it('eight creates of one name at once make one role; the rest are 409 CUSTOM_ROLE_EXISTS', async () => {
      const name = roleName();
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          makeRole(asOwner(biz), { name, base_role: 'member', scopes: [] }),
        ),
      );
      expect(answers.map((r) => [r.status, r.body.code]).sort()).toEqual([
        [201, null],
        ...Array(7).fill([409, 'CUSTOM_ROLE_EXISTS']),
      ]);
      const rows = await t.sql('SELECT id FROM custom_roles WHERE business_id = ? AND name = ?', [
        biz.id,
        name,
      ]);
      expect(rows).toHaveLength(1);
    });

    it('holds the cap of 50 against creates at once', async () => {
      const own = await createUnexpiringBusiness(t);
      for (let i = 0; i < 47; i++) {
        await makeRole(asOwner(own), { name: roleName(), base_role: 'member', scopes: [] }).expect(
          201,
        );
      }
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          makeRole(asOwner(own), { name: roleName(), base_role: 'member', scopes: [] }),
        ),
      );
      expect(answers.map((r) => [r.status, r.body.code]).sort()).toEqual([
        [201, null],
        [201, null],
        [201, null],
        ...Array(3).fill([409, 'CUSTOM_ROLE_LIMIT_REACHED']),
      ]);
      const [{ n }] = await t.sql('SELECT COUNT(*) AS n FROM custom_roles WHERE business_id = ?', [
        own.id,
      ]);
      expect(Number(n)).toBe(50);
    });

    it('audits the role and each change of who holds it', async () => {
      const m = await addMember(t, biz, 'member');
      const role = await newRole('member', ['deploy:*']);
      await editRole(asOwner(biz), role.id, { scopes: ['deploy:prod'] }).expect(200);
      await give(asOwner(biz), m.identityId, role.id).expect(200);
      const onRole = await listAuditEvents(t, asOwner(biz), { target_id: role.id }).expect(200);
      expect(onRole.body.data.items.map((e: { action: string }) => e.action)).toEqual([
        'custom_role.updated',
        'custom_role.created',
      ]);
      const onMember = await listAuditEvents(t, asOwner(biz), { target_id: m.identityId }).expect(
        200,
      );
      const changed = onMember.body.data.items.find(
        (e: { action: string }) => e.action === 'member.custom_role_changed',
      );
      expect(changed.metadata).toEqual({
        custom_role_id: role.id,
        custom_role: expect.any(String),
      });
    });
  });
});
