import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { storable } from '../../common/validation/text';
import type { Transaction } from '../../database/units/unit-of-work';
import { GENESIS_HASH, hashesOfRow } from '../chain/audit-chain';
import { rowOfEntity } from '../codec/audit-codec';
import { AuditEntry } from '../audit-entry';
import { AuditChainHead, AuditEvent, PLATFORM_CHAIN } from '../store/audit-event.entity';
import { AuditTreeRepository, TreeHead } from '../store/audit-tree.repository';
import { AUDIT_FIELD_LIST } from '../codec/audit-fields';
import { sqliteDate } from '../codec/audit-row';
import { canonicalJson } from '../codec/canonical-json';

/** A chain head as the append's bump left it: locked, its `seq` the new event's. */
type LockedHead = TreeHead & { hash: string };

interface HeadRow {
  seq: number | string;
  hash: string;
  tree_size: number | string;
  frontier: string;
}

const BUMP_HEAD =
  'UPDATE audit_chain_heads SET seq = seq + 1 WHERE chain_id = ? ' +
  'RETURNING seq, hash, tree_size, frontier';
const CREATE_HEAD =
  'INSERT INTO audit_chain_heads (chain_id, seq, hash, tree_size, frontier) ' +
  "VALUES (?, 0, ?, 0, '') ON CONFLICT DO NOTHING";
const SET_HEAD = 'UPDATE audit_chain_heads SET hash = ? WHERE chain_id = ?';
const SET_HEAD_AND_TREE =
  'UPDATE audit_chain_heads SET hash = ?, tree_size = ?, frontier = ? WHERE chain_id = ?';
const PREVIOUS_INSTANT = 'SELECT occurred_at FROM audit_events WHERE chain_id = ? AND seq = ?';
/** The predecessor of the event whose seq the head holds: sent right behind the bump. */
const PREVIOUS_OF_HEAD =
  'SELECT occurred_at FROM audit_events WHERE chain_id = ? ' +
  'AND seq = (SELECT seq - 1 FROM audit_chain_heads WHERE chain_id = ?)';
const INSERT_EVENT =
  `INSERT INTO audit_events (chain_id, ${AUDIT_FIELD_LIST.map((f) => f.column).join(', ')}) ` +
  `VALUES (?${', ?'.repeat(AUDIT_FIELD_LIST.length)})`;

/** An event's values in INSERT_EVENT's order, times spelled as the entity path stores them. */
function insertValues(event: AuditEvent, tx: Transaction): unknown[] {
  const values: unknown[] = [event.chainId];
  for (const field of AUDIT_FIELD_LIST) {
    const value = event[field.property as keyof AuditEvent];
    values.push(field.type === 'instant' ? tx.time(value as Date) : value);
  }
  return values;
}

/** Per transaction, the last event appended in it: what the next append's `nextInstant` needs. */
const lastAppended = new WeakMap<
  Transaction,
  { chainId: string; hash: string; occurredAt: Date }
>();

/**
 * The audit log's only way in: appends, in the caller's transaction, and the head's lock that
 * the checkpointer takes to grow a chain's tree between them. Nothing here updates or deletes an
 * event. Reads are `AuditRepository`'s.
 */
@Injectable()
export class AuditAppender {
  constructor(private readonly tree: AuditTreeRepository) {}

  /**
   * Appends to the entry's chain inside the transaction. Bumping the head's `seq` first
   * takes its row lock on PostgreSQL (the write lock on SQLite), so concurrent appends to one
   * chain queue here and each reads the hash its predecessor left. The statements are fixed
   * texts prepared once (`tx-statements.ts`): two appends per token exchange made this the
   * largest cost of one (docs/performance.md).
   */
  async append(entry: AuditEntry, tx: Transaction): Promise<AuditEvent> {
    const { event, writes } = await this.appending(entry, tx);
    await tx.together(writes);
    return event;
  }

