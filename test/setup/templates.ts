import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/load-config';
import {
  dataSourceOptions,
  migrationDataSourceOptions,
} from '../../src/database/connection/data-source-options';
import { createScratchDatabase, withClient } from '../harness/servers/postgres';

/**
 * Migrated templates, one per driver, built once by jest's global setup: a suite's database is a
 * copy of one (a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL) instead of a
 * fresh run of every migration. A template holds the schema only (no admin, no token): each app
 * booted on a copy still runs its own migrations, finds none pending, and bootstraps its admin.
 *
 * A template is named after a hash of the migrations' sources, so a changed migration builds a
 * new one, and an unchanged tree reuses the last run's. Suites that test migrations themselves
 * ask for an empty database instead (`createTestDatabase(driver, { empty: true })`).
 */

const MIGRATIONS_DIR = join(__dirname, '..', '..', 'src', 'database', 'migrations');

/** 12 hex digits of SHA-256 over every migration's file name and source, in order. */
function migrationsKey(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(MIGRATIONS_DIR, name)));
  }
  return hash.digest('hex').slice(0, 12);
}

/** Where the global setup hands its key to the workers it starts. */
const KEY_ENV = 'LATCHKEY_TEMPLATE_KEY';

let key: string | undefined;
/**
 * The migration tree's key, as the run's global setup read it: a migration added while the run
 * goes on (in another terminal) then leaves the run's templates alone rather than missing.
 */
const templateKey = () => (key ??= process.env[KEY_ENV] ?? migrationsKey());

/** Pins the run's template key for the workers (the global setup calls it first). */
export function pinTemplateKey(): void {
  process.env[KEY_ENV] = templateKey();
}

/** The migrated SQLite file that suites copy. */
export const sqliteTemplatePath = () => join(tmpdir(), `latchkey-template-${templateKey()}.sqlite`);

/** The migrated PostgreSQL database that suites clone. */
export const postgresTemplateName = () => `latchkey_template_${templateKey()}`;

/** Runs every migration on the DataSource these options open, then closes it. */
async function migrate(config: Record<string, string>): Promise<void> {
  const options = migrationDataSourceOptions(dataSourceOptions(loadConfig(config), []));
  const dataSource = new DataSource(options);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/** Builds the SQLite template unless this tree's is already there. */
export async function ensureSqliteTemplate(): Promise<void> {
  const target = sqliteTemplatePath();
  if (existsSync(target)) return;
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-template-'));
  try {
    const file = join(dir, 'template.sqlite');
    await migrate({ LOG_LEVEL: 'silent', SQLITE_PATH: file });
    // Closing checkpointed the WAL into the file; the rename publishes it whole or not at all.
    renameSync(file, target);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A copy of the SQLite template at `file`, private as the server makes a database (0600). */
export function copySqliteTemplate(file: string): void {
  copyFileSync(sqliteTemplatePath(), file);
  // Else a start would warn that others may read it (sqlite-files.ts).
  chmodSync(file, 0o600);
}

const urlOf = (serverUrl: string, database: string) => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

const DUPLICATE_DATABASE = '42P04';

/** A template of another migration tree older than this is dropped when a new one is built. */
const STALE_TEMPLATE_MS = 24 * 3600_000;

/**
 * Builds the PostgreSQL template unless this tree's is already there. It is migrated under a
 * name of its own and renamed when done, so a run that stops half-way leaves no template that
 * looks finished. Templates of other migration trees built more than a day ago are dropped; a
 * younger one may serve a run beside this one, on another branch.
 */
export async function ensurePostgresTemplate(serverUrl: string): Promise<void> {
  const name = postgresTemplateName();
  const existing = await withClient(serverUrl, async (c) => {
    const rows = await c.query<{ datname: string; built: string | null }>(
      "SELECT datname, shobj_description(oid, 'pg_database') AS built FROM pg_database " +
        "WHERE datname LIKE 'latchkey\\_template\\_%'",
    );
    return rows.rows;
  });
  if (existing.some((t) => t.datname === name)) return;
  // Another tree's template may be in use by a run beside this one (a second checkout, another
  // branch): only those built more than a day ago, or unmarked, are dropped.
  const stale = existing
    .filter((t) => !(Date.parse(t.built ?? '') > Date.now() - STALE_TEMPLATE_MS))
    .map((t) => t.datname);
  const scratch = await createScratchDatabase(serverUrl, 'latchkey_building');
  const building = scratch.name;
  try {
    await migrate({ LOG_LEVEL: 'silent', DATABASE_URL: scratch.url });
    await withClient(serverUrl, async (c) => {
      for (const old of stale) await c.query(`DROP DATABASE IF EXISTS ${old} WITH (FORCE)`);
      await c.query(`COMMENT ON DATABASE ${building} IS '${new Date().toISOString()}'`);
      // A run beside this one may have published the same template first: theirs serves.
      await c.query(`ALTER DATABASE ${building} RENAME TO ${name}`).catch((e: unknown) => {
        if ((e as { code?: string }).code !== DUPLICATE_DATABASE) throw e;
      });
    });
  } finally {
    await scratch.drop();
  }
}

/** A new database on the server, cloned from the template: the URL of the clone. */
export async function clonePostgresTemplate(serverUrl: string, database: string): Promise<string> {
  await withClient(serverUrl, (c) =>
    c.query(`CREATE DATABASE ${database} TEMPLATE ${postgresTemplateName()}`),
  );
  return urlOf(serverUrl, database);
}
