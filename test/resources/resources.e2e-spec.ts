import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
  createUnexpiringBusiness,
  MemberFixture,
} from '../factories/tenancy.factory';
import { uniqueLabel } from '../factories/unique';
import { asMember, asOwner, Caller, listAuditEvents } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

const MISSING = '00000000-0000-4000-8000-000000000000';

/** A URI no other test of the run registers. */
const freshUri = (label = 'mcp') => `https://${uniqueLabel(label)}.example.com/mcp`;

const body = (uri = freshUri(), extra: object = {}) => ({
  uri,
  name: 'Orders MCP server',
  scopes: [
    { name: 'orders:read', description: 'Read your orders and their status' },
    { name: 'orders:write', description: 'Place and cancel orders' },
  ],
  ...extra,
});

/**
 * The resources routes (`/api/v1/resources`): registered, read, changed and deleted through the
 * real app and its migrations, and each rule tried the way a caller who wants round it would:
 * another business's ids, a member's or a narrowed token, odd text, the same URI spelled
 * otherwise or sent twice at once.
 */
describe.each(DRIVERS)('resources on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let other: BusinessFixture;
  let admin: MemberFixture;
  let member: MemberFixture;

  const register = (caller: Caller, payload: object): Test =>
    t.http().post('/api/v1/resources').set(caller).send(payload);
  const list = (caller: Caller, query: object = {}): Test =>
    t.http().get('/api/v1/resources').query(query).set(caller);
  const get = (caller: Caller, id: string): Test =>
    t.http().get(`/api/v1/resources/${id}`).set(caller);
  const patch = (caller: Caller, id: string, payload: object): Test =>
    t.http().patch(`/api/v1/resources/${id}`).set(caller).send(payload);
  const remove = (caller: Caller, id: string): Test =>
    t.http().delete(`/api/v1/resources/${id}`).set(caller);

  const rowsOf = (businessId: string) =>
    t.sql<{ id: string; uri: string }>(
      'SELECT id, uri FROM resources WHERE business_id = ? ORDER BY uri',
      [businessId],
    );

  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
    other = await createUnexpiringBusiness(t);
    admin = await addMember(t, biz, 'admin');
    member = await addMember(t, biz, 'member');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('the life of a resource', () => {
    it('registers, lists, reads, changes and deletes one, in its canonical spelling', async () => {
      const host = uniqueLabel('orders');
      const created = await register(
        asOwner(biz),
        body(`HTTPS://${host.toUpperCase()}.Example.COM:443/`, { name: '  Orders  ' }),
      ).expect(201);
      const view = created.body.data;
      expect(view).toEqual({
        id: expect.any(String),
        uri: `https://${host}.example.com`,
        name: 'Orders',
        scopes: body().scopes,
        created_at: expect.any(String),
        updated_at: view.created_at,
        updated_by: biz.ownerEmail,
      });
      expect((await get(asOwner(biz), view.id).expect(200)).body.data).toEqual(view);
      const listed = (await list(asOwner(biz), { limit: 200 }).expect(200)).body.data;
      expect(listed.items).toContainEqual(view);

      const scopes = [{ name: 'orders:read', description: 'Read orders' }];
      const changed = await patch(asMember(admin.token, biz.id), view.id, {
        name: 'Orders (EU)',
        scopes,
      }).expect(200);
      expect(changed.body.data).toMatchObject({
        id: view.id,
        uri: view.uri,
        name: 'Orders (EU)',
        scopes,
        updated_by: admin.email,
      });
      const gone = await remove(asOwner(biz), view.id).expect(200);
      expect(gone.body.data).toMatchObject({ id: view.id, name: 'Orders (EU)', scopes });
      expectError(await get(asOwner(biz), view.id), 404, 'RESOURCE_NOT_FOUND');
      expectError(await remove(asOwner(biz), view.id), 404, 'RESOURCE_NOT_FOUND');
      expect(await t.sql('SELECT id FROM resources WHERE id = ?', [view.id])).toEqual([]);
    });

    it.each([
      ['https://Mcp.Example.com/', 'https://mcp.example.com'],
      ['https://mcp.example.com:443/mcp', 'https://mcp.example.com/mcp'],
      ['https://mcp.example.com:8443/mcp/', 'https://mcp.example.com:8443/mcp/'],
      ['https://mcp.example.com/a/../mcp', 'https://mcp.example.com/mcp'],
      ['https://mcp.example.com/mcp?tenant=acme', 'https://mcp.example.com/mcp?tenant=acme'],
      ['http://localhost:8080/mcp', 'http://localhost:8080/mcp'],
      ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
      ['http://[::1]:8080/', 'http://[::1]:8080'],
    ])('stores %s as %s', async (uri, canonical) => {
      const own = await createBusiness(t);
      const res = await register(asOwner(own), body(uri)).expect(201);
      expect(res.body.data.uri).toBe(canonical);
      expect(await rowsOf(own.id)).toEqual([{ id: res.body.data.id, uri: canonical }]);
    });

    it('pages the list by its cursor, oldest first', async () => {
      const own = await createBusiness(t);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await register(asOwner(own), body()).expect(201)).body.data.id);
      }
      const first = (await list(asOwner(own), { limit: 2 }).expect(200)).body.data;
      expect(first.items.map((r: { id: string }) => r.id)).toEqual(ids.slice(0, 2));
      const second = (await list(asOwner(own), { limit: 2, cursor: first.next_cursor }).expect(200))
        .body.data;
      expect(second).toEqual({
        items: [expect.objectContaining({ id: ids[2] })],
        next_cursor: null,
      });
      expectError(await list(asOwner(own), { cursor: 'nope' }), 422, 'INVALID_CURSOR');
    });

    it('a PATCH that changes nothing writes and audits nothing', async () => {
      const { id, updated_at } = (await register(asOwner(biz), body()).expect(201)).body.data;
      const same = await patch(asOwner(biz), id, { name: 'Orders MCP server' }).expect(200);
      expect(same.body.data.updated_at).toBe(updated_at);
      const events = await listAuditEvents(t, asOwner(biz), {
        target_id: id,
        action: 'resource.updated',
      }).expect(200);
      expect(events.body.data.items).toEqual([]);
    });
  });

  describe('another business', () => {
    let theirs: string;
    beforeAll(async () => {
      theirs = (await register(asOwner(other), body()).expect(201)).body.data.id;
    });

    it.each([
      ['GET', (c: Caller, id: string) => get(c, id)],
      ['PATCH', (c: Caller, id: string) => patch(c, id, { name: 'mine now' })],
      ['DELETE', (c: Caller, id: string) => remove(c, id)],
    ])("%s of another business's resource is 404, as one that does not exist", async (_m, send) => {
      const probe = await send(asOwner(biz), theirs);
      expectError(probe, 404, 'RESOURCE_NOT_FOUND');
      const missing = await send(asOwner(biz), MISSING);
      expect(missing.body).toEqual({ ...probe.body, request_id: missing.body.request_id });
      const [row] = await t.sql<{ name: string }>('SELECT name FROM resources WHERE id = ?', [
        theirs,
      ]);
      expect(row.name).toBe('Orders MCP server');
    });

    it('lists none of its resources, and takes its URI as a new one', async () => {
      const listed = (await list(asOwner(biz), { limit: 200 }).expect(200)).body.data.items;
      expect(listed.map((r: { id: string }) => r.id)).not.toContain(theirs);
      const [{ uri }] = await t.sql<{ uri: string }>('SELECT uri FROM resources WHERE id = ?', [
        theirs,
      ]);
      await register(asOwner(biz), body(uri)).expect(201);
    });

    it("is 403 with the other business's header: a token acts in its own business only", async () => {
      expectError(await list(asMember(biz.ownerToken, other.id)), 403, 'BUSINESS_MISMATCH');
      expectError(
        await register(asMember(biz.ownerToken, other.id), body()),
        403,
        'BUSINESS_MISMATCH',
      );
    });
  });

  describe('who may act', () => {
    let id: string;
    beforeAll(async () => {
      id = (await register(asOwner(biz), body()).expect(201)).body.data.id;
    });

    it('a member reads the list and each resource, and changes none of them', async () => {
      const caller = asMember(member.token, biz.id);
      const listed = (await list(caller, { limit: 200 }).expect(200)).body.data.items;
      expect(listed.map((r: { id: string }) => r.id)).toContain(id);
      await get(caller, id).expect(200);
      expectError(await register(caller, body()), 403, 'INSUFFICIENT_ROLE');
      expectError(await patch(caller, id, { name: 'x' }), 403, 'INSUFFICIENT_ROLE');
      expectError(await remove(caller, id), 403, 'INSUFFICIENT_ROLE');
      expect((await get(asOwner(biz), id).expect(200)).body.data.name).toBe('Orders MCP server');
    });

    it('a member may hold resources:read, never resources:write or resources:*', async () => {
      const caller = asMember(member.token, biz.id);
      const reader = await createToken(t, caller, { scopes: ['resources:read'] });
      await list(asMember(reader.secret, biz.id)).expect(200);
      for (const scopes of [['resources:write'], ['resources:*']]) {
        const res = await t.http().post('/api/v1/tokens').set(caller).send({ name: 'w', scopes });
        expectError(res, 403, 'SCOPE_ESCALATION');
      }
    });

    it('a token narrowed to resources:read reads, and writes nothing, even an owner’s', async () => {
      const reader = await createToken(t, asOwner(biz), { scopes: ['resources:read'] });
      const caller = asMember(reader.secret, biz.id);
      await list(caller).expect(200);
      await get(caller, id).expect(200);
      expectError(await register(caller, body()), 403, 'INSUFFICIENT_SCOPE');
      expectError(await patch(caller, id, { name: 'x' }), 403, 'INSUFFICIENT_SCOPE');
      expectError(await remove(caller, id), 403, 'INSUFFICIENT_SCOPE');
      await get(asOwner(biz), id).expect(200);
    });

    it('a token with none of its scopes reads nothing; resources:write covers reading', async () => {
      const none = await createToken(t, asOwner(biz), { scopes: ['orders:read'] });
      expectError(await list(asMember(none.secret, biz.id)), 403, 'INSUFFICIENT_SCOPE');
      expectError(await get(asMember(none.secret, biz.id), id), 403, 'INSUFFICIENT_SCOPE');
      const writer = await createToken(t, asMember(admin.token, biz.id), {
        scopes: ['resources:write'],
      });
      const caller = asMember(writer.secret, biz.id);
      await list(caller).expect(200);
      const mine = (await register(caller, body()).expect(201)).body.data.id;
      await patch(caller, mine, { name: 'Renamed' }).expect(200);
      await remove(caller, mine).expect(200);
    });

    it('a platform token acts in any business', async () => {
      const caller = asMember(t.platformToken, biz.id);
      const mine = (await register(caller, body()).expect(201)).body.data.id;
      await remove(caller, mine).expect(200);
    });
  });

  describe('odd input', () => {
    const scope = (name: string, description = 'Read orders') => ({ name, description });
    const tooMany = Array.from({ length: 51 }, (_, i) => scope(`s${i}:read`));

    it.each<[string, (uri: string) => object, (string | number)[]]>([
      ['a fragment', () => body('https://mcp.example.com/mcp#top'), ['body', 'uri']],
      ['an empty fragment', () => body('https://mcp.example.com/mcp#'), ['body', 'uri']],
      ['user information', () => body('https://user:pw@mcp.example.com'), ['body', 'uri']],
      ['javascript:', () => body('javascript:alert(1)'), ['body', 'uri']],
      ['plain http off loopback', () => body('http://mcp.example.com'), ['body', 'uri']],
      ['plain http on a private address', () => body('http://10.0.0.7'), ['body', 'uri']],
      ['a relative URI', () => body('/mcp'), ['body', 'uri']],
      ['a 10 KB URI', () => body(`https://mcp.example.com/${'a'.repeat(10_240)}`), ['body', 'uri']],
      [
        'a URI just past 256 bytes',
        () => body(`https://m.example.com/${'a'.repeat(235)}`),
        ['body', 'uri'],
      ],
      ['a line break in the URI', () => body('https://mcp.example.com/\nx'), ['body', 'uri']],
      ['a URI that is not text', () => body(42 as unknown as string), ['body', 'uri']],
      [
        'a wildcard scope',
        (u) => body(u, { scopes: [scope('orders:*')] }),
        ['body', 'scopes', 0, 'name'],
      ],
      ['a bare wildcard', (u) => body(u, { scopes: [scope('*')] }), ['body', 'scopes', 0, 'name']],
      [
        'a scope off the grammar',
        (u) => body(u, { scopes: [scope('Orders Read')] }),
        ['body', 'scopes', 0, 'name'],
      ],
      [
        'a built-in scope',
        (u) => body(u, { scopes: [scope('tokens:admin')] }),
        ['body', 'scopes', 0, 'name'],
      ],
      [
        'a scope of 129 characters',
        (u) => body(u, { scopes: [scope('a'.repeat(129))] }),
        ['body', 'scopes', 0, 'name'],
      ],
      [
        'a newline in a description',
        (u) => body(u, { scopes: [scope('a:b', 'one\ntwo')] }),
        ['body', 'scopes', 0, 'description'],
      ],
      [
        'U+0000 in a description',
        (u) => body(u, { scopes: [scope('a:b', 'one\u0000two')] }),
        ['body', 'scopes', 0, 'description'],
      ],
      [
        'a line separator in a description',
        (u) => body(u, { scopes: [scope('a:b', 'one\u2028two')] }),
        ['body', 'scopes', 0, 'description'],
      ],
      [
        'an escape in a description',
        (u) => body(u, { scopes: [scope('a:b', '\u001b[31mred')] }),
        ['body', 'scopes', 0, 'description'],
      ],
      [
        'a description of 301 bytes',
        (u) => body(u, { scopes: [scope('a:b', `${'é'.repeat(150)}a`)] }),
        ['body', 'scopes', 0, 'description'],
      ],
      [
        'a blank description',
        (u) => body(u, { scopes: [scope('a:b', '   ')] }),
        ['body', 'scopes', 0, 'description'],
      ],
      [
        'a scope that is not an object',
        (u) => body(u, { scopes: ['orders:read'] }),
        ['body', 'scopes', 0],
      ],
      [
        'a scope named twice',
        (u) => body(u, { scopes: [scope('a:b'), scope('a:b', 'again')] }),
        ['body', 'scopes'],
      ],
      ['51 scopes', (u) => body(u, { scopes: tooMany }), ['body', 'scopes']],
      ['a tab in the name', (u) => body(u, { name: 'Orders\tEU' }), ['body', 'name']],
      ['a blank name', (u) => body(u, { name: ' ' }), ['body', 'name']],
      ['a name of 101 characters', (u) => body(u, { name: 'n'.repeat(101) }), ['body', 'name']],
      ['a field it does not know', (u) => body(u, { audience: 'x' }), ['body', 'audience']],
    ])('%s is 422 naming the field, and registers nothing', async (_case, make, loc) => {
      const before = await rowsOf(biz.id);
      const res = await register(asOwner(biz), make(freshUri()));
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
      expect(await rowsOf(biz.id)).toEqual(before);
    });

    it('a token pasted into text is 422 SECRET_IN_TEXT, and is not echoed', async () => {
      const res = await register(asOwner(biz), body(freshUri(), { name: biz.ownerToken }));
      expectError(res, 422, 'SECRET_IN_TEXT');
      expect(JSON.stringify(res.body)).not.toContain(biz.ownerToken);
      const inUri = await register(
        asOwner(biz),
        body(`https://x.example.com/?t=${biz.ownerToken}`),
      );
      expectError(inUri, 422, 'SECRET_IN_TEXT');
    });

    it('a PATCH takes the same rules, and never a new URI', async () => {
      const { id } = (await register(asOwner(biz), body()).expect(201)).body.data;
      const cases: [object, (string | number)[]][] = [
        [{ uri: freshUri() }, ['body', 'uri']],
        [{ scopes: [scope('orders:*')] }, ['body', 'scopes', 0, 'name']],
        [{ scopes: [scope('a:b', 'x\ny')] }, ['body', 'scopes', 0, 'description']],
        [{ scopes: tooMany }, ['body', 'scopes']],
        [{ name: 'a\u2029b' }, ['body', 'name']],
        [{ name: null }, ['body', 'name']],
      ];
      for (const [payload, loc] of cases) {
        const res = await patch(asOwner(biz), id, payload);
        expectError(res, 422, 'VALIDATION_ERROR');
        expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
      }
      expect((await get(asOwner(biz), id).expect(200)).body.data.scopes).toEqual(body().scopes);
    });

    it('an id that is not a uuid is 422 for the path', async () => {
      const res = await get(asOwner(biz), 'not-a-uuid');
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(res.body.detail[0].loc).toEqual(['path', 'resource_id']);
    });
  });

  describe('one URI once', () => {
    it('is 409 RESOURCE_URI_TAKEN, however the URI is spelled', async () => {
      const host = uniqueLabel('dup');
      await register(asOwner(biz), body(`https://${host}.example.com/mcp`)).expect(201);
      for (const spelling of [
        `https://${host}.example.com/mcp`,
        `HTTPS://${host.toUpperCase()}.EXAMPLE.COM:443/mcp`,
      ]) {
        expectError(await register(asOwner(biz), body(spelling)), 409, 'RESOURCE_URI_TAKEN');
      }
    });

    it('eight registrations of one URI at once make one; the rest are 409, never 500', async () => {
      const uri = freshUri('race');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => register(asOwner(biz), body(uri))),
      );
      expect(answers.map((r) => [r.status, r.body.code]).sort()).toEqual([
        [201, null],
        ...Array(7).fill([409, 'RESOURCE_URI_TAKEN']),
      ]);
      const rows = await t.sql('SELECT id FROM resources WHERE business_id = ? AND uri = ?', [
        biz.id,
        uri,
      ]);
      expect(rows).toHaveLength(1);
    });

    it('holds the cap of 200 a business may register', async () => {
      const own = await createBusiness(t);
      const now = new Date();
      const at = driver === 'postgres' ? now : now.toISOString().replace('T', ' ').slice(0, -1);
      for (let i = 0; i < 199; i++) {
        await t.sql(
          'INSERT INTO resources (id, business_id, uri, name, scopes, created_at, updated_at, updated_by) ' +
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [randomUUID(), own.id, `https://r${i}.example.com`, 'seeded', '[]', at, at, 'seed'],
        );
      }
      const answers = await Promise.all(
        Array.from({ length: 3 }, () => register(asOwner(own), body())),
      );
      expect(answers.map((r) => [r.status, r.body.code]).sort()).toEqual([
        [201, null],
        [409, 'RESOURCE_LIMIT_REACHED'],
        [409, 'RESOURCE_LIMIT_REACHED'],
      ]);
      expect(await rowsOf(own.id)).toHaveLength(200);
    });
  });

  describe('the audit log', () => {
    it('holds each change with its actor and the resource as target, and the chain verifies', async () => {
      const own = await createUnexpiringBusiness(t);
      const uri = freshUri('audited');
      const { id } = (await register(asOwner(own), body(uri)).expect(201)).body.data;
      await patch(asOwner(own), id, {
        scopes: [{ name: 'orders:read', description: 'Read' }],
      }).expect(200);
      await remove(asOwner(own), id).expect(200);

      const events = (await listAuditEvents(t, asOwner(own), { target_id: id }).expect(200)).body
        .data.items;
      const target = { type: 'resource', id, label: uri };
      const actor = expect.objectContaining({
        id: own.ownerId,
        type: 'user',
        label: own.ownerEmail,
      });
      expect(events).toEqual([
        expect.objectContaining({
          action: 'resource.deleted',
          outcome: 'success',
          actor,
          target,
          metadata: { name: 'Orders MCP server', scopes: ['orders:read'] },
        }),
        expect.objectContaining({
          action: 'resource.updated',
          actor,
          target,
          metadata: {
            name: 'Orders MCP server',
            scopes: ['orders:read'],
            from: { name: 'Orders MCP server', scopes: ['orders:read', 'orders:write'] },
          },
        }),
        expect.objectContaining({
          action: 'resource.registered',
          actor,
          target,
          metadata: { name: 'Orders MCP server', scopes: ['orders:read', 'orders:write'] },
        }),
      ]);
      expect(events[0].actor.token_id).toEqual(expect.any(String));

      const verified = await t
        .http()
        .get('/api/v1/audit-events/verify')
        .set(asOwner(own))
        .expect(200);
      expect(verified.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
    });

    it('a refused change leaves no event', async () => {
      const own = await createUnexpiringBusiness(t);
      const before = (await listAuditEvents(t, asOwner(own)).expect(200)).body.data.items.length;
      const uri = freshUri('refused');
      await register(asOwner(own), body(uri)).expect(201);
      expectError(await register(asOwner(own), body(uri)), 409, 'RESOURCE_URI_TAKEN');
      await register(asOwner(own), body('http://mcp.example.com')).expect(422);
      const after = (await listAuditEvents(t, asOwner(own)).expect(200)).body.data.items;
      expect(after.length - before).toBe(1);
      expect(after[0].action).toBe('resource.registered');
    });
  });
});
