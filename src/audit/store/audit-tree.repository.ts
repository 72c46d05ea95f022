import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { rowBatches, tupleMarks } from '../../database/statements/row-batches';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';
import { AuditChainHead, AuditEvent } from './audit-event.entity';
import { sqliteDate } from '../codec/audit-row';
import { AuditCheckpoint } from './audit-tree.entity';
import { Hash, MerkleFrontier, MerkleNode } from '../tree/merkle';

/** Rows per SQLite insert of tree nodes: four parameters each, far below SQLite's limit. */
const NODE_INSERT_BATCH = 512;

/** The tree part of a chain head: how many events it holds, and its frontier. */
export type TreeHead = Pick<AuditChainHead, 'chainId' | 'seq' | 'treeSize' | 'frontier'>;

/**
 * The chains' Merkle trees and their signed checkpoints. A tree grows only under its chain
 * head's lock, which the append (or the catch-up) holds: each subtree is written once.
 * Chain ids are business ids or the platform's; the callers (the append, the checkpointer, and
 * the audit service for a caller already scoped) pass the chain they may reach.
 */
@Injectable()
export class AuditTreeRepository {
  /**
   * Appends leaves to the tree `head` describes, writing the subtrees they complete; answers
   * the head's new tree fields, which the caller writes with its own update of the head.
   */
  async grow(
    head: TreeHead,
    leaves: readonly Hash[],
    tx: Transaction,
  ): Promise<Pick<AuditChainHead, 'treeSize' | 'frontier'>> {
    const { tree, write } = this.growing(head, leaves, tx);
    await write();
    return tree;
  }

  /**
   * `grow`, answering the head's new tree fields at once, and the subtrees' insert still to run:
   * the append runs it together with its event and its head (`statementsTogether`).
   */
  growing(
    head: TreeHead,
    leaves: readonly Hash[],
    tx: Transaction,
  ): { tree: Pick<AuditChainHead, 'treeSize' | 'frontier'>; write: () => Promise<void> } {
    const frontier = frontierOf(head);
    const made: MerkleNode[] = [];
    for (const leaf of leaves) made.push(...frontier.append(leaf));
    return {
      tree: { treeSize: frontier.end, frontier: frontierText(frontier) },
      write: () => this.insertNodes(head.chainId, made, tx),
    };
  }

  /**
   * Writes subtrees by hand, not through `tx.insert`: a catch-up writes ~10,000 a batch, and
   * TypeORM's insert builder made objects, parameters and SQL text for each that left the heap
   * grown long after (docs/performance.md, "The audit tree"). PostgreSQL takes one statement over
   * arrays; SQLite takes plain multi-row inserts.
   */
  private async insertNodes(chainId: string, nodes: readonly MerkleNode[], tx: Transaction) {
    if (nodes.length === 0) return;
    if (tx.postgres) {
      await tx.query(
        'INSERT INTO audit_tree_nodes (chain_id, level, node_index, hash) ' +
          'SELECT $1, * FROM unnest($2::int[], $3::int[], $4::varchar[])',
        [
          chainId,
          nodes.map((n) => n.level),
          nodes.map((n) => n.index),
          nodes.map((n) => n.hash.toString('hex')),
        ],
      );
      return;
    }
    // Batches of fixed sizes, each text prepared once (`rowBatches`): an append adds 1 to ~20.
    for (const batch of rowBatches(nodes, NODE_INSERT_BATCH)) {
      const params: (string | number)[] = [];
      for (const n of batch) params.push(chainId, n.level, n.index, n.hash.toString('hex'));
      await tx.statement(
        'INSERT INTO audit_tree_nodes (chain_id, level, node_index, hash) VALUES ' +
          tupleMarks(batch.length, 4),
        params,
      );
    }
  }

  /** Chains whose trees lag their events: chains that were written before trees were kept. */
  async lagging(limit: number, db: Reader): Promise<string[]> {
    const rows = await db
      .createQueryBuilder(AuditChainHead, 'h')
      .select('h.chainId', 'chainId')
      .where('h.treeSize < h.seq')
      .orderBy('h.chainId')
      .limit(limit)
      .getRawMany<{ chainId: string }>();
    return rows.map((r) => r.chainId);
  }

