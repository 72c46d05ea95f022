import {
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import { asOwner, deleteMachine, listMachines, postMachine, revoke } from '../harness/app/api';
import { membershipRoles } from '../harness/app/db';
import { uniq } from './tenancy-fixtures';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('machine identities on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(driver);
  });
  afterAll(() => t?.close());

  /** The machine identities of a business, as its owner lists them. */
  const machineItems = async (b: BusinessFixture) => {
    const res = await listMachines(t, asOwner(b), { limit: 200 }).expect(200);
    return res.body.data.items as { id: string; name: string; role: string }[];
  };

  describe('machine identities', () => {
    it('creates a machine identity', async () => {
      const b = await createBusiness(t);
      const name = uniq('ci-runner');
      const res = await postMachine(t, asOwner(b), { name, role: 'member' }).expect(201);
      expect(res.body).toMatchObject({ success: true, code: null });
      expect(res.body.data).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name,
        role: 'member',
        created_at: expect.any(String),
      });
      const [row] = await t.sql<{
        kind: string;
        name: string;
        business_id: string;
        deleted_at: unknown;
      }>('SELECT kind, name, business_id, deleted_at FROM identities WHERE id = ?', [
        res.body.data.id,
      ]);
      expect(row).toEqual({ kind: 'machine', name, business_id: b.id, deleted_at: null });
      expect(await membershipRoles(t, b.id, res.body.data.id)).toEqual([{ role: 'member' }]);
    });

    it('refuses the owner role with 422 in the body', async () => {
      const b = await createBusiness(t);
      const name = uniq('boss-bot');
      const res = await postMachine(t, asOwner(b), { name, role: 'owner' }).expect(422);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'role']);
      expect(await t.sql('SELECT id FROM identities WHERE name = ?', [name])).toHaveLength(0);
    });

    it('answers a duplicate name in the same business with 409 IDENTITY_EXISTS, but allows it elsewhere', async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const name = uniq('deployer');
      await createMachine(t, a, 'member', name);
      const dup = await postMachine(t, asOwner(a), { name, role: 'admin' }).expect(409);
      expect(dup.body).toMatchObject({ success: false, code: 'IDENTITY_EXISTS' });
      const elsewhere = await postMachine(t, asOwner(other), { name, role: 'admin' }).expect(201);
      expect(elsewhere.body.data).toMatchObject({ name, role: 'admin' });
      const rows = await t.sql<{ business_id: string }>(
        "SELECT business_id FROM identities WHERE kind = 'machine' AND name = ?",
        [name],
      );
      expect(rows.map((r) => r.business_id).sort()).toEqual([a.id, other.id].sort());
    });

    it('answers an invalid name with 422', async () => {
      const b = await createBusiness(t);
      const res = await postMachine(t, asOwner(b), { name: 'Has Spaces', role: 'member' }).expect(
        422,
      );
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', 'name']);
      expect(await t.sql('SELECT id FROM identities WHERE name = ?', ['Has Spaces'])).toHaveLength(
        0,
      );
    });

    it('lists machine identities', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'admin');
      const res = await listMachines(t, asOwner(b)).expect(200);
      expect(res.body).toMatchObject({ success: true, data: { next_cursor: null } });
      expect(res.body.data.items).toEqual([
        { id: machine.id, name: machine.name, role: 'admin', created_at: expect.any(String) },
      ]);
    });

    it('deletes a machine identity softly, and a second delete is 404 IDENTITY_NOT_FOUND', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const res = await deleteMachine(t, asOwner(b), machine.id).expect(200);
      expect(res.body).toMatchObject({
        success: true,
        data: { id: machine.id, name: machine.name },
      });

      expect((await machineItems(b)).map((m) => m.id)).not.toContain(machine.id);
      const [row] = await t.sql<{ deleted_at: unknown }>(
        'SELECT deleted_at FROM identities WHERE id = ?',
        [machine.id],
      );
      expect(row.deleted_at).not.toBeNull();
      expect(await membershipRoles(t, b.id, machine.id)).toHaveLength(0);

      const again = await deleteMachine(t, asOwner(b), machine.id).expect(404);
      expect(again.body).toMatchObject({ success: false, code: 'IDENTITY_NOT_FOUND' });
    });

    it('answers how many tokens the deletion revoked: the active ones, not those already revoked', async () => {
      const b = await createBusiness(t);
      const machine = await createMachine(t, b, 'member');
      const made = [];
      for (const name of ['deploy', 'backup', 'metrics', 'old']) {
        made.push(await createToken(t, asOwner(b), { identity_id: machine.id, name }));
      }
      await revoke(t, asOwner(b), made[3].id, { reason: 'lost laptop' }).expect(201);
      const bare = await createMachine(t, b, 'member');

      const res = await deleteMachine(t, asOwner(b), machine.id).expect(200);
      expect(res.body.data).toEqual({
        id: machine.id,
        name: machine.name,
        role: 'member',
        created_at: expect.any(String),
        revoked_tokens: 3,
      });
      const reasons = await t.sql<{ revocation_reason: string }>(
        'SELECT revocation_reason FROM api_tokens WHERE business_id = ? AND identity_id = ? ORDER BY revocation_reason',
        [b.id, machine.id],
      );
      expect(reasons.map((r) => r.revocation_reason)).toEqual([
        'lost laptop',
        'machine identity deleted',
        'machine identity deleted',
        'machine identity deleted',
      ]);
      const none = await deleteMachine(t, asOwner(b), bare.id).expect(200);
      expect(none.body.data.revoked_tokens).toBe(0);
    });

    it("answers deleting another business's machine with 404", async () => {
      const a = await createBusiness(t);
      const other = await createBusiness(t);
      const machine = await createMachine(t, other, 'member');
      const res = await deleteMachine(t, asOwner(a), machine.id).expect(404);
      expect(res.body).toMatchObject({ success: false, code: 'IDENTITY_NOT_FOUND' });
      const [row] = await t.sql<{ deleted_at: unknown }>(
        'SELECT deleted_at FROM identities WHERE id = ?',
        [machine.id],
      );
      expect(row.deleted_at).toBeNull();
      expect((await machineItems(other)).map((m) => m.id)).toContain(machine.id);
    });

    it('answers deleting with a malformed identity_id with 422 in the path', async () => {
      const b = await createBusiness(t);
      const res = await deleteMachine(t, asOwner(b), 'not-a-uuid').expect(422);
      expect(res.body.detail[0].loc).toEqual(['path', 'identity_id']);
    });
  });
});
