/**
 * The tokens of `npm run bench:scale`, written straight into a stopped installation as the app
 * writes a token its business's owner creates: a real secret's SHA-256 (the app's own minting),
 * the owner's first token as its parent and the cap on its expiry, the next place in the
 * business's status list, and its `token.created` event chained after the business's head, with
 * the event's leaf and the subtrees it completes in the business's audit tree, as an append does.
 */
import { randomUUID } from 'node:crypto';
import { hashesOfRow, type ChainedEvent } from '../../src/audit/chain/audit-chain';
import { rowOfView } from '../../src/audit/codec/audit-codec';
import { AUDIT_ROW_COLUMNS } from '../../src/audit/codec/audit-row';
import { canonicalJson } from '../../src/audit/codec/canonical-json';
import { frontierOf } from '../../src/audit/store/audit-tree.repository';
import type { MerkleFrontier } from '../../src/audit/tree/merkle';
import { mintSecret, newJti } from '../../src/tokens/token-secret';
import type { ScaleDb, Statement, TableRows } from './scale-db';

/** Rows per transaction. */
const BATCH = 5_000;
/** Seeded tokens share a millisecond a hundred at a time; the keyset breaks ties by id. */
const PER_MS = 100;

/** A business as the seeder continues it: its owner, the owner's first token, and its heads. */
export interface Seat {
  businessId: string;
  ownerId: string;
  ownerEmail: string;
  firstTokenId: string;
  issuerId: string | null;
  issuerLabel: string;
  expiresAtMs: number | null;
  listId: string;
  nextIndex: number;
  seq: number;
  hash: string;
  /** The business's audit tree, which an append keeps in step with its chain. */
  tree: MerkleFrontier;
}

/** A seeded token whose secret the bench kept, to verify and revoke it. */
export interface KeptToken {
  id: string;
  secret: string;
  businessId: string;
}

const TOKEN_COLUMNS = [
  'id',
  'jti',
  'business_id',
  'identity_id',
  'name',
  'token_hash',
  'preview',
  'created_at',
  'created_by',
  'expires_at',
  'created_by_id',
  'parent_token_id',
  'status_list_id',
  'status_index',
] as const;
const EVENT_COLUMNS = ['chain_id', ...AUDIT_ROW_COLUMNS];
const NODE_COLUMNS = ['chain_id', 'level', 'node_index', 'hash'];
const OCCURRED_AT = AUDIT_ROW_COLUMNS.indexOf('occurred_at');
const METADATA = AUDIT_ROW_COLUMNS.indexOf('metadata');

interface SeatRow {
  business_id: string;
  first_id: string;
  owner_id: string;
  owner_email: string;
  issuer_id: string | null;
  issuer_label: string;
  expires_at: unknown;
  list_id: string;
  next_index: number | string;
  seq: number | string;
  hash: string;
  tree_size: number | string;
  frontier: string;
}

/** The seats of the businesses named, read from the rows the app wrote when it made them. */
export async function loadSeats(db: ScaleDb, businessIds: Set<string>): Promise<Seat[]> {
  const rows = await db.all<SeatRow>(
    `SELECT t.business_id AS business_id, t.id AS first_id, t.identity_id AS owner_id,
       i.email AS owner_email, t.created_by_id AS issuer_id, t.created_by AS issuer_label,
       t.expires_at AS expires_at, s.id AS list_id, s.next_index AS next_index,
       h.seq AS seq, h.hash AS hash, h.tree_size AS tree_size, h.frontier AS frontier
     FROM api_tokens t
     JOIN identities i ON i.id = t.identity_id
     JOIN status_lists s ON s.business_id = t.business_id
     JOIN audit_chain_heads h ON h.chain_id = CAST(t.business_id AS varchar)
     WHERE t.name = 'first-token'`,
  );
  return rows
    .filter((r) => businessIds.has(r.business_id))
    .map((r) => ({
      businessId: r.business_id,
      ownerId: r.owner_id,
      ownerEmail: r.owner_email,
      firstTokenId: r.first_id,
      issuerId: r.issuer_id,
      issuerLabel: r.issuer_label,
      expiresAtMs: r.expires_at == null ? null : db.millis(r.expires_at),
      listId: r.list_id,
      nextIndex: Number(r.next_index),
      seq: Number(r.seq),
      hash: r.hash,
      tree: frontierOf({
        chainId: r.business_id,
        treeSize: Number(r.tree_size),
        frontier: r.frontier,
      }),
    }));
}

