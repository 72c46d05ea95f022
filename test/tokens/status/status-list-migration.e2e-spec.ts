import { StatusList } from '@sd-jwt/jwt-status-list';
import { createBusiness, createToken, type IssuedToken } from '../../factories/tenancy.factory';
import { asMember, asOwner, me, revoke } from '../../harness/app/api';
import { bootTestApp, TestApp } from '../../harness/app/test-app';
import { DRIVERS } from '../../setup/servers';

const MIGRATION = 'TokenStatusLists1764700000000';

interface Placed {
  id: string;
  business_id: string | null;
  status_list_id: string | null;
  status_index: number | string | null;
}

/**
 * Tokens made before status lists existed get their places from the migration: each business's
 * (and the platform's) in the order they were made, from 0, in a list of their own; and the lists
 * then serve them as any other.
 */
describe.each(DRIVERS)('The status-list migration on %s', (driver) => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('places every token made before it, by business and in the order made, and the lists serve them', async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    const [a, b] = [await createBusiness(t), await createBusiness(t)];
    const made: IssuedToken[] = [];
    for (let i = 0; i < 3; i++) made.push(await createToken(t, asOwner(a), { name: `a${i}` }));
    const theirs = await createToken(t, asOwner(b));
    await revoke(t, asOwner(a), made[1].id).expect(201);

    // Back to before status lists, and forward again, as an installation upgrading would run it.
    // (and undoes the ones after it first, should any be added later).
    for (let name = await lastRun(t); name !== undefined; name = await lastRun(t)) {
      await t.dataSource.undoLastMigration();
      if (name === MIGRATION) break;
    }
    expect(await lastRun(t)).not.toBe(MIGRATION);
    await t.dataSource.runMigrations({ transaction: 'all' });

    const rows = await t.sql<Placed>(
      'SELECT id, business_id, status_list_id, status_index FROM api_tokens ORDER BY created_at, id',
    );
    expect(rows.every((r) => r.status_list_id !== null && r.status_index !== null)).toBe(true);
    for (const business of [a.id, b.id, null]) {
      const own = rows.filter((r) => r.business_id === business);
      expect(new Set(own.map((r) => r.status_list_id)).size).toBe(1);
      expect(own.map((r) => Number(r.status_index))).toEqual(own.map((_, i) => i));
      const [list] = await t.sql<{ next_index: number | string; business_id: string | null }>(
        'SELECT next_index, business_id FROM status_lists WHERE id = ?',
        [own[0].status_list_id],
      );
      expect({ next: Number(list.next_index), business: list.business_id }).toEqual({
        next: own.length,
        business,
      });
    }
    expect(rows.find((r) => r.id === theirs.id)!.status_list_id).not.toBe(
      rows.find((r) => r.id === made[0].id)!.status_list_id,
    );

    // A fresh start on the migrated database serves the places it gave.
    await t.close({ keepDatabase: true });
    t = await bootTestApp(driver, {}, t.db);
    const entry = (await me(t, asMember(made[0].secret, a.id)).expect(200)).body.data
      .status_list as { idx: number; uri: string };
    const list = await t
      .http()
      .get(new URL(entry.uri).pathname)
      .set('accept', 'application/statuslist+json')
      .expect(200);
    const { bits, lst } = (JSON.parse(list.text) as { status_list: { bits: 2; lst: string } })
      .status_list;
    const statuses = StatusList.decompressStatusList(lst, bits);
    const revokedIdx = Number(rows.find((r) => r.id === made[1].id)!.status_index);
    expect([statuses.getStatus(entry.idx), statuses.getStatus(revokedIdx)]).toEqual([0, 1]);
    const next = await createToken(t, asOwner(a));
    const nextEntry = (await me(t, asMember(next.secret, a.id)).expect(200)).body.data.status_list;
    expect(nextEntry).toEqual({ uri: entry.uri, idx: made.length + 1 });
  });
});

async function lastRun(t: TestApp): Promise<string | undefined> {
  const [row] = await t.sql<{ name: string }>(
    'SELECT name FROM migrations ORDER BY id DESC LIMIT 1',
  );
  return row?.name;
}
