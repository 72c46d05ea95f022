import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { loggableError } from '../../common/errors/safe-error';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/connection/read-routing';
import { auditedEventClasses } from '../../database/units/domain-event';
import { DomainEvents } from '../../database/units/domain-events';
import { tryKeyLock } from '../../database/units/key-lock';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { leafOfRow } from '../chain/audit-chain';
import { AuditChainHead } from '../store/audit-event.entity';
import type { AuditCheckpoint } from '../store/audit-tree.entity';
import { AuditTreeRepository, frontierOf, TreeHead } from '../store/audit-tree.repository';
import { AuditSigner } from './audit-signer';
import { AuditAppender } from '../recording/audit-appender';
import { AuditRepository } from '../store/audit.repository';
import { seqOf, sqliteDate } from '../codec/audit-row';

/** Events a catch-up reads and hashes per transaction (one range of raw rows). */
const GROW_BATCH = 5_000;
/** Catch-up batches per turn, so one turn stays short even on a chain of millions. */
const GROW_BATCHES_PER_TURN = 20;
/** Chains looked at per turn; the rest wait for the next. */
const CHAINS_PER_TURN = 500;
/** The advisory key that makes one instance sign at a time. */
const SIGNER_LOCK = 'audit-checkpointer';
/**
 * How long after a commit of its own a turn runs: what commits meanwhile is signed with it, so a
 * burst of changes makes one checkpoint, not one each.
 */
const AFTER_COMMIT_MS = 1_000;

/**
 * Keeps the audit trees and signs their checkpoints. Each turn:
 * 1. grows the trees of chains written before trees were kept (or by an import), under the head
 *    lock an append takes, a batch per transaction;
 * 2. signs a checkpoint of each chain with events its last one does not cover, once there are
 *    AUDIT_CHECKPOINT_EVERY_EVENTS of them or that one is AUDIT_CHECKPOINT_EVERY_SECONDS old (a
 *    chain's first, once its first event is AUDIT_CHECKPOINT_FIRST_SECONDS old).
 * Step 2 runs under a PostgreSQL advisory lock taken with `try`: one instance signs, the others
 * skip their turn, and a checkpoint's (chain, size) key stores each size once regardless. Turns
 * run every few seconds, and a second after an audited change commits on this instance.
 */
