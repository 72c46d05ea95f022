import { BatchSizer } from '../store/batch-sizer';
import { Injectable, Logger } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import type { RequestContext } from '../../auth/request-context';
import { RequestValidationError } from '../../common/errors/domain-error';
import { Database, ReadRouting, ReadSource } from '../../database/connection/read-routing';
import { Keyset, paginate } from '../../common/validation/pagination';
import { AuditCheckpoints } from '../checkpoints/audit-checkpoints';
import { CheckpointedVerdict, withCheckpoints } from '../checkpoints/checkpoint-verdict';
import { capturesFor, rootsAtSizes, TreeCapture } from '../tree/tree-capture';
import type { AuditChainHead } from '../store/audit-event.entity';
import { COLUMN } from '../codec/audit-fields';
import { AuditRow, instantOf, RowDialect } from '../codec/audit-row';
import { pageJson } from '../codec/page-json';
import { exportLines } from './audit-export';
import type { ChainSlice } from '../store/audit-row-query';
import { AuditFilters, AuditRepository } from '../store/audit.repository';
import {
  joinSegments,
  SegmentResult,
  SegmentWalker,
  seqRanges,
  VERIFY_BATCH,
} from '../chain/chain-segment';
import { runSegmentWorker } from '../chain/chain-workers';
import {
  AuditExportQueryDto,
  AuditFiltersDto,
  AuditQueryDto,
  filtersOf,
  PlatformAuditQueryDto,
} from '../dto/audit.dto';

/** A shorter chain is verified on the main thread: starting workers costs more than it saves. */
const PARALLEL_VERIFY_FROM = 50_000;
/** One stretch per core, at most two: beyond that the database's own reading is the bound. */
const VERIFY_WORKERS = Math.min(2, availableParallelism());

/** One chain, read in `seq` order batch by batch: a business's, or the platform's. */
interface ChainSource {
  id: string;
  rows(slice: ChainSlice): Promise<AuditRow[]>;
  /** The whole chain for an export, a batch at a time (`AuditRepository.chainBatches`). */
  exportBatches(filters: AuditFilters): AsyncGenerator<AuditRow[]>;
  head(): Promise<AuditChainHead | null>;
}

