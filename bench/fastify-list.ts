/**
 * The token list's floor: bare Fastify doing what `GET /api/v1/tokens?limit=20` does and nothing
 * else, on the app's driver: node-postgres with a named prepared statement (DATABASE_URL), else
 * better-sqlite3 with a kept raw statement on the file the app writes (SQLITE_PATH; WAL lets a
 * second reader in). The same keyset query and index, every column but the hash (read off the
 * table at start, so a new column is read here too), dates and JSON hydrated as the drivers do,
 * the token view with its derived fields, the same envelope, cursor and headers (ANSWER_HEADERS,
 * read off the app's list) with a request id each. No auth, validation or framework, and nothing
 * from src/, so the floor cannot inherit the app's costs. bench/lib/list-floor.ts starts
 * dist/bench/fastify-list.js and checks that its page is the app's, byte for byte.
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';

const PAGE = 20;
const TABLE = 'api_tokens';
/** The entity's simple-json columns: text on both databases, parsed as they are read. */
const JSON_COLUMNS = new Set(['scopes', 'audiences', 'allowed_cidrs', 'meta']);
const DAY_MS = 86_400_000;

type Kind = 'plain' | 'date' | 'json';
type Row = unknown[];

/** A driver's page read: every column but the hash, in `names`' order, with each one's kind. */
interface PageSource {
  names: string[];
  kinds: Kind[];
  firstPage(businessId: string, limit: number): Row[] | Promise<Row[]>;
}

const select = (names: string[]) =>
  `SELECT ${names.map((n) => `"${n}"`).join(', ')} FROM ${TABLE} WHERE business_id = `;
const ORDER = ' ORDER BY created_at ASC, id ASC LIMIT ';

async function postgresSource(url: string): Promise<PageSource> {
  const pool = new Pool({ connectionString: url, max: 20 });
  const { rows } = await pool.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns ' +
      'WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
    [TABLE],
  );
  const columns = rows.filter((c) => c.column_name !== 'token_hash');
  const names = columns.map((c) => c.column_name);
  // node-postgres itself makes timestamptz a Date, as under the app's TypeORM.
  const kinds = names.map((n): Kind => (JSON_COLUMNS.has(n) ? 'json' : 'plain'));
  const text = `${select(names)}$1${ORDER}$2`;
  return {
    names,
    kinds,
    firstPage: async (businessId, limit) =>
      (
        await pool.query<Row>({
          name: 'bench_token_page',
          text,
          values: [businessId, limit],
          rowMode: 'array',
        })
      ).rows,
  };
}

function sqliteSource(path: string): PageSource {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const columns = (db.pragma(`table_info(${TABLE})`) as { name: string; type: string }[]).filter(
    (c) => c.name !== 'token_hash',
  );
  const names = columns.map((c) => c.name);
  const kinds = columns.map((c): Kind =>
    JSON_COLUMNS.has(c.name) ? 'json' : c.type === 'datetime' ? 'date' : 'plain',
  );
  const statement = db.prepare<[string, number], Row>(`${select(names)}?${ORDER}?`).raw(true);
  return { names, kinds, firstPage: (businessId, limit) => statement.all(businessId, limit) };
}

/** Dates to Dates (SQLite's `YYYY-MM-DD HH:MM:SS.SSS`, in UTC) and JSON parsed, in place. */
function hydrate(row: Row, kinds: Kind[]): Row {
  for (let i = 0; i < kinds.length; i++) {
    const value = row[i];
    if (value === null || kinds[i] === 'plain') continue;
    row[i] =
      kinds[i] === 'json'
        ? JSON.parse(value as string)
        : new Date(`${(value as string).replace(' ', 'T')}Z`);
  }
  return row;
}

const iso = (d: unknown) => (d === null ? null : (d as Date).toISOString());

/** UTC days or months since 1970: the refill period `atMs` falls in. */
function periodOf(interval: string, atMs: number): number {
  if (interval === 'daily') return Math.floor(atMs / DAY_MS);
  const at = new Date(atMs);
  return (at.getUTCFullYear() - 1970) * 12 + at.getUTCMonth();
}

