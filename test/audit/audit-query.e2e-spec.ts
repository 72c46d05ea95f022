import type { Response } from 'supertest';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createMachine,
  createToken,
} from '../factories/tenancy.factory';
import {
  asMember,
  asOwner,
  asPlatform,
  bulkRevoke,
  listAuditEvents,
  revoke,
} from '../harness/app/api';
import { dbDate } from '../harness/app/assertions';
import { EventLine } from './audit-chain';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

describe.each(DRIVERS)('audit query on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
  });

  afterAll(async () => {
    await t?.close();
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
});
