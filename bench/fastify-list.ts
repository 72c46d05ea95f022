/**
 * The floor of the token-list benchmark: bare Fastify and node-postgres doing the read that
 * `GET /api/v1/tokens?limit=20` does, with nothing else. One route, no authentication, no
 * validation, no framework: the same keyset query on the same index (a named prepared statement,
 * as the app's), the same snake_case view with ISO dates and a derived status, and the same
 * envelope and cursor. What Latchkey's list keeps of this is its own overhead; what this route
 * itself serves is the cost of the read on this machine. Started by bench/sections/token-list.ts
 * from its build, dist/bench/fastify-list.js, with PORT, DATABASE_URL and BUSINESS_ID set.
 */
import Fastify from 'fastify';
import { Pool } from 'pg';

const COLUMNS =
  'id, jti, name, preview, scopes, business_id, identity_id, created_at, created_by, ' +
  'expires_at, last_used_at, revoked_at, revoked_by, revocation_reason, rotated_from_id';
const PAGE = 20;

interface TokenRow {
  id: string;
  jti: string;
  name: string;
  preview: string;
  scopes: string | null;
  business_id: string | null;
  identity_id: string;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  revocation_reason: string | null;
  rotated_from_id: string | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function view(row: TokenRow, now: number) {
  const status =
    row.revoked_at !== null
      ? 'revoked'
      : row.expires_at !== null && row.expires_at.getTime() <= now
        ? 'expired'
        : 'active';
  return {
    id: row.id,
    jti: row.jti,
    name: row.name,
    preview: row.preview,
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
    status,
    business_id: row.business_id,
    identity_id: row.identity_id,
    created_at: iso(row.created_at),
    created_by: row.created_by,
    expires_at: iso(row.expires_at),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
    revoked_by: row.revoked_by,
    revocation_reason: row.revocation_reason,
    rotated_from_id: row.rotated_from_id,
  };
}

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const businessId = process.env.BUSINESS_ID;
const app = Fastify({ logger: false });
app.get('/api/v1/tokens', async () => {
  const { rows } = await pool.query<TokenRow>({
    name: 'bench_token_page',
    text: `SELECT ${COLUMNS} FROM api_tokens WHERE business_id = $1 ORDER BY created_at ASC, id ASC LIMIT $2`,
    values: [businessId, PAGE + 1],
  });
  const now = Date.now();
  const items = rows.slice(0, PAGE).map((row) => view(row, now));
  const last = rows.length > PAGE ? items[PAGE - 1] : undefined;
  const nextCursor = last
    ? Buffer.from(JSON.stringify([last.created_at, last.id])).toString('base64url')
    : null;
  return { success: true, message: null, code: null, data: { items, next_cursor: nextCursor } };
});
app
  .listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' })
  .then((address) => process.stdout.write(`fastify list listening on ${address}\n`))
  .catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
