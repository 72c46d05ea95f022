import { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config';
import { dataSourceOptions } from './connection/data-source-options';
import { hasPendingMigrations } from './migrate';
import { MIGRATIONS } from './migration-list';

describe(hasPendingMigrations.name, () => {
  let dataSource: DataSource;
  beforeEach(async () => {
    dataSource = new DataSource(dataSourceOptions(loadConfig({ SQLITE_PATH: ':memory:' }), []));
    await dataSource.initialize();
  });
  afterEach(() => dataSource.destroy());

  const names = async () =>
    (await dataSource.query<{ name: string }[]>('SELECT name FROM migrations ORDER BY id')).map(
      (r) => r.name,
    );

  it('a database with no migrations table has them all pending', async () => {
    await expect(hasPendingMigrations(dataSource)).resolves.toBe(true);
  });

  it('none once every migration has run, and each one again when its row is gone', async () => {
    await dataSource.runMigrations();
    await expect(hasPendingMigrations(dataSource)).resolves.toBe(false);
    const run = await names();
    expect(run).toHaveLength(MIGRATIONS.length);
    for (const name of [run[0], run[run.length - 1]]) {
      await dataSource.query('DELETE FROM migrations WHERE name = ?', [name]);
      await expect(hasPendingMigrations(dataSource)).resolves.toBe(true);
      await dataSource.query('INSERT INTO migrations (timestamp, name) VALUES (0, ?)', [name]);
      await expect(hasPendingMigrations(dataSource)).resolves.toBe(false);
    }
  });

  it('a migration recorded that this build does not know (a newer one) is not pending here', async () => {
    await dataSource.runMigrations();
    await dataSource.query(
      "INSERT INTO migrations (timestamp, name) VALUES (1, 'Later9999999999999')",
    );
    await expect(hasPendingMigrations(dataSource)).resolves.toBe(false);
  });
});