  /**
   * `append`, answering the event with its writes (the row, its tree nodes and the head) still
   * to run: the caller runs them together with what it writes beside them (the webhook outbox),
   * so that on a pipelined connection they all share one round trip.
   */
  async appending(
    entry: AuditEntry,
    tx: Transaction,
  ): Promise<{ event: AuditEvent; writes: (() => Promise<unknown>)[] }> {
    const chainId = entry.businessId ?? PLATFORM_CHAIN;
    const { head, previousAt } = await this.takeHead(chainId, tx);
    const event: AuditEvent = {
      id: randomUUID(),
      chainId,
      seq: head.seq,
      businessId: entry.businessId,
      occurredAt: await this.nextInstant(head, previousAt, tx),
      // Every text field is made storable first, so the hash below is over exactly what the
      // database keeps and returns, on either driver, whatever path a string came by.
      action: storable(entry.action),
      outcome: entry.outcome,
      actorId: storable(entry.actor.id),
      actorType: entry.actor.type,
      actorLabel: storable(entry.actor.label),
      actorTokenId: storable(entry.actor.tokenId ?? null),
      actorIssuedById: entry.actor.tokenId ? storable(entry.actor.issuedBy?.id ?? null) : null,
      actorIssuedByLabel: entry.actor.tokenId
        ? storable(entry.actor.issuedBy?.label ?? null)
        : null,
      origin: entry.origin.channel,
      targetType: storable(entry.target.type),
      targetId: storable(entry.target.id),
      targetLabel: storable(entry.target.label),
      requestId: storable(entry.origin.requestId),
      ip: storable(entry.origin.ip),
      userAgent: storable(entry.origin.userAgent),
      metadata: canonicalJson(entry.metadata),
      prevHash: head.hash,
      hash: '',
    };
    const { hash, leaf } = hashesOfRow(head.hash, rowOfEntity(event), 'event');
    event.hash = hash;
    // The tree grows with the chain once it has caught up; a chain from before trees were kept
    // is grown by the checkpointer, under this same lock, before this append's event.
    const growing =
      head.treeSize === head.seq - 1 ? this.tree.growing(head, [leaf], tx) : undefined;
    const writes: (() => Promise<unknown>)[] = [
      () => tx.statement(INSERT_EVENT, insertValues(event, tx)),
    ];
    if (growing) {
      const { treeSize, frontier } = growing.tree;
      writes.push(growing.write, () =>
        tx.statement(SET_HEAD_AND_TREE, [hash, treeSize, frontier, chainId]),
      );
    } else {
      writes.push(() => tx.statement(SET_HEAD, [hash, chainId]));
    }
    lastAppended.set(tx, { chainId, hash, occurredAt: event.occurredAt });
    return { event, writes };
  }

  /**
   * Bumps the chain's head under its lock, creating the head of a chain's first event. On a
   * pipelined connection (PostgreSQL through a pooler) the predecessor's time is read in the same
   * round trip: a statement of its own, run once the bump holds the row lock, so it sees the
   * chain as the lock's last holder left it. Elsewhere `nextInstant` reads it when it must.
   */
  private async takeHead(
    chainId: string,
    tx: Transaction,
  ): Promise<{ head: LockedHead; previousAt?: Date | null }> {
    if (tx.pipelined) {
      const [head, previous] = await tx.together([
        () => this.bumpHead(chainId, tx),
        () => tx.statementRows<{ occurred_at: unknown }>(PREVIOUS_OF_HEAD, [chainId, chainId]),
      ]);
      if (head) {
        return { head, previousAt: previous[0] ? sqliteDate(previous[0].occurred_at) : null };
      }
    } else {
      const head = await this.bumpHead(chainId, tx);
      if (head) return { head };
    }
    // A chain's first event. Two racing first appends both insert; the loser's insert is
    // ignored once the winner commits, and its bump then waits for the winner's lock.
    await tx.statement(CREATE_HEAD, [chainId, GENESIS_HASH]);
    const head = await this.bumpHead(chainId, tx);
    if (!head) throw new Error(`audit chain head ${chainId} could not be created`);
    return { head };
  }

  /**
   * The time of the event at `seq`, taken under the head lock: now, or one millisecond after its
   * predecessor when that is later. So `occurred_at` strictly increases along a chain, and the
   * lists' newest-first order (occurred_at, then id) is the chain's own order even for events of
   * one transaction, such as a business and its first owner, written in the same millisecond.
   * The predecessor's time is `read` when the bump read it already (null: there is none); the one
   * this transaction appended last is not read back: the head's hash, which covers its
   * `occurred_at`, says it is the one.
   */
  private async nextInstant(
    head: LockedHead,
    read: Date | null | undefined,
    tx: Transaction,
  ): Promise<Date> {
    const now = Date.now();
    if (head.seq <= 1) return new Date(now);
    let previous = read;
    if (previous === undefined) {
      const last = lastAppended.get(tx);
      if (last && last.chainId === head.chainId && last.hash === head.hash) {
        previous = last.occurredAt;
      } else {
        const [row] = await tx.statementRows<{ occurred_at: unknown }>(PREVIOUS_INSTANT, [
          head.chainId,
          head.seq - 1,
        ]);
        previous = row ? sqliteDate(row.occurred_at) : null;
      }
    }
    const after = previous ? previous.getTime() + 1 : 0;
    return new Date(Math.max(now, after));
  }

  /**
   * A chain's head, locked for the transaction as an append locks it (a no-op update takes the
   * row lock on PostgreSQL, and the write lock on SQLite): no event is appended until it ends.
   */
  async lockHead(chainId: string, tx: Transaction): Promise<AuditChainHead | null> {
    await tx.update(AuditChainHead, { chainId }, { treeSize: () => 'tree_size' });
    return tx.findOneBy(AuditChainHead, { chainId });
  }

  /** Bumps the chain head's `seq` (taking its lock) and answers the head as it now stands. */
  private async bumpHead(chainId: string, tx: Transaction): Promise<LockedHead | null> {
    const [row] = await tx.statementRows<HeadRow>(BUMP_HEAD, [chainId]);
    if (!row) return null;
    return {
      chainId,
      seq: Number(row.seq),
      hash: row.hash,
      treeSize: Number(row.tree_size),
      frontier: row.frontier,
    };
  }
}
