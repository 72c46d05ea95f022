import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { SqliteCommitWatch } from './sqlite-commit-watch';

describe(SqliteCommitWatch.name, () => {
  let dir: string;
  let own: Database.Database;
  let other: Database.Database;
  let clock: number;
  let sut: SqliteCommitWatch;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commit-watch-'));
    own = new Database(join(dir, 'db.sqlite'));
    own.exec('CREATE TABLE t (x INTEGER)');
    other = new Database(join(dir, 'db.sqlite'));
    clock = 1_000;
    const dataSource = {
      options: { type: 'better-sqlite3' },
      driver: { databaseConnection: own },
    } as unknown as DataSource;
    sut = SqliteCommitWatch.of(dataSource, 10, () => clock)!;
  });
  afterEach(() => {
    own.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sees another connection's commit once the interval has passed, and only once", () => {
    expect(sut.changed()).toBe(false);
    other.exec('INSERT INTO t VALUES (1)');
    clock += 5;
    expect(sut.changed()).toBe(false); // within the interval: not looked at yet
    clock += 5;
    expect(sut.changed()).toBe(true);
    clock += 10;
    expect(sut.changed()).toBe(false);
  });

  it("ignores the watched connection's own commits", () => {
    own.exec('INSERT INTO t VALUES (1)');
    clock += 10;
    expect(sut.changed()).toBe(false);
  });

  it('is null on another driver', () => {
    const pg = { options: { type: 'postgres' } } as unknown as DataSource;
    expect(SqliteCommitWatch.of(pg)).toBeNull();
  });
});
