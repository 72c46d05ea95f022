import type { Response } from 'supertest';
import { hashSecret } from '../../src/tokens/token-secret';
import {
  addMember,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  asPlatform,
  bulkRevoke,
  deleteMachine,
  getToken,
  me,
  patchMember,
  postPlatformAdmin,
  removeMember,
  removePlatformAdmin,
  resume,
  revoke,
  rotate,
  suspend,
} from '../harness/app/api';
import { auditReads } from './audit-chain';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/** Polls `probe` until it returns true, at most `tries` times 50 ms apart. */
async function eventually(probe: () => Promise<boolean>, tries = 60): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe.each(DRIVERS)('audit log on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
  });

  afterAll(async () => {
    await t?.close();
  });

  const { verify } = auditReads(() => t);

  async function actionsOf(chainId: string): Promise<string[]> {
    const rows = await t.sql<{ action: string }>(
      'SELECT action FROM audit_events WHERE chain_id = ? ORDER BY seq',
      [chainId],
    );
    return rows.map((r) => r.action);
  }

  describe('one event per change, in the same transaction', () => {
    it('records every listed change of a business exactly once, in its chain', async () => {
      const biz = await createBusiness(t);
      const member = await addMember(t, biz, 'member');
      await patchMember(t, asOwner(biz), member.identityId, { role: 'admin' }).expect(200);
      const machine = await createMachine(t, biz);
      const machineToken = await createToken(t, asOwner(biz), { identity_id: machine.id });
      const own = await createToken(t, asOwner(biz));
      await rotate(t, asOwner(biz), own.id).expect(201);
      await removeMember(t, asOwner(biz), member.identityId).expect(200);
      await deleteMachine(t, asOwner(biz), machine.id).expect(200);

      expect(await actionsOf(biz.id)).toEqual([
        'member.added', // the owner, with the business
        'token.created', // the owner's first token
        'member.added', // users are global: their identity.created is in the platform chain
        'token.created', // the member's first token
        'member.role_changed',
        'identity.created', // the machine
        'member.added',
        'token.created', // the machine's token
        'token.created', // own
        'token.created', // its successor
        'token.revoked', // own, reason "rotated"
        'token.rotated',
        // A cascade records the operation, then revokes in batches, each token with its event.
        'member.removed',
        'token.revoked', // the member's first token
        'identity.deleted',
        'token.revoked', // the machine's token
      ]);
      expect(machineToken.id).toEqual(expect.any(String));

      const platformActions = await actionsOf('platform');
      expect(platformActions).toEqual(expect.arrayContaining(['business.created']));
      const bizCreated = await t.sql<{ n: number }>(
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'business.created' AND target_id = ?",
        [biz.id],
      );
      expect(Number(bizCreated[0].n)).toBe(1);
      const userCreated = await t.sql<{ n: number }>(
        "SELECT COUNT(*) AS n FROM audit_events WHERE chain_id = 'platform' AND action = 'identity.created' AND target_id IN (?, ?)",
        [biz.ownerId, member.identityId],
      );
      expect(Number(userCreated[0].n)).toBe(2);
    });

    it('records suspend, resume and platform admin changes in the platform chain', async () => {
      const biz = await createBusiness(t);
      await suspend(t, biz.id).expect(200);
      await suspend(t, biz.id).expect(200);
      await resume(t, biz.id).expect(200);
      const added = await postPlatformAdmin(t, asPlatform(t), {
        email: `ops-${driver}-${Date.now()}@example.test`,
      }).expect(201);
      const adminId = added.body.data.admin.identity_id ?? added.body.data.admin.id;
      await removePlatformAdmin(t, asPlatform(t), adminId).expect(200);

      const rows = await t.sql<{ action: string; target_id: string }>(
        "SELECT action, target_id FROM audit_events WHERE chain_id = 'platform' AND target_id IN (?, ?) ORDER BY seq",
        [biz.id, adminId],
      );
      // The second suspend was ALREADY_SUSPENDED: no change, so no event.
      expect(rows.map((r) => r.action)).toEqual([
        'business.created',
        'business.suspended',
        'business.resumed',
        'identity.created',
        'identity.platform_admin_added',
        'identity.platform_admin_removed',
      ]);
      const tokenRows = await t.sql<{ action: string }>(
        "SELECT action FROM audit_events WHERE chain_id = 'platform' AND action LIKE 'token.%' AND metadata LIKE ?",
        [`%${adminId}%`],
      );
      expect(tokenRows.map((r) => r.action).sort()).toEqual(['token.created', 'token.revoked']);
    });

    it('records who acted, with which token made by whom, on what, from where, and why', async () => {
      const biz = await createBusiness(t);
      const token = await createToken(t, asOwner(biz), { name: 'deploy' });
      const ownerTokenId = (await me(t, asOwner(biz)).expect(200)).body.data.token.id as string;
      await t
        .http()
        .post(`/api/v1/tokens/${token.id}/revoke`)
        .set(asMember(biz.ownerToken, biz.id))
        .set('x-request-id', 'req-audit-1')
        .set('user-agent', 'audit-test/1.0')
        .send({ reason: 'leaked in CI logs' })
        .expect(201);
      const res = await t
        .http()
        .get('/api/v1/audit-events')
        .query({ action: 'token.revoked', target_id: token.id })
        .set(asMember(biz.ownerToken, biz.id))
        .expect(200);
      expect(res.body.data.items).toHaveLength(1);
      expect(res.body.data.items[0]).toEqual({
        id: expect.any(String),
        seq: expect.any(Number),
        business_id: biz.id,
        occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        action: 'token.revoked',
        outcome: 'success',
        origin: 'api',
        // The owner acted with the first token that the platform admin made for them.
        actor: {
          id: biz.ownerId,
          type: 'user',
          label: biz.ownerEmail,
          token_id: ownerTokenId,
          issued_by: { id: expect.any(String), label: 'admin@latchkey.local' },
        },
        target: { type: 'token', id: token.id, label: 'deploy' },
        // The server's own id; the caller's is kept beside it.
        request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        ip: expect.any(String),
        user_agent: 'audit-test/1.0',
        metadata: {
          jti: expect.any(String),
          identity_id: biz.ownerId,
          reason: 'leaked in CI logs',
          client_request_id: 'req-audit-1',
        },
        prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });

    it('keeps no secret and no hash in any event', async () => {
      const biz = await createBusiness(t);
      const token = await createToken(t, asOwner(biz));
      await revoke(t, asOwner(biz), token.id, { reason: 'test' }).expect(201);
      const rows = await t.sql<Record<string, unknown>>('SELECT * FROM audit_events');
      const dump = JSON.stringify(rows);
      for (const secret of [token.secret, biz.ownerToken, t.platformToken]) {
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(hashSecret(secret));
      }
    });

    it('writes no event for a revocation that changes nothing', async () => {
      const biz = await createBusiness(t);
      const token = await createToken(t, asOwner(biz));
      await revoke(t, asOwner(biz), token.id, { reason: 'test' }).expect(201);
      const again = await revoke(t, asOwner(biz), token.id, { reason: 'test' }).expect(201);
      expect(again.body.code).toBe('ALREADY_REVOKED');
      const rows = await t.sql('SELECT id FROM audit_events WHERE action = ? AND target_id = ?', [
        'token.revoked',
        token.id,
      ]);
      expect(rows).toHaveLength(1);
    });

    it('records N token.revoked plus one token.bulk_revoked for a bulk revocation', async () => {
      const biz = await createBusiness(t);
      const machine = await createMachine(t, biz);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++)
        ids.push((await createToken(t, asOwner(biz), { identity_id: machine.id })).id);
      const res = await bulkRevoke(t, asOwner(biz), {
        identity_id: machine.id,
        reason: 'machine retired',
      }).expect(200);
      expect(res.body.data.revoked).toBe(4);
      const actions = await actionsOf(biz.id);
      // The operation first, with the tokens it takes; then each token's revocation.
      expect(actions.slice(-5)).toEqual([
        'token.bulk_revoked',
        'token.revoked',
        'token.revoked',
        'token.revoked',
        'token.revoked',
      ]);
      const bulk = await t.sql<{ metadata: string }>(
        "SELECT metadata FROM audit_events WHERE chain_id = ? AND action = 'token.bulk_revoked'",
        [biz.id],
      );
      const metadata = JSON.parse(bulk[0].metadata);
      expect(metadata).toEqual({
        reason: 'machine retired',
        filters: { identity_id: machine.id, created_before: null, scope: null, all: false },
        revoked: 4,
        token_ids: expect.arrayContaining(ids),
      });
    });
  });

  describe('fail closed', () => {
    it('rolls the revocation back and answers 503 when the audit write fails', async () => {
      const biz = await createBusiness(t);
      const token = await createToken(t, asOwner(biz));
      await t.sql('ALTER TABLE audit_events RENAME TO audit_events_offline');
      let res: Response;
      try {
        res = await revoke(t, asOwner(biz), token.id, { reason: 'test' });
      } finally {
        await t.sql('ALTER TABLE audit_events_offline RENAME TO audit_events');
      }
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('STORAGE_UNAVAILABLE');
      expect(res.headers['retry-after']).toEqual(expect.any(String));
      // The token is still active, and no event claims otherwise.
      await me(t, asMember(token.secret, biz.id)).expect(200);
      const view = await getToken(t, asOwner(biz), token.id).expect(200);
      expect(view.body.data.status).toBe('active');
      const rows = await t.sql('SELECT id FROM audit_events WHERE target_id = ? AND action = ?', [
        token.id,
        'token.revoked',
      ]);
      expect(rows).toHaveLength(0);
      expect(await verify(biz)).toEqual({
        valid: true,
        checked: expect.any(Number),
        first_invalid_seq: null,
      });
    });

    it('rolls back the events already written when a later step of the change fails', async () => {
      const biz = await createBusiness(t);
      const a = await createToken(t, asOwner(biz));
      const b = await createToken(t, asOwner(biz));
      const before = await actionsOf(biz.id);
      // The bulk event is written first, in the transaction that finds the tokens; refusing it
      // must leave every token as it was, with no token.revoked event.
      if (driver === 'postgres') {
        await t.sql(`CREATE FUNCTION refuse_bulk() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.action = 'token.bulk_revoked' THEN RAISE EXCEPTION 'injected'; END IF;
          RETURN NEW; END $$`);
        await t.sql(
          'CREATE TRIGGER refuse_bulk BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_bulk()',
        );
      } else {
        await t.sql(`CREATE TRIGGER refuse_bulk BEFORE INSERT ON audit_events
          WHEN NEW.action = 'token.bulk_revoked' BEGIN SELECT RAISE(ABORT, 'injected'); END`);
      }
      let res: Response;
      try {
        res = await bulkRevoke(t, asOwner(biz), {
          created_before: new Date(Date.now() + 60_000).toISOString(),
          reason: 'x',
        });
      } finally {
        await t.sql(
          driver === 'postgres'
            ? 'DROP TRIGGER refuse_bulk ON audit_events'
            : 'DROP TRIGGER refuse_bulk',
        );
      }
      expect(res.status).toBe(503);
      expect(await actionsOf(biz.id)).toEqual(before);
      for (const token of [a, b, { secret: biz.ownerToken }]) {
        await me(t, asMember(token.secret, biz.id)).expect(200);
      }
    });
  });

  describe('token.rejected', () => {
    it('records a revoked token still in use, once per token per minute', async () => {
      const biz = await createBusiness(t);
      const token = await createToken(t, asOwner(biz));
      await revoke(t, asOwner(biz), token.id, { reason: 'test' }).expect(201);
      for (let i = 0; i < 3; i++) {
        const res = await me(t, asMember(token.secret, biz.id)).set('user-agent', 'leaked-client');
        expect(res.status).toBe(401);
      }
      const rejected = () =>
        t.sql<{ outcome: string; metadata: string; user_agent: string }>(
          "SELECT outcome, metadata, user_agent FROM audit_events WHERE action = 'token.rejected' AND target_id = ?",
          [token.id],
        );
      expect(await eventually(async () => (await rejected()).length > 0)).toBe(true);
      // Give any (wrong) second write the time to land before counting.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rows = await rejected();
      expect(rows).toHaveLength(1);
      expect(rows[0].outcome).toBe('failure');
      expect(rows[0].user_agent).toBe('leaked-client');
      expect(JSON.parse(rows[0].metadata)).toMatchObject({ reason: 'revoked' });
      expect(await verify(biz)).toMatchObject({ valid: true, first_invalid_seq: null });
    });

    it('records an expired token in use, with reason expired', async () => {
      const biz = await createBusiness(t);
      const token = await createToken(t, asOwner(biz));
      await t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
        driver === 'postgres' ? new Date(Date.now() - 1000) : '2000-01-01 00:00:00.000',
        token.id,
      ]);
      // A cached snapshot may still hold the old expiry until its TTL; the rotation-free way
      // to drop it is the bus, which a rename does not touch, so wait for the 401 first.
      expect(
        await eventually(async () => {
          const res = await me(t, asMember(token.secret, biz.id));
          return res.status === 401;
        }, 250),
      ).toBe(true);
      expect(
        await eventually(
          async () =>
            (
              await t.sql(
                "SELECT id FROM audit_events WHERE action = 'token.rejected' AND target_id = ? AND metadata LIKE '%expired%'",
                [token.id],
              )
            ).length === 1,
        ),
      ).toBe(true);
    });
  });
});
