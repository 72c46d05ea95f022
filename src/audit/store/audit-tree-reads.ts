import { Injectable } from '@nestjs/common';
import type { ReadSource } from '../../database/connection/read-routing';
import type { Hash } from '../tree/merkle';
import type { NodeRef } from '../tree/merkle-plan';
import type { SqlQuery } from './audit-row-query';
import { rawRows } from './raw-read';

/** A signed checkpoint as a proof needs it: its tree size, and its note, served as it is. */
export interface CheckpointNote {
  treeSize: number;
  note: string;
}

/** Where a subtree's hash is kept in the map `subtrees` answers: a number, not a string. */
export const nodeKey = (ref: NodeRef): number => ref.index * 64 + ref.level;

/**
 * What the proofs read, each as a fixed text in raw rows (`rawRows`): no query builder and no
 * entity, which allocated more than the rest of a proof did (docs/performance.md, "The audit
 * tree"). The chain id is the caller's business (or the platform's), decided by the controller's
 * scope.
 */
@Injectable()
export class AuditTreeReads {
  /** The chain's checkpoint of `size` events, or its latest when no size is given. */
  async checkpointNote(
    chainId: string,
    size: number | undefined,
    from: ReadSource,
  ): Promise<CheckpointNote | null> {
    const select = 'SELECT tree_size, note FROM audit_checkpoints WHERE chain_id = ';
    const query: SqlQuery =
      size === undefined
        ? { text: `${select}${mark(from, 1)} ORDER BY tree_size DESC LIMIT 1`, values: [chainId] }
        : {
            text: `${select}${mark(from, 1)} AND tree_size = ${mark(from, 2)}`,
            values: [chainId, size],
          };
    const [row] = await rawRows(from.dataSource, query);
    return row ? { treeSize: Number(row[0]), note: row[1] as string } : null;
  }

  /** How many events the chain's tree holds; 0 for a chain with none. */
  async treeSize(chainId: string, from: ReadSource): Promise<number> {
    const text = `SELECT tree_size FROM audit_chain_heads WHERE chain_id = ${mark(from, 1)}`;
    const [row] = await rawRows(from.dataSource, { text, values: [chainId] });
    return row ? Number(row[0]) : 0;
  }

  /**
   * The stored subtrees asked for, by `nodeKey`; a missing one is absent. One query by primary
   * key, one text per count of subtrees (a proof asks for up to ~40).
   */
  async subtrees(
    chainId: string,
    refs: readonly NodeRef[],
    from: ReadSource,
  ): Promise<Map<number, Hash>> {
    const found = new Map<number, Hash>();
    if (refs.length === 0) return found;
    const values: unknown[] = [chainId];
    for (const ref of refs) values.push(ref.level, ref.index);
    const rows = await rawRows(from.dataSource, { text: subtreesText(from, refs.length), values });
    for (const [level, index, hash] of rows) {
      found.set(
        nodeKey({ level: Number(level), index: Number(index) }),
        Buffer.from(hash as string, 'hex'),
      );
    }
    return found;
  }
}

const mark = (from: ReadSource, n: number) => (from.postgres ? `$${n}` : '?');

/** The subtrees query's texts, by dialect and count. */
const subtreesTexts = { postgres: [] as string[], sqlite: [] as string[] };

function subtreesText(from: ReadSource, count: number): string {
  const pg = from.postgres;
  const texts = pg ? subtreesTexts.postgres : subtreesTexts.sqlite;
  let text = texts[count];
  if (text === undefined) {
    const int = (n: number) => (pg ? `$${n}::int` : '?');
    const pairs = Array.from({ length: count }, (_, i) => `(${int(2 * i + 2)}, ${int(2 * i + 3)})`);
    text =
      `SELECT level, node_index, hash FROM audit_tree_nodes WHERE chain_id = ${mark(from, 1)} ` +
      `AND (level, node_index) IN (VALUES ${pairs.join(', ')})`;
    texts[count] = text;
  }
  return text;
}
