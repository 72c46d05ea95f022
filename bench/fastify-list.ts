/**
 * The token list's floor: bare Fastify doing what `GET /api/v1/tokens?limit=20` does and nothing
 * else, on the app's driver: node-postgres with a named prepared statement (DATABASE_URL), else
 * better-sqlite3 with a kept raw statement on the file the app writes (SQLITE_PATH; WAL lets a
 * second reader in). The same keyset query and index, every column but the hash (read off the
 * table at start), dates and JSON hydrated as the drivers do, the token view with its derived
 * fields, the same envelope, cursor and headers (ANSWER_HEADERS, read off the app's list) with a
 * request id each. No auth, validation or framework, and nothing from src/, so the floor cannot
 * inherit the app's costs. With FIELDS (a `?fields=` list within the summary's columns) it is that
 * sparse page's floor: the summary's 14 columns read, those fields written, `id` first.
 * bench/lib/list-floor.ts starts it and checks that its page is the app's, byte for byte.
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
/** The columns the app reads for a page whose fields are all within them (its summary). */
const SUMMARY_COLUMNS = new Set([
  ...['id', 'name', 'preview', 'scopes', 'revoked_at', 'expires_at', 'disabled_at'],
  ...['business_id', 'identity_id', 'created_at', 'last_used_at', 'rotated_to_id', 'dpop_jkt'],
  'audiences',
]);
/** The view's fields in its own order, as a sparse page writes them; one the summary lacks fails. */
const VIEW_ORDER = [
  ...['id', 'jti', 'name', 'preview', 'scopes', 'status', 'business_id', 'identity_id'],
  ...['created_at', 'created_by', 'expires_at', 'last_used_at', 'revoked_at', 'revoked_by'],
  ...['revocation_reason', 'rotated_from_id', 'rotated_to_id', 'dpop_jkt', 'audiences'],
  'disabled_at',
];
/** The summary's fields that are a date, written as ISO text. */
const DATE_FIELDS = new Set([
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
  'disabled_at',
]);

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

/** Every column but the hash, or with FIELDS the summary's alone. */
const wanted = (name: string, sparse: boolean) =>
  name !== 'token_hash' && (!sparse || SUMMARY_COLUMNS.has(name));

async function postgresSource(url: string, sparse: boolean): Promise<PageSource> {
  const pool = new Pool({ connectionString: url, max: 20 });
  const { rows } = await pool.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns ' +
      'WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
    [TABLE],
  );
  const columns = rows.filter((c) => wanted(c.column_name, sparse));
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
          name: sparse ? 'bench_token_summary_page' : 'bench_token_page',
          text,
          values: [businessId, limit],
          rowMode: 'array',
        })
      ).rows,
  };
}

function sqliteSource(path: string, sparse: boolean): PageSource {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const columns = (db.pragma(`table_info(${TABLE})`) as { name: string; type: string }[]).filter(
    (c) => wanted(c.name, sparse),
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

/** A token's status from its columns, as the app's token view derives it. */
function statusOf(
  revokedAt: Date | null,
  expiresAt: Date | null,
  disabledAt: unknown,
  now: number,
) {
  if (revokedAt) return 'revoked';
  if (expiresAt && expiresAt.getTime() <= now) return 'expired';
  return disabledAt ? 'disabled' : 'active';
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
    const status = statusOf(revokedAt, expiresAt, r[at.disabled_at], now);
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

/**
 * The sparse view of a summary row: `id`, then `fields` in the view's order, each read straight
 * from its column (`status` derived by `statusOf`, as in the full view).
 */
function sparseViewOf(fields: string[], index: (name: string) => number) {
  const unknown = fields.filter((f) => !VIEW_ORDER.includes(f) || f === 'id');
  if (unknown.length > 0) throw new Error(`FIELDS: not a summary field: ${unknown.join(', ')}`);
  const asked = VIEW_ORDER.filter((f) => f === 'id' || fields.includes(f));
  const revokedAt = index('revoked_at');
  const expiresAt = index('expires_at');
  const disabledAt = index('disabled_at');
  const read = asked.map((field): [string, (r: Row, now: number) => unknown] => {
    if (field === 'status') {
      return [
        field,
        (r, now) =>
          statusOf(r[revokedAt] as Date | null, r[expiresAt] as Date | null, r[disabledAt], now),
      ];
    }
    const at = index(field); // throws for a field whose column the summary does not read
    return [field, DATE_FIELDS.has(field) ? (r) => iso(r[at]) : (r) => r[at]];
  });
  return (r: Row, now: number) => {
    const item: Record<string, unknown> = {};
    for (const [field, get] of read) item[field] = get(r, now);
    return item;
  };
}

async function main(): Promise<void> {
  const fields = process.env.FIELDS ? process.env.FIELDS.split(',') : null;
  const source = process.env.DATABASE_URL
    ? await postgresSource(process.env.DATABASE_URL, fields !== null)
    : sqliteSource(process.env.SQLITE_PATH ?? '', fields !== null);
  const index = (name: string) => {
    const i = source.names.indexOf(name);
    if (i < 0) throw new Error(`${TABLE} has no column ${name}`);
    return i;
  };
  const view = fields ? sparseViewOf(fields, index) : viewOf(index);
  const kinds = source.kinds;
  const created = index('created_at');
  const id = index('id');
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
    const lastRow = rows[PAGE - 1];
    const nextCursor = more
      ? Buffer.from(JSON.stringify([iso(lastRow[created]), lastRow[id]])).toString('base64url')
      : null;
    return { success: true, message: null, code: null, data: { items, next_cursor: nextCursor } };
  });
  const address = await app.listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' });
  process.stdout.write(
    `fastify list (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'}, ` +
      `${source.names.length} columns${fields ? `, ${fields.length} fields` : ''}) listening on ${address}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