/** Reads the audit log: pages, streamed exports, and chain verification. It never writes. */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly audit: AuditRepository,
    private readonly checkpoints: AuditCheckpoints,
    private readonly reads: ReadRouting,
    private readonly database: Database,
  ) {}

  /** The business's events, newest first, as the JSON the API sends (`pageJson`). */
  list(ctx: RequestContext, query: AuditQueryDto): Promise<Buffer> {
    const filters = checkedFilters(query);
    return this.page(ctx.actor.id, query, (limit, after, from) =>
      this.audit.pageInBusiness(ctx.businessId, filters, limit, after, from),
    );
  }

  /**
   * Every chain's events, newest first; `business_id` narrows to one business. `readerId` is the
   * identity asking, whose own changes the page shows (`ReadRouting`).
   */
  listAnyBusiness(readerId: string, query: PlatformAuditQueryDto): Promise<Buffer> {
    const filters = { ...checkedFilters(query), businessId: query.business_id };
    return this.page(readerId, query, (limit, after, from) =>
      this.audit.pageAnyBusiness(filters, limit, after, from),
    );
  }

  private page(
    readerId: string,
    query: AuditQueryDto,
    fetch: (limit: number, after: Keyset | null, from: ReadSource) => Promise<AuditRow[]>,
  ): Promise<Buffer> {
    const dialect = this.audit.dialect;
    return this.reads.read(readerId, async (from) => {
      const page = await paginate(
        query,
        (limit, after) => fetch(limit, after, from),
        (row) => ({ at: instantOf(row, dialect), id: row[COLUMN.id] as string }),
        (row) => row,
      );
      return pageJson(page, dialect);
    });
  }

  /**
   * The business's chain as NDJSON or CSV lines, in `seq` order, a batch at a time (on
   * PostgreSQL, as it stood when the export began). The whole export reads from one source,
   * chosen as it starts (a replica, when one holds the caller's own changes): a stream that has
   * begun cannot start again elsewhere.
   */
  export(ctx: RequestContext, query: AuditExportQueryDto): AsyncGenerator<string> {
    const chain = this.businessChain(ctx.businessId, this.reads.sourceFor(ctx.actor.id));
    return this.exportChain(chain, checkedFilters(query), query);
  }

  exportPlatform(readerId: string, query: AuditExportQueryDto): AsyncGenerator<string> {
    const chain = this.platformChain(this.reads.sourceFor(readerId));
    return this.exportChain(chain, checkedFilters(query), query);
  }

  /**
   * An NDJSON export of a whole chain ends with the signed checkpoint that covers most of it, as
   * one more line, `{"checkpoint": "<note>"}`: the file then verifies alone, against the verifier
   * key. A filtered export is not a prefix of the tree, and CSV has no place for it. The filters
   * are checked by the caller, before the answer starts: a 422 cannot follow a 200.
   */
  private async *exportChain(
    chain: ChainSource,
    filters: AuditFilters,
    query: AuditExportQueryDto,
  ): AsyncGenerator<string> {
    const format = query.format ?? 'ndjson';
    let lastSeq = 0;
    const batches = chain.exportBatches(filters);
    yield* exportLines(batches, format, this.audit.dialect, (seq) => (lastSeq = seq));
    const filtered = Object.values(filters).some((value) => value !== undefined);
    if (format !== 'ndjson' || filtered || lastSeq === 0) return;
    const note = await this.checkpoints.coveringExport(chain.id, lastSeq);
    if (note) yield `${JSON.stringify({ checkpoint: note })}\n`;
  }

  /**
   * Recomputes the business's whole chain against its head, and its Merkle tree against the
   * signed checkpoints.
   */
  verify(ctx: RequestContext): Promise<CheckpointedVerdict> {
    // On the primary: verify judges the chain against its head, as the appends left them.
    return this.verifyChain(this.businessChain(ctx.businessId, this.reads.primary));
  }

  verifyPlatform(): Promise<CheckpointedVerdict> {
    return this.verifyChain(this.platformChain(this.reads.primary));
  }

  private businessChain(businessId: string, from: ReadSource): ChainSource {
    return {
      id: this.audit.chainIdOfBusiness(businessId),
      rows: (slice) => this.audit.rowsInBusiness(businessId, slice, {}, from),
      exportBatches: (filters) => this.audit.exportBatchesInBusiness(businessId, filters, from),
      head: () => this.audit.headOfBusiness(businessId, this.database.primary),
    };
  }

  private platformChain(from: ReadSource): ChainSource {
    return {
      id: this.audit.platformChainId,
      rows: (slice) => this.audit.platformRows(slice, {}, from),
      exportBatches: (filters) => this.audit.platformExportBatches(filters, from),
      head: () => this.audit.headOfPlatform(this.database.primary),
    };
  }

  /** Whether a chain this long is walked in stretches by workers (PARALLEL_VERIFY_FROM). */
  private splitsAt(lastSeq: number): boolean {
    return lastSeq >= PARALLEL_VERIFY_FROM;
  }

  /**
   * Walks the chain up to its head, read first: events appended during the walk lie beyond it
   * and are not judged. A long chain on PostgreSQL is split into stretches that worker threads
   * check at once, each on its own connection; the stretches join into the verdict one walk
   * would give.
   */
  private async verifyChain(chain: ChainSource): Promise<CheckpointedVerdict> {
    // Checkpoints first: each was signed over a tree no larger than the head read after them.
    const checkpoints = await this.checkpoints.judged(chain.id);
    const head = await chain.head();
    const lastSeq = head?.seq ?? 0;
    const sizes = checkpoints
      .filter((c) => c.signatureHolds && c.size <= lastSeq)
      .map((c) => c.size);
    const segments = await this.walkChain(chain, lastSeq, sizes);
    return withCheckpoints(
      joinSegments(segments, head),
      lastSeq,
      checkpoints,
      rootsAtSizes(segments.map((s) => s.tree)),
    );
  }

  private async walkChain(
    chain: ChainSource,
    lastSeq: number,
    sizes: number[],
  ): Promise<SegmentResult[]> {
    const connection = this.audit.workerConnection();
    if (connection && VERIFY_WORKERS > 1 && this.splitsAt(lastSeq)) {
      try {
        const ranges = seqRanges(lastSeq, VERIFY_WORKERS);
        const trees = capturesFor(sizes, ranges);
        return await Promise.all(
          ranges.map((range, i) =>
            runSegmentWorker({
              connection,
              chainId: chain.id,
              ...range,
              batch: VERIFY_BATCH,
              tree: trees[i],
            }),
          ),
        );
      } catch (e) {
        // The verdict does not depend on how the chain is walked: walk it here instead.
        this.logger.warn(`verify workers failed, walking on the main thread: ${String(e)}`);
      }
    }
    const [tree] = capturesFor(sizes, [{ afterSeq: 0, upToSeq: lastSeq }]);
    return [await walk(chain, lastSeq, this.audit.dialect, tree)];
  }
}

/** Hashes `(0, lastSeq]` in one pass, loading the next range while it hashes the current one. */
async function walk(chain: ChainSource, lastSeq: number, dialect: RowDialect, tree: TreeCapture) {
  const walker = new SegmentWalker(dialect, tree);
  // Bounded in bytes as well as rows; the range loading behind sizes itself on the one before.
  const sizer = new BatchSizer(VERIFY_BATCH);
  const range = (from: number, to: number) => chain.rows({ afterSeq: from, upToSeq: to });
  let afterSeq = Math.min(sizer.next, lastSeq);
  let next: Promise<AuditRow[]> | null = lastSeq > 0 ? range(0, afterSeq) : null;
  while (next) {
    const rows = await next;
    sizer.saw(rows);
    const from = afterSeq;
    afterSeq = Math.min(from + sizer.next, lastSeq);
    next = from < lastSeq ? range(from, afterSeq) : null;
    if (!walker.feed(rows)) break;
  }
  // A range still loading after an early stop is no longer wanted.
  next?.catch(() => undefined);
  return walker.finish() satisfies SegmentResult;
}

function checkedFilters(dto: AuditFiltersDto): AuditFilters {
  if (dto.from && dto.to && dto.from > dto.to) {
    throw new RequestValidationError([
      { loc: ['query', 'to'], msg: 'to must not be before from', type: 'value_error' },
    ]);
  }
  return filtersOf(dto);
}
