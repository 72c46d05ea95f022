import { randomUUID } from 'node:crypto';
import type { ObjectLiteral } from 'typeorm';
import { AuditCheckpoint } from '../../src/audit/store/audit-tree.entity';
import { sqliteConnection } from '../../src/database/statements/sqlite-statements';
import { statementCounts } from '../../src/database/statements/statement-count';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { TrustRule } from '../../src/federation/store/trust-rule.entity';
import { Identity } from '../../src/tenancy/store/identity.entity';
import { Membership } from '../../src/tenancy/store/membership.entity';
import { StatusList } from '../../src/tokens/store/entities/status-list.entity';
import { createBusiness, createMachine } from '../factories/tenancy.factory';
import { uniqueEmail } from '../factories/unique';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * A single-row `Transaction.insert` runs a fixed text of our own (`database/statements/row-insert.ts`)
 * instead of TypeORM's insert, which wrote numbers, booleans and NULLs into its text on SQLite. What
 * must hold: a row written either way reads back the same, field for field, on both drivers; the
 * object inserted is given what TypeORM would read back into it (a column left to its default);
 * several rows still go in one insert; and a statement prepared for a row is not prepared again.
 */
describe.each(DRIVERS)('a row inserted through its fixed text on %s', (driver) => {
  let t: TestApp;
  let uow: UnitOfWork;
  beforeAll(async () => {
    t = await bootTestApp(driver);
    uow = t.app.get(UnitOfWork);
  });
  afterAll(() => t?.close());

  /** Inserts `fixed` through `Transaction.insert` and `twin` through TypeORM's; reads both back. */
  async function bothWays<E extends ObjectLiteral>(
    entity: new () => E,
    fixed: E,
    twin: E,
    key: (row: E) => Partial<E>,
  ) {
    await uow.run(async (tx) => {
      await tx.insert(entity, fixed);
      await tx.manager.insert(entity, twin);
    });
    const read = (row: E) => t.dataSource.manager.findOneByOrFail(entity, key(row));
    return { fixed: await read(fixed), twin: await read(twin) };
  }

  const withoutId = <E extends { id: string }>({ id: _id, ...rest }: E) => rest;

  it('reads back a trust rule (JSON, NULLs, numbers, dates, a default) as TypeORM wrote its twin', async () => {
    const b = await createBusiness(t);
    const machine = await createMachine(t, b);
    const rule = (): TrustRule =>
      Object.assign(new TrustRule(), {
        id: randomUUID(),
        businessId: b.id,
        identityId: machine.id,
        issuer: 'https://issuer.example.com',
        jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }] },
        jwksUri: null,
        audience: 'https://github.com/acme',
        subject: "repo:acme/'api':*",
        claims: null,
        scopes: ['deploy:write', 'a:*'],
        maxTtlSeconds: 733,
        createdAt: new Date('2026-01-02T03:04:05.678Z'),
        createdBy: 'owner@example.com',
        createdById: null,
      } as Partial<TrustRule>);
    const fixed = rule();
    const twin = rule();
    const read = await bothWays(TrustRule, fixed, twin, (r) => ({ id: r.id }));
    expect(withoutId(read.fixed)).toEqual(withoutId(read.twin));
    expect(read.fixed.maxTtlSeconds).toBe(733);
    expect(read.fixed.createdAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    // `requireDpop` was left to its default: read back into the object, as TypeORM does.
    expect(fixed.requireDpop).toBe(false);
    expect(twin.requireDpop).toBe(false);
  });

  it('reads back an identity and a membership with a boolean and a NULL as their twins', async () => {
    const identity = (isPlatformAdmin: boolean): Identity =>
      Object.assign(new Identity(), {
        id: randomUUID(),
        kind: 'user',
        email: uniqueEmail('row'),
        name: null,
        businessId: null,
        isPlatformAdmin,
        createdAt: new Date('2026-02-03T04:05:06.007Z'),
        deletedAt: null,
      } as Identity);
    for (const admin of [true, false]) {
      const read = await bothWays(Identity, identity(admin), identity(admin), (r) => ({
        id: r.id,
      }));
      expect({ ...withoutId(read.fixed), email: '' }).toEqual({
        ...withoutId(read.twin),
        email: '',
      });
      expect(read.fixed.isPlatformAdmin).toBe(admin);
    }
    const b = await createBusiness(t);
    const member = (identityId: string): Membership =>
      Object.assign(new Membership(), {
        businessId: b.id,
        identityId,
        role: 'member',
        createdAt: new Date('2026-03-04T05:06:07.089Z'),
        customRoleId: null,
      } as Membership);
    const [one, two] = [identity(false), identity(false)];
    await uow.run(async (tx) => {
      await tx.insert(Identity, one);
      await tx.insert(Identity, two);
    });
    const read = await bothWays(Membership, member(one.id), member(two.id), (m) => ({
      businessId: m.businessId,
      identityId: m.identityId,
    }));
    expect({ ...read.fixed, identityId: '' }).toEqual({ ...read.twin, identityId: '' });
  });

  it('inserts several rows in one insert, and each reads back', async () => {
    const lists = [1, 2, 3].map((n) =>
      Object.assign(new StatusList(), {
        id: randomUUID(),
        businessId: null,
        capacity: 1000 * n,
        nextIndex: n,
        createdAt: new Date(),
      } as StatusList),
    );
    const result = await uow.run((tx) => tx.insert(StatusList, lists));
    expect(result.identifiers).toHaveLength(3);
    for (const list of lists) {
      const read = await t.dataSource.manager.findOneByOrFail(StatusList, { id: list.id });
      expect(read).toEqual({ ...list, createdAt: read.createdAt });
    }
  });

  it('answers the inserted row by its key, as TypeORM does, and ignores a taken key when asked', async () => {
    const list = Object.assign(new StatusList(), {
      id: randomUUID(),
      businessId: null,
      capacity: 131072,
      nextIndex: 1,
      createdAt: new Date(),
    } as StatusList);
    const result = await uow.run((tx) => tx.insert(StatusList, list));
    expect(result.identifiers).toEqual([{ id: list.id }]);
    const checkpoint = (note: string): AuditCheckpoint =>
      Object.assign(new AuditCheckpoint(), {
        chainId: randomUUID(),
        treeSize: 4001,
        rootHash: 'ab'.repeat(32),
        keyName: 'k',
        keyId: 'kid',
        note,
        signedAt: new Date(),
      } as AuditCheckpoint);
    const first = checkpoint('first');
    await uow.run((tx) => tx.insertRow(AuditCheckpoint, first, 'ignore'));
    await uow.run((tx) => tx.insertRow(AuditCheckpoint, { ...first, note: 'second' }, 'ignore'));
    const kept = await t.dataSource.manager.findBy(AuditCheckpoint, { chainId: first.chainId });
    expect(kept.map((c) => c.note)).toEqual(['first']);
  });

  it('a key already taken fails the insert, and the unit writes nothing', async () => {
    const id = randomUUID();
    const list = (capacity: number): StatusList =>
      Object.assign(new StatusList(), {
        id,
        businessId: null,
        capacity,
        nextIndex: 0,
        createdAt: new Date(),
      } as StatusList);
    await uow.run((tx) => tx.insert(StatusList, list(10)));
    await expect(uow.run((tx) => tx.insert(StatusList, list(20)))).rejects.toThrow();
    expect((await t.dataSource.manager.findOneByOrFail(StatusList, { id })).capacity).toBe(10);
  });

  // On SQLite, where a text is prepared (PostgreSQL's connections are not watched). The texts are
  // read off this app's own connection while the inserts run, not off the process's count, which
  // the app's background jobs add to whenever a first flush or checkpoint falls in the loop.
  if (driver === 'sqlite') {
    it("prepares a row's text once, whatever its numbers, booleans and NULLs", async () => {
      const list = (n: number): StatusList =>
        Object.assign(new StatusList(), {
          id: randomUUID(),
          businessId: null,
          capacity: 1000 + n,
          nextIndex: n,
          createdAt: new Date(),
        } as StatusList);
      await uow.run((tx) => tx.insert(StatusList, list(0)));
      expect(statementCounts().prepared).toBeGreaterThan(0);
      const db = sqliteConnection(t.dataSource);
      const prepare = db.prepare.bind(db);
      const texts: string[] = [];
      db.prepare = (sql: string) => {
        texts.push(sql);
        return prepare(sql);
      };
      const ids: string[] = [];
      try {
        for (let n = 1; n <= 20; n++) {
          const row = list(n);
          ids.push(row.id);
          await uow.run((tx) => tx.insert(StatusList, row));
        }
      } finally {
        db.prepare = prepare;
      }
      expect(texts.filter((sql) => /status_lists/.test(sql))).toEqual([]);
      const stored = await t.sql<{ capacity: number }>(
        `SELECT capacity FROM status_lists WHERE id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      expect(stored.map((r) => r.capacity).sort()).toEqual(ids.map((_, i) => 1001 + i));
    });
  }

  it('finds a row through its fixed text as TypeORM finds it, and refuses an undefined value', async () => {
    const b = await createBusiness(t);
    const machine = await createMachine(t, b);
    const db = t.dataSource.manager;
    await uow.run(async (tx) => {
      for (const where of [
        { kind: 'machine' as const, businessId: b.id, id: machine.id, deletedAt: null },
        { id: machine.id },
      ]) {
        const found = await tx.findRow(Identity, where);
        expect(found).toBeInstanceOf(Identity);
        expect(found).toEqual(await db.findOneByOrFail(Identity, { id: machine.id }));
      }
      expect(await tx.findRow(Identity, { id: machine.id, kind: 'user' })).toBeNull();
      expect(await tx.findRow(Identity, { id: machine.id, deletedAt: new Date() })).toBeNull();
      await expect(tx.findRow(Identity, { id: undefined })).rejects.toThrow(/undefined/);
    });
  });
});
