import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { BusinessFixture, createBusiness } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { sleep } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { auditReads, checkOffline, parseNdjson } from './audit-chain';
import { appendEvents, exportReads, holdExportBatches, keysetExport } from './export-batches';

/**
 * How an export reads its chain. On PostgreSQL, through server-side cursors in read-only
 * transactions, each on a connection of the pool's own, which goes back however the export
 * ends; a cursor that its reader leaves idle, or that has been open long, is closed and reopened
 * where it stood. On SQLite, in keyset batches. Either way, the bytes are a keyset read's.
 *
 * The guarantee an export gives while events are appended: each event once, in `seq` order from
 * 1 with no gap. On PostgreSQL, exactly the chain as it stood when the export began (its last
 * `seq` is read in the first cursor's snapshot, and every reopening stops there); on SQLite,
 * whatever was appended before the walk reached the end, too.
 */
describe.each(DRIVERS)('audit export batches on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  let port: number;
  // A cursor's idle close is PostgreSQL's alone: on SQLite there is no such test, rather than a skip.
  const onPostgres: typeof it = driver === 'postgres' ? it : ((() => undefined) as never);

  const { exportChain } = auditReads(() => t);
  const exported = async (format: 'ndjson' | 'csv') => {
    const res = await exportChain(biz, `?format=${format}`);
    expect(res.status).toBe(200);
    return res.body as string;
  };
  const pool = () => (t.dataSource.driver as unknown as { master: Pool }).master;
  /** Sessions of the app's database inside a transaction they are not using. */
  const idleInTransaction = async () =>
    Number(
      // The export's own sessions, by their last statement: the app's writers (usage, last
      // use, checkpoints) may sit idle in a transaction of their own between two statements.
      (
        await t.sql<{ n: unknown }>(
          'SELECT count(*) AS n FROM pg_stat_activity ' +
            "WHERE datname = current_database() AND state LIKE 'idle in transaction%' " +
            "AND (query LIKE 'FETCH FORWARD%' OR query LIKE 'DECLARE%')",
        )
      )[0].n,
    );
  /** Waits until no connection of the pool is checked out, and none fewer is idle than `idle`. */
  async function poolAtRest(idle: number) {
    for (let i = 0; i < 100; i++) {
      const p = pool();
      if (p.idleCount >= idle && p.idleCount === p.totalCount && p.waitingCount === 0) return;
      await sleep(50);
    }
    const p = pool();
    throw new Error(`pool not at rest: ${p.idleCount} idle of ${p.totalCount}, wanted ${idle}`);
  }

  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createBusiness(t);
    // member.added and the owner's token.created, then these: 45 events, five batches of 10.
    await appendEvents(t, biz.id, 43);
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    const server = t?.app.getHttpServer();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    await t?.close();
  });

  it('an export is byte for byte a keyset read, across batches, reopened cursors and idle closes', async () => {
    const ndjson = await keysetExport(t, biz.id, 'ndjson');
    const csv = await keysetExport(t, biz.id, 'csv');
    expect(ndjson.split('\n')).toHaveLength(46);
    for (const reads of [
      { batchRows: 10 },
      { batchRows: 10, maxOpenMs: 0 },
      { batchRows: 10, idleMs: 0 },
      { batchRows: 44 },
    ]) {
      exportReads(t, reads);
      expect({ reads, ndjson: await exported('ndjson') }).toEqual({ reads, ndjson });
      expect({ reads, csv: await exported('csv') }).toEqual({ reads, csv });
      jest.restoreAllMocks();
    }
  });

  it('a client that aborts mid-export stops it, and its connection goes back to the pool with no transaction left open', async () => {
    exportReads(t, { batchRows: 10, idleMs: 60_000 });
    let go!: () => void;
    const held = new Promise<void>((resolve) => (go = resolve));
    let holding!: (checkedOut: number) => void;
    const reached = new Promise<number>((resolve) => (holding = resolve));
    const idleBefore = driver === 'postgres' ? pool().idleCount : 0;
    const handedOn = holdExportBatches(t, (n) => {
      if (n !== 1) return;
      // The first batch is written and the cursor has read the second: the reader is away.
      holding(driver === 'postgres' ? pool().totalCount - pool().idleCount : 0);
      return held;
    });
    const firstBytes = await new Promise<number>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/api/v1/audit-events/export', headers: asOwner(biz) },
        (res) => {
          res.on('error', () => undefined);
          res.once('data', (chunk: Buffer) => {
            req.destroy();
            resolve(chunk.length);
          });
        },
      );
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    });
    expect(firstBytes).toBeGreaterThan(0);
    const checkedOut = await reached;
    try {
      if (driver === 'postgres') {
        expect(checkedOut).toBeGreaterThanOrEqual(1);
        expect(await idleInTransaction()).toBe(1);
      }
      await sleep(200); // the server sees the client go
    } finally {
      // Released whatever happened above, so a failure here leaves no export holding a connection.
      go();
    }
    if (driver === 'postgres') {
      await poolAtRest(idleBefore);
      expect(await idleInTransaction()).toBe(0);
    }
    await sleep(100);
    // Of five batches, the one read ahead is the last handed on.
    expect(handedOn).toEqual([2]);
  });

  it('an export while events are appended has each once from seq 1, and on PostgreSQL exactly the chain it began with', async () => {
    exportReads(t, { batchRows: 10 });
    const [{ n }] = await t.sql<{ n: unknown }>(
      'SELECT count(*) AS n FROM audit_events WHERE chain_id = ?',
      [biz.id],
    );
    const atStart = Number(n);
    // Appended once the first batch is read, each in a transaction of its own, committed.
    holdExportBatches(t, (batch) => (batch === 1 ? appendEvents(t, biz.id, 5) : undefined));
    const lines = parseNdjson(await exported('ndjson'));
    const expected = driver === 'postgres' ? atStart : atStart + 5;
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    expect(checkOffline(lines)).toBeNull();
  });

  onPostgres(
    'a reader that stops for longer than idleMs has its connection back in the pool meanwhile; the export then goes on from the same snapshot, byte for byte',
    async () => {
      const before = await keysetExport(t, biz.id, 'ndjson');
      exportReads(t, { batchRows: 10, idleMs: 50 });
      const idleBefore = pool().idleCount;
      let restedMidway = false;
      holdExportBatches(t, async (batch) => {
        if (batch !== 2) return;
        await poolAtRest(idleBefore);
        restedMidway = (await idleInTransaction()) === 0;
        await appendEvents(t, biz.id, 3);
      });
      expect(await exported('ndjson')).toBe(before);
      expect(restedMidway).toBe(true);
      await poolAtRest(idleBefore);
    },
  );
});
