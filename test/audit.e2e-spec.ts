import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { hashSecret } from '../src/tokens/token-secret';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
} from './factories/tenancy.factory';
import {
  asMember,
  asOwner,
  asPlatform,
  bulkRevoke,
  deleteMachine,
  getToken,
  listAuditEvents,
  me,
  patchMember,
  postPlatformAdmin,
  removeMember,
  removePlatformAdmin,
  resume,
  revoke,
  rotate,
  suspend,
} from './helpers/api';
import { dbDate } from './helpers/assertions';
import { auditAppendOnly } from './helpers/db';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

const GENESIS = '0'.repeat(64);

interface EventLine {
  seq: number;
  prev_hash: string;
  hash: string;
  [field: string]: unknown;
}

/**
 * The chain rule, written here from the spec rather than imported: keys sorted by UTF-16 code
 * units, no whitespace (RFC 8785 for the strings, integers and nulls an event holds).
 */
function jcs(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : 1,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jcs(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256(prev_hash || JCS(the line without prev_hash and hash)). */
function lineHash(line: EventLine): string {
  const event: Record<string, unknown> = { ...line };
  delete event.prev_hash;
  delete event.hash;
  return createHash('sha256').update(line.prev_hash).update(jcs(event)).digest('hex');
}

/** Checks an NDJSON export offline; returns the first seq that does not hold, or null. */
function checkOffline(lines: EventLine[]): number | null {
  let prev = GENESIS;
  for (const [i, line] of lines.entries()) {
    if (line.seq !== i + 1 || line.prev_hash !== prev || lineHash(line) !== line.hash) {
      return line.seq;
    }
    prev = line.hash;
  }
  return null;
}

function parseNdjson(text: string): EventLine[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EventLine);
}

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

  async function actionsOf(chainId: string): Promise<string[]> {
    const rows = await t.sql<{ action: string }>(
      'SELECT action FROM audit_events WHERE chain_id = ? ORDER BY seq',
      [chainId],
    );
    return rows.map((r) => r.action);
  }

  async function exportChain(biz: BusinessFixture, query = ''): Promise<Response> {
    return t
      .http()
      .get(`/api/v1/audit-events/export${query}`)
      .set(asMember(biz.ownerToken, biz.id))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(null, text));
      });
  }

  async function verify(biz: BusinessFixture) {
    const res = await t
      .http()
      .get('/api/v1/audit-events/verify')
      .set(asMember(biz.ownerToken, biz.id))
      .expect(200);
    return res.body.data as { valid: boolean; checked: number; first_invalid_seq: number | null };
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

  describe('query', () => {
    let biz: BusinessFixture;
    let other: BusinessFixture;
    let tokenIds: string[];

    beforeAll(async () => {
      biz = await createBusiness(t);
      other = await createBusiness(t);
      tokenIds = [];
      for (let i = 0; i < 5; i++)
        tokenIds.push((await createToken(t, asOwner(biz), { name: `t${i}` })).id);
      await revoke(t, asOwner(biz), tokenIds[0], { reason: 'test' }).expect(201);
      await revoke(t, asOwner(biz), tokenIds[1], { reason: 'test' }).expect(201);
      await createToken(t, asOwner(other));
    });

    const list = (query: Record<string, unknown> = {}, who?: BusinessFixture) =>
      listAuditEvents(t, asOwner(who ?? biz), query);

    it('lists newest first, keyset-paged, without gaps or repeats', async () => {
      const all = (await list({ limit: 200 }).expect(200)).body.data.items as EventLine[];
      expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => b - a));
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await list({ limit: 3, ...(cursor ? { cursor } : {}) }).expect(200);
        seen.push(...(res.body.data.items as EventLine[]).map((e) => e.seq));
        cursor = res.body.data.next_cursor;
      } while (cursor);
      expect(seen).toEqual(all.map((e) => e.seq));
      expect(all.every((e) => e.business_id === biz.id)).toBe(true);
    });

    it("lists one transaction's events in chain order: occurred_at strictly rises with seq", async () => {
      // A business and its first owner are written in one transaction, often in one millisecond;
      // a bulk revoke writes several events in one. Their order must not fall to the random id.
      const businesses: BusinessFixture[] = [];
      for (let i = 0; i < 4; i++) businesses.push(await createBusiness(t));
      const machine = await createMachine(t, businesses[0]);
      for (let i = 0; i < 3; i++) {
        await createToken(t, asOwner(businesses[0]), { identity_id: machine.id });
      }
      await bulkRevoke(t, asOwner(businesses[0]), {
        identity_id: machine.id,
        reason: 'order',
      }).expect(200);
      for (const b of businesses) {
        const rows = await t.sql<{ seq: number; occurred_at: unknown }>(
          'SELECT seq, occurred_at FROM audit_events WHERE business_id = ? ORDER BY seq',
          [b.id],
        );
        const times = rows.map((r) => dbDate(r.occurred_at)!.getTime());
        expect(times.every((at, i) => i === 0 || at > times[i - 1])).toBe(true);
        const listed = (await list({ limit: 200 }, b).expect(200)).body.data.items as EventLine[];
        expect(listed.map((e) => e.seq)).toEqual(rows.map((r) => Number(r.seq)).reverse());
      }
    });

    it('filters by action (repeatable), actor, target, outcome and time', async () => {
      const revoked = (await list({ action: 'token.revoked' }).expect(200)).body.data.items;
      expect(revoked.map((e: EventLine) => (e.target as { id: string }).id).sort()).toEqual(
        [tokenIds[0], tokenIds[1]].sort(),
      );
      const both = await t
        .http()
        .get('/api/v1/audit-events?action=token.revoked&action=member.added')
        .set(asMember(biz.ownerToken, biz.id))
        .expect(200);
      expect(new Set(both.body.data.items.map((e: EventLine) => e.action))).toEqual(
        new Set(['token.revoked', 'member.added']),
      );
      const byTarget = (await list({ target_id: tokenIds[2] }).expect(200)).body.data.items;
      expect(byTarget.map((e: EventLine) => e.action)).toEqual(['token.created']);
      const byActor = (await list({ actor_id: biz.ownerId, limit: 200 }).expect(200)).body.data
        .items;
      expect(byActor.length).toBeGreaterThanOrEqual(7);
      expect((await list({ outcome: 'failure' }).expect(200)).body.data.items).toEqual([]);
      const newest = (await list({ limit: 1 }).expect(200)).body.data.items[0];
      const fromNewest = (await list({ from: newest.occurred_at }).expect(200)).body.data.items;
      expect(fromNewest.map((e: EventLine) => e.id)).toContain(newest.id);
      const beforeNewest = (await list({ to: newest.occurred_at, limit: 200 }).expect(200)).body
        .data.items;
      expect(beforeNewest.map((e: EventLine) => e.id)).not.toContain(newest.id);
    });

    it('answers 422 for bad filters, never 500', async () => {
      for (const query of [
        { action: 'DROP TABLE' },
        { actor_id: 'nope' },
        { outcome: 'maybe' },
        { from: 'yesterday' },
        { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
        { cursor: 'garbage' },
        { limit: 0 },
      ]) {
        const res = await list(query);
        expect({ query, status: res.status }).toEqual({ query, status: 422 });
        expect(res.body.detail[0].loc[0]).toBe('query');
      }
    });

    /** Reading the log (list, export, verify) takes the owner or admin role and audit:read. */
    it.each([
      {
        title:
          'needs the owner or admin role and a token that allows audit:read: a member is refused',
        role: 'member',
        scopes: null,
        refused: 'INSUFFICIENT_ROLE',
      },
      {
        title:
          'needs the owner or admin role and a token that allows audit:read: an admin token without it is refused',
        role: 'admin',
        scopes: ['tokens:admin'],
        refused: 'INSUFFICIENT_SCOPE',
      },
      {
        title:
          'needs the owner or admin role and a token that allows audit:read: an admin token with it reads',
        role: 'admin',
        scopes: ['audit:read'],
        refused: null,
      },
    ] as const)('$title', async ({ role, scopes, refused }) => {
      const person = await addMember(t, biz, role);
      const token =
        scopes === null
          ? person.token
          : (
              await createToken(t, asMember(person.token, biz.id), {
                name: 'reader',
                scopes: [...scopes],
              })
            ).secret;
      for (const path of [
        '/api/v1/audit-events',
        '/api/v1/audit-events/export',
        '/api/v1/audit-events/verify',
      ]) {
        const res = await t.http().get(path).set(asMember(token, biz.id));
        if (refused === null) {
          expect({ path, status: res.status }).toEqual({ path, status: 200 });
        } else {
          expect({ path, status: res.status, code: res.body.code }).toEqual({
            path,
            status: 403,
            code: refused,
          });
        }
      }
    });

    it("never shows another business's events", async () => {
      const mine = (await list({ limit: 200 }).expect(200)).body.data.items as EventLine[];
      const theirs = (await list({ limit: 200 }, other).expect(200)).body.data.items as EventLine[];
      const mineIds = new Set(mine.map((e) => e.id));
      expect(theirs.some((e) => mineIds.has(e.id))).toBe(false);
      const targeted = (await list({ target_id: tokenIds[0] }, other).expect(200)).body.data.items;
      expect(targeted).toEqual([]);
    });

    it('lists across businesses for platform admins, with a business_id filter', async () => {
      const res = await t
        .http()
        .get('/platform/v1/audit-events')
        .query({ business_id: other.id, limit: 200 })
        .set(asPlatform(t))
        .expect(200);
      expect(res.body.data.items.length).toBeGreaterThan(0);
      expect(res.body.data.items.every((e: EventLine) => e.business_id === other.id)).toBe(true);
      const any = await t
        .http()
        .get('/platform/v1/audit-events')
        .query({ limit: 200 })
        .set(asPlatform(t))
        .expect(200);
      expect(
        new Set(any.body.data.items.map((e: EventLine) => e.business_id)).size,
      ).toBeGreaterThan(2);
      const denied = await t
        .http()
        .get('/platform/v1/audit-events')
        .set(asMember(biz.ownerToken, biz.id));
      expect(denied.status).toBe(403);
    });
  });

  describe('export', () => {
    it('streams NDJSON that checks offline, and honours the filters', async () => {
      const biz = await createBusiness(t);
      for (let i = 0; i < 3; i++) await createToken(t, asOwner(biz));
      const res = await exportChain(biz);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('application/x-ndjson');
      expect(res.headers['content-disposition']).toContain('attachment');
      const lines = parseNdjson(res.body as string);
      expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(checkOffline(lines)).toBeNull();
      const filtered = parseNdjson(
        (await exportChain(biz, '?action=token.created')).body as string,
      );
      expect(filtered.map((l) => l.action)).toEqual(Array(4).fill('token.created'));
    });

    it('writes CSV with quoting and formula injection defused', async () => {
      const biz = await createBusiness(t);
      await createToken(t, asOwner(biz), { name: '=HYPERLINK("http://evil.test","x")' });
      await createToken(t, asOwner(biz), { name: '@SUM(1,2)' });
      const res = await exportChain(biz, '?format=csv');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      const text = res.body as string;
      const [header] = text.split('\r\n');
      expect(header.split(',')).toEqual(
        expect.arrayContaining(['seq', 'action', 'target_label', 'prev_hash', 'hash']),
      );
      expect(text).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
      expect(text).toContain(`"'@SUM(1,2)"`);
      expect(text).not.toMatch(/(^|,)[=@]/m);
    });

    it('streams the platform chain for platform admins', async () => {
      const res = await t
        .http()
        .get('/platform/v1/audit-events/export')
        .set(asPlatform(t))
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (chunk: string) => (text += chunk));
          r.on('end', () => done(null, text));
        })
        .expect(200);
      const lines = parseNdjson(res.body as string);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => l.business_id === null)).toBe(true);
      expect(checkOffline(lines)).toBeNull();
    });

    it('answers 422 for an unknown format', async () => {
      const biz = await createBusiness(t);
      const res = await exportChain(biz, '?format=xml');
      expect(res.status).toBe(422);
    });
  });

  it('documents the audit routes in the OpenAPI spec, with their security and examples', async () => {
    const spec = (await t.http().get('/docs-json').expect(200)).body;
    for (const path of [
      '/api/v1/audit-events',
      '/api/v1/audit-events/export',
      '/api/v1/audit-events/verify',
      '/platform/v1/audit-events',
      '/platform/v1/audit-events/export',
      '/platform/v1/audit-events/verify',
    ]) {
      expect(spec.paths[path]?.get?.security).toEqual(expect.any(Array));
    }
    const list = spec.paths['/api/v1/audit-events'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining([
        'action',
        'actor_id',
        'target_id',
        'outcome',
        'from',
        'to',
        'limit',
        'cursor',
      ]),
    );
    expect(spec.components.schemas.AuditEventDto.properties.hash.description).toContain('RFC 8785');
  });

  describe('verify and tampering', () => {
    const allowTampering = () => auditAppendOnly(t, false);
    const restoreGuard = () => auditAppendOnly(t, true);

    async function bizWithEvents(tokens = 4) {
      const biz = await createBusiness(t);
      for (let i = 0; i < tokens; i++) await createToken(t, asOwner(biz), { name: `t${i}` });
      // member.added, token.created (first) + `tokens` more: seq 1..tokens+2.
      expect(await verify(biz)).toEqual({
        valid: true,
        checked: tokens + 2,
        first_invalid_seq: null,
      });
      return biz;
    }

    afterEach(async () => {
      await restoreGuard();
    });

    it('refuses UPDATE and DELETE at the database on PostgreSQL', async () => {
      if (driver !== 'postgres') return;
      const biz = await bizWithEvents(1);
      await expect(
        t.sql("UPDATE audit_events SET action = 'x' WHERE chain_id = ?", [biz.id]),
      ).rejects.toThrow(/append-only/);
      await expect(t.sql('DELETE FROM audit_events WHERE chain_id = ?', [biz.id])).rejects.toThrow(
        /append-only/,
      );
    });

    it('finds an edited event at its seq', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql(
        "UPDATE audit_events SET target_label = 'innocent' WHERE chain_id = ? AND seq = 4",
        [biz.id],
      );
      expect(await verify(biz)).toEqual({ valid: false, checked: 4, first_invalid_seq: 4 });
    });

    it('finds a deleted event at its seq', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql('DELETE FROM audit_events WHERE chain_id = ? AND seq = 3', [biz.id]);
      expect(await verify(biz)).toMatchObject({ valid: false, first_invalid_seq: 3 });
    });

    it('finds two swapped events at the first of them', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql('UPDATE audit_events SET seq = -1 WHERE chain_id = ? AND seq = 3', [biz.id]);
      await t.sql('UPDATE audit_events SET seq = 3 WHERE chain_id = ? AND seq = 5', [biz.id]);
      await t.sql('UPDATE audit_events SET seq = 5 WHERE chain_id = ? AND seq = -1', [biz.id]);
      expect(await verify(biz)).toMatchObject({ valid: false, first_invalid_seq: 3 });
    });

    it('finds a deleted tail through the chain head', async () => {
      const biz = await bizWithEvents();
      await allowTampering();
      await t.sql('DELETE FROM audit_events WHERE chain_id = ? AND seq = 6', [biz.id]);
      expect(await verify(biz)).toEqual({ valid: false, checked: 5, first_invalid_seq: 6 });
    });

    it('finds a rewritten event even when its own hash was recomputed', async () => {
      const biz = await bizWithEvents();
      const lines = parseNdjson((await exportChain(biz)).body as string);
      const forged = { ...lines[1], metadata: { ...(lines[1].metadata as object), forged: true } };
      const hash = lineHash(forged);
      await allowTampering();
      await t.sql('UPDATE audit_events SET metadata = ?, hash = ? WHERE chain_id = ? AND seq = 2', [
        jcs(forged.metadata),
        hash,
        biz.id,
      ]);
      // seq 2 now holds, but seq 3 still points at the old hash.
      expect(await verify(biz)).toMatchObject({ valid: false, first_invalid_seq: 3 });
    });

    it('keeps one gap-free chain under 50 concurrent revocations', async () => {
      const biz = await createBusiness(t);
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push((await createToken(t, asOwner(biz))).id);
      const results = await Promise.all(
        ids.map((id) => revoke(t, asOwner(biz), id, { reason: 'test' })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
      const seqs = (
        await t.sql<{ seq: number }>(
          'SELECT seq FROM audit_events WHERE chain_id = ? ORDER BY seq',
          [biz.id],
        )
      ).map((r) => Number(r.seq));
      expect(seqs).toEqual(Array.from({ length: 102 }, (_, i) => i + 1));
      expect(await verify(biz)).toEqual({ valid: true, checked: 102, first_invalid_seq: null });
    });

    it('verifies the platform chain', async () => {
      const res = await t
        .http()
        .get('/platform/v1/audit-events/verify')
        .set(asPlatform(t))
        .expect(200);
      expect(res.body.data).toEqual({
        valid: true,
        checked: expect.any(Number),
        first_invalid_seq: null,
      });
      expect(res.body.data.checked).toBeGreaterThan(0);
    });
  });
});