@Injectable()
export class AuditCheckpointer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuditCheckpointer.name);
  private timer: NodeJS.Timeout | null = null;
  /** The turn a commit asked for, until it runs. */
  private soon: NodeJS.Timeout | null = null;
  private turn: Promise<unknown> = Promise.resolve();
  /** Chains whose trees cannot grow past a missing row, by where they stopped: told once. */
  private readonly stuck = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditRepository,
    private readonly appender: AuditAppender,
    private readonly tree: AuditTreeRepository,
    private readonly signer: AuditSigner,
    events: DomainEvents,
    private readonly database: Database,
  ) {
    events.subscribe([...auditedEventClasses()], () => this.afterCommit());
  }

  onModuleInit(): void {
    // A turn every few seconds at most, so the event count is noticed soon after it is reached.
    const everyMs = Math.min(this.config.AUDIT_CHECKPOINT_EVERY_SECONDS, 5) * 1000;
    this.timer = setInterval(() => void this.runTurn(), everyMs);
    this.timer.unref();
  }

  onModuleDestroy(): Promise<unknown> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = this.soon = null;
    return this.turn;
  }

  /** An audited change committed: a turn a second from now, unless one is already asked for. */
  private afterCommit(): void {
    if (!this.timer || this.soon || !this.signer.enabled) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.runTurn();
    }, AFTER_COMMIT_MS);
    this.soon.unref();
  }

  /** One turn, after the one under way; its failure is logged, and the next turn retries. */
  runTurn(now = new Date()): Promise<{ grown: number; signed: number }> {
    const next = this.turn.then(() => this.turnOnce(now));
    this.turn = next.catch((e: unknown) =>
      this.logger.warn({ err: loggableError(e) }, 'audit checkpoint turn failed'),
    );
    return next;
  }

  private async turnOnce(now: Date): Promise<{ grown: number; signed: number }> {
    const grown = await this.growLagging();
    const signed = this.signer.enabled ? await this.signDue(now) : 0;
    return { grown, signed };
  }

  /** Grows lagging trees; answers how many leaves it added. */
  async growLagging(): Promise<number> {
    let added = 0;
    let batches = 0;
    for (const chainId of await this.tree.lagging(CHAINS_PER_TURN, this.database.primary)) {
      while (batches++ < GROW_BATCHES_PER_TURN) {
        const grew = await this.uow.run((tx) => this.growBatch(chainId, tx));
        added += grew;
        if (grew < GROW_BATCH) break;
      }
    }
    return added;
  }

  private async growBatch(chainId: string, tx: Transaction): Promise<number> {
    const head = await this.appender.lockHead(chainId, tx);
    if (!head || head.treeSize >= head.seq) return 0;
    const upToSeq = Math.min(head.seq, head.treeSize + GROW_BATCH);
    const rows = await this.audit.rowsOfAnyChain(
      chainId,
      { afterSeq: head.treeSize, upToSeq },
      this.database.primary,
    );
    const leaves = [];
    for (const row of rows) {
      // A gap means rows are missing: the tree stops short, and verify reports the chain.
      if (seqOf(row) !== head.treeSize + leaves.length + 1) break;
      leaves.push(leafOfRow(row, this.audit.dialect));
    }
    if (leaves.length === 0) {
      if (this.stuck.get(chainId) !== head.treeSize) {
        this.stuck.set(chainId, head.treeSize);
        this.logger.warn(
          { chain: chainId, at: head.treeSize + 1 },
          'audit tree cannot grow: rows are missing (verify reports the chain)',
        );
      }
      return 0;
    }
    const tree = await this.tree.grow(head, leaves, tx);
    await tx.update(AuditChainHead, { chainId }, tree);
    return leaves.length;
  }

  /** Signs every due checkpoint, if this instance holds the signer's turn; answers how many. */
  private signDue(now: Date): Promise<number> {
    return this.uow.run(async (tx) => {
      if (!(await tryKeyLock(SIGNER_LOCK, tx))) return 0;
      const heads = await this.tree.unsignedHeads(CHAINS_PER_TURN, this.database.primary);
      const latest = await this.tree.latestCheckpoints(
        heads.map((h) => h.chainId),
        this.database.primary,
      );
      const firsts = await this.tree.firstEventsAt(
        heads.filter((h) => !latest.has(h.chainId)).map((h) => h.chainId),
        this.database.primary,
      );
      let signed = 0;
      for (const head of heads) {
        const last = latest.get(head.chainId);
        if (!this.due(head, last, firsts.get(head.chainId) ?? null, now)) continue;
        await this.tree.saveCheckpoint(this.checkpointOf(head, now), tx);
        signed++;
      }
      return signed;
    });
  }

  /**
   * Due once the chain has AUDIT_CHECKPOINT_EVERY_EVENTS events past its last checkpoint, or the
   * last was signed AUDIT_CHECKPOINT_EVERY_SECONDS ago; a chain's first, once it has that many
   * events or its first event is AUDIT_CHECKPOINT_FIRST_SECONDS old.
   */
  private due(
    head: TreeHead,
    last: AuditCheckpoint | undefined,
    firstEventAt: Date | null,
    now: Date,
  ): boolean {
    const { AUDIT_CHECKPOINT_EVERY_EVENTS: everyEvents } = this.config;
    if (head.treeSize - (last?.treeSize ?? 0) >= everyEvents) return true;
    const since = last ? sqliteDate(last.signedAt) : firstEventAt;
    const afterSeconds = last
      ? this.config.AUDIT_CHECKPOINT_EVERY_SECONDS
      : this.config.AUDIT_CHECKPOINT_FIRST_SECONDS;
    return since !== null && now.getTime() - since.getTime() >= afterSeconds * 1000;
  }

  private checkpointOf(head: TreeHead, now: Date): AuditCheckpoint {
    const root = frontierOf(head).root();
    return {
      chainId: head.chainId,
      treeSize: head.treeSize,
      rootHash: root.toString('hex'),
      keyName: this.signer.keyName,
      keyId: this.signer.keyIdHex,
      note: this.signer.signCheckpoint(head.chainId, head.treeSize, root),
      signedAt: now,
    };
  }
}