/** The view of a row (`index`: a column's place in it), as the app's token view builds it. */
function viewOf(index: (name: string) => number) {
  const at = Object.fromEntries(
    [
      ...['id', 'jti', 'name', 'preview', 'scopes', 'business_id', 'identity_id', 'created_at'],
      ...['created_by', 'expires_at', 'last_used_at', 'revoked_at', 'revoked_by'],
      ...['revocation_reason', 'rotated_from_id', 'rotated_to_id', 'dpop_jkt', 'audiences'],
      ...['allowed_cidrs', 'rate_limit_per_minute', 'shared_limit_id', 'shared_limit_per_minute'],
      ...['disabled_at', 'disabled_by', 'disabled_reason', 'meta', 'origin', 'uses_limit'],
      ...['uses_remaining', 'uses_period', 'refill_interval', 'refill_amount'],
    ].map((n) => [n, index(n)]),
  );
  return (r: Row, now: number) => {
    const revokedAt = r[at.revoked_at] as Date | null;
    const expiresAt = r[at.expires_at] as Date | null;
    const status = revokedAt
      ? 'revoked'
      : expiresAt && expiresAt.getTime() <= now
        ? 'expired'
        : r[at.disabled_at]
          ? 'disabled'
          : 'active';
    const sharedId = r[at.shared_limit_id];
    const sharedPerMinute = r[at.shared_limit_per_minute];
    const interval = r[at.refill_interval] as string | null;
    const amount = r[at.refill_amount] as number | null;
    const limit = r[at.uses_limit] as number | null;
    let usesLeft: number | null = null;
    if (limit !== null) {
      const due =
        interval && amount && ((r[at.uses_period] as number | null) ?? 0) < periodOf(interval, now);
      usesLeft = Math.min(
        due ? Math.min(amount, limit) : ((r[at.uses_remaining] as number | null) ?? 0),
        limit,
      );
    }
    return {
      id: r[at.id],
      jti: r[at.jti],
      name: r[at.name],
      preview: r[at.preview],
      scopes: r[at.scopes],
      status,
      business_id: r[at.business_id],
      identity_id: r[at.identity_id],
      created_at: iso(r[at.created_at]),
      created_by: r[at.created_by],
      expires_at: iso(expiresAt),
      last_used_at: iso(r[at.last_used_at]),
      revoked_at: iso(revokedAt),
      revoked_by: r[at.revoked_by],
      revocation_reason: r[at.revocation_reason],
      rotated_from_id: r[at.rotated_from_id],
      rotated_to_id: r[at.rotated_to_id],
      dpop_jkt: r[at.dpop_jkt],
      audiences: r[at.audiences],
      allowed_cidrs: r[at.allowed_cidrs],
      rate_limit_per_minute: r[at.rate_limit_per_minute],
      shared_rate_limit:
        sharedId && sharedPerMinute ? { token_id: sharedId, per_minute: sharedPerMinute } : null,
      disabled_at: iso(r[at.disabled_at]),
      disabled_by: r[at.disabled_by],
      disabled_reason: r[at.disabled_reason],
      meta: r[at.meta],
      origin: r[at.origin],
      uses_limit: limit,
      uses_remaining: usesLeft,
      refill: interval && amount ? { interval, amount } : null,
    };
  };
}

async function main(): Promise<void> {
  const source = process.env.DATABASE_URL
    ? await postgresSource(process.env.DATABASE_URL)
    : sqliteSource(process.env.SQLITE_PATH ?? '');
  const index = (name: string) => {
    const i = source.names.indexOf(name);
    if (i < 0) throw new Error(`${TABLE} has no column ${name}`);
    return i;
  };
  const view = viewOf(index);
  const kinds = source.kinds;
  const businessId = process.env.BUSINESS_ID ?? '';
  const headers = JSON.parse(process.env.ANSWER_HEADERS ?? '{}') as Record<string, string>;
  const app = Fastify({ logger: false, genReqId: () => randomUUID() });
  app.get('/api/v1/tokens', async (request, reply) => {
    void reply.headers(headers).header('x-request-id', request.id);
    // Every row read is hydrated, the one that only says a next page exists too, as the app's.
    const rows = (await source.firstPage(businessId, PAGE + 1)).map((r) => hydrate(r, kinds));
    const now = Date.now();
    const more = rows.length > PAGE;
    const items = (more ? rows.slice(0, PAGE) : rows).map((r) => view(r, now));
    const last = items[items.length - 1];
    const nextCursor = more
      ? Buffer.from(JSON.stringify([last.created_at, last.id])).toString('base64url')
      : null;
    return { success: true, message: null, code: null, data: { items, next_cursor: nextCursor } };
  });
  const address = await app.listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' });
  process.stdout.write(
    `fastify list (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'}, ` +
      `${source.names.length} columns) listening on ${address}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