  /** Stores a checkpoint, unless the chain has one of that size already (another signer's). */
  async saveCheckpoint(checkpoint: AuditCheckpoint, tx: Transaction): Promise<void> {
    // A fixed text: TypeORM's SQLite driver wrote the tree size into it, a new text a checkpoint.
    await tx.insertRow(AuditCheckpoint, checkpoint, 'ignore');
  }

  /** The latest checkpoint of each of these chains, by chain id. */
  async latestCheckpoints(
    chainIds: readonly string[],
    db: Reader,
  ): Promise<Map<string, AuditCheckpoint>> {
    const latest = new Map<string, AuditCheckpoint>();
    if (chainIds.length === 0) return latest;
    const rows = await db
      .createQueryBuilder(AuditCheckpoint, 'c')
      .where('c.chainId IN (:...chainIds)', { chainIds })
      .andWhere(
        'c.treeSize = (SELECT MAX(m.tree_size) FROM audit_checkpoints m WHERE m.chain_id = c.chain_id)',
      )
      .getMany();
    for (const row of rows) latest.set(row.chainId, row);
    return latest;
  }

  /** The chain's checkpoints, largest first, below `beforeSize` when given. */
  checkpoints(chainId: string, limit: number, beforeSize: number | null, db: Reader) {
    const query = db
      .createQueryBuilder(AuditCheckpoint, 'c')
      .where('c.chainId = :chainId', { chainId })
      .orderBy('c.treeSize', 'DESC')
      .limit(limit);
    if (beforeSize !== null) query.andWhere('c.treeSize < :beforeSize', { beforeSize });
    return query.getMany();
  }

  /** The largest checkpoint of at most `size` events. */
  checkpointWithin(chainId: string, size: number, db: Reader): Promise<AuditCheckpoint | null> {
    return db
      .createQueryBuilder(AuditCheckpoint, 'c')
      .where('c.chainId = :chainId AND c.treeSize <= :size', { chainId, size })
      .orderBy('c.treeSize', 'DESC')
      .limit(1)
      .getOne();
  }

  /** Every checkpoint's size, root and note, smallest first: what a verify checks. */
  allCheckpoints(chainId: string, db: Reader): Promise<AuditCheckpoint[]> {
    return db.find(AuditCheckpoint, {
      where: { chainId },
      order: { treeSize: 'ASC' },
    });
  }

  /**
   * When each of these chains' first event happened, by chain id: how long a chain's first
   * checkpoint has been due. One query for a turn's chains, not one each.
   */
  async firstEventsAt(chainIds: readonly string[], db: Reader): Promise<Map<string, Date>> {
    const firsts = new Map<string, Date>();
    if (chainIds.length === 0) return firsts;
    const rows = await db.find(AuditEvent, {
      select: { chainId: true, occurredAt: true },
      where: { chainId: In([...chainIds]), seq: 1 },
    });
    for (const row of rows) firsts.set(row.chainId, sqliteDate(row.occurredAt));
    return firsts;
  }

  /** Chains with events their latest checkpoint does not cover, with their heads. */
  unsignedHeads(limit: number, db: Reader): Promise<TreeHead[]> {
    return db
      .createQueryBuilder(AuditChainHead, 'h')
      .select(['h.chainId', 'h.seq', 'h.treeSize', 'h.frontier'])
      .where('h.treeSize > 0')
      .andWhere(
        'h.treeSize > COALESCE((SELECT MAX(c.tree_size) FROM audit_checkpoints c WHERE c.chain_id = h.chain_id), 0)',
      )
      .orderBy('h.chainId')
      .limit(limit)
      .getMany();
  }
}

/** The head's frontier; a stored one that does not fit its size is corruption, not a tree. */
export function frontierOf(head: Pick<TreeHead, 'chainId' | 'treeSize' | 'frontier'>) {
  const hex = head.frontier.match(/[0-9a-f]{64}/g) ?? [];
  const frontier = MerkleFrontier.ofTree(
    head.treeSize,
    hex.map((h) => Buffer.from(h, 'hex')),
  );
  if (!frontier || hex.join('') !== head.frontier) {
    throw new Error(
      `audit tree of chain ${head.chainId}: its stored frontier does not fit its size`,
    );
  }
  return frontier;
}

function frontierText(frontier: MerkleFrontier): string {
  return frontier
    .nodesOf()
    .map((n) => n.hash.toString('hex'))
    .join('');
}