/** One token of `seat`'s owner, made at `at`: its row and its audit event's; moves the seat on. */
function tokenOf(db: ScaleDb, seat: Seat, at: number) {
  const minted = mintSecret('lk');
  const id = randomUUID();
  const jti = newJti();
  const name = `svc-${seat.nextIndex}`;
  const expires = seat.expiresAtMs === null ? null : new Date(seat.expiresAtMs).toISOString();
  const token = [
    id,
    jti,
    seat.businessId,
    seat.ownerId,
    name,
    minted.hash,
    minted.preview,
    db.instant(at),
    seat.ownerEmail,
    seat.expiresAtMs === null ? null : db.instant(seat.expiresAtMs),
    seat.ownerId,
    seat.firstTokenId,
    seat.listId,
    seat.nextIndex,
  ];
  seat.nextIndex++;
  seat.seq++;
  const event = {
    id: randomUUID(),
    seq: seat.seq,
    business_id: seat.businessId,
    occurred_at: new Date(at).toISOString(),
    origin: 'api',
    action: 'token.created',
    outcome: 'success',
    actor: {
      id: seat.ownerId,
      type: 'user',
      label: seat.ownerEmail,
      token_id: seat.firstTokenId,
      issued_by: { id: seat.issuerId, label: seat.issuerLabel },
    },
    target: { type: 'token', id, label: name },
    request_id: randomUUID(),
    ip: '127.0.0.1',
    user_agent: null,
    metadata: { expires_at: expires, identity_id: seat.ownerId, jti, scopes: null },
  } as unknown as ChainedEvent;
  const { hash, leaf } = hashesOfRow(seat.hash, rowOfView(event), 'event');
  const row = rowOfView({ ...event, prev_hash: seat.hash, hash });
  seat.hash = hash;
  row[OCCURRED_AT] = db.instant(at);
  if (typeof row[METADATA] !== 'string') row[METADATA] = canonicalJson(row[METADATA]);
  const nodes = seat.tree
    .append(leaf)
    .map((n) => [seat.businessId, n.level, n.index, n.hash.toString('hex')]);
  return { token, event: [seat.businessId, ...row], nodes, kept: { id, secret: minted.secret } };
}

const frontierText = (tree: MerkleFrontier) =>
  tree
    .nodesOf()
    .map((n) => n.hash.toString('hex'))
    .join('');

/** Where the touched seats now stand: their chain heads and status lists. */
function headsOf(seats: Iterable<Seat>): Statement[] {
  const out: Statement[] = [];
  for (const s of seats) {
    out.push([
      'UPDATE audit_chain_heads SET seq = ?, hash = ?, tree_size = ?, frontier = ? WHERE chain_id = ?',
      [s.seq, s.hash, s.tree.end, frontierText(s.tree), s.businessId],
    ]);
    out.push(['UPDATE status_lists SET next_index = ? WHERE id = ?', [s.nextIndex, s.listId]]);
  }
  return out;
}

/**
 * Writes `quotas[i]` tokens for `seats[i]`, business after business, BATCH rows a transaction;
 * every `keepEvery`-th token's secret goes to `keep`. Answers the seconds taken.
 */
export async function seedTokens(
  db: ScaleDb,
  seats: Seat[],
  quotas: number[],
  keepEvery: number,
  keep: (token: KeptToken) => void,
): Promise<number> {
  const began = Date.now();
  let made = 0;
  let tokens: unknown[][] = [];
  let events: unknown[][] = [];
  let nodes: unknown[][] = [];
  let touched = new Set<Seat>();
  // The next batch is made while the last is written (PostgreSQL works in a process of its own).
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (tokens.length === 0) return;
    const tables: TableRows[] = [
      { table: 'api_tokens', columns: TOKEN_COLUMNS, rows: tokens },
      { table: 'audit_events', columns: EVENT_COLUMNS, rows: events },
      { table: 'audit_tree_nodes', columns: NODE_COLUMNS, rows: nodes },
    ];
    const heads = headsOf(touched);
    tokens = [];
    events = [];
    nodes = [];
    touched = new Set();
    await writing;
    writing = db.write(tables, heads);
  };
  for (const [i, seat] of seats.entries()) {
    for (let k = 0; k < quotas[i]; k++) {
      const one = tokenOf(db, seat, began + Math.floor(made / PER_MS));
      tokens.push(one.token);
      events.push(one.event);
      for (const n of one.nodes) nodes.push(n);
      touched.add(seat);
      if (made % keepEvery === 0) keep({ ...one.kept, businessId: seat.businessId });
      made++;
      if (tokens.length >= BATCH) await flush();
    }
  }
  await flush();
  await writing;
  return (Date.now() - began) / 1000;
}
