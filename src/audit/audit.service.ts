import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../auth/request-context';
import { RequestValidationError } from '../common/domain-error';
import { Page, paginate } from '../common/pagination';
import { ChainVerdict, ChainWalker } from './audit-chain';
import { AuditEventView, auditView } from './audit-entry';
import type { AuditChainHead, AuditEvent } from './audit-event.entity';
import { CSV_HEADER, csvLine, ndjsonLine } from './audit-export';
import { AuditFilters, AuditRepository } from './audit.repository';
import {
  AuditExportQueryDto,
  AuditFiltersDto,
  AuditQueryDto,
  ExportFormat,
  filtersOf,
  PlatformAuditQueryDto,
} from './dto/audit.dto';

const EXPORT_BATCH = 1_000;
const VERIFY_BATCH = 5_000;

/** One chain, read in `seq` order batch by batch: a business's, or the platform's. */
interface ChainSource {
  batch(afterSeq: number, limit: number, filters?: AuditFilters): Promise<AuditEvent[]>;
  head(): Promise<AuditChainHead | null>;
}

/** Reads the audit log: pages, streamed exports, and chain verification. It never writes. */
@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /** The business's events, newest first. */
  list(ctx: RequestContext, query: AuditQueryDto): Promise<Page<AuditEventView>> {
    const filters = checkedFilters(query);
    return paginate(
      query,
      (limit, after) => this.audit.pageInBusiness(ctx.businessId, filters, limit, after),
      eventKey,
      auditView,
    );
  }

  /** Every chain's events, newest first; `business_id` narrows to one business. */
  listAnyBusiness(query: PlatformAuditQueryDto): Promise<Page<AuditEventView>> {
    const filters = { ...checkedFilters(query), businessId: query.business_id };
    return paginate(
      query,
      (limit, after) => this.audit.pageAnyBusiness(filters, limit, after),
      eventKey,
      auditView,
    );
  }

  /** The business's chain as NDJSON or CSV lines, in `seq` order, a batch at a time. */
  export(ctx: RequestContext, query: AuditExportQueryDto): AsyncGenerator<string> {
    return exportLines(this.businessChain(ctx.businessId), checkedFilters(query), query.format);
  }

  exportPlatform(query: AuditExportQueryDto): AsyncGenerator<string> {
    return exportLines(this.platformChain(), checkedFilters(query), query.format);
  }

  /** Recomputes the business's whole chain against its head. */
  verify(ctx: RequestContext): Promise<ChainVerdict> {
    return verifyChain(this.businessChain(ctx.businessId));
  }

  verifyPlatform(): Promise<ChainVerdict> {
    return verifyChain(this.platformChain());
  }

  private businessChain(businessId: string): ChainSource {
    return {
      batch: (afterSeq, limit, filters) =>
        this.audit.chainBatchInBusiness(businessId, afterSeq, limit, filters),
      head: () => this.audit.headOfBusiness(businessId),
    };
  }

  private platformChain(): ChainSource {
    return {
      batch: (afterSeq, limit, filters) => this.audit.platformChainBatch(afterSeq, limit, filters),
      head: () => this.audit.headOfPlatform(),
    };
  }
}

function eventKey(event: AuditEvent) {
  return { at: event.occurredAt.toISOString(), id: event.id };
}

function checkedFilters(dto: AuditFiltersDto): AuditFilters {
  if (dto.from && dto.to && dto.from > dto.to) {
    throw new RequestValidationError([
      { loc: ['query', 'to'], msg: 'to must not be before from', type: 'value_error' },
    ]);
  }
  return filtersOf(dto);
}

/**
 * Yields one chunk per batch, and reads the next batch only when the consumer asks: the
 * export's memory stays that of one batch, however long the chain.
 */
async function* exportLines(
  chain: ChainSource,
  filters: AuditFilters,
  format: ExportFormat = 'ndjson',
): AsyncGenerator<string> {
  const line = format === 'csv' ? csvLine : ndjsonLine;
  if (format === 'csv') yield CSV_HEADER;
  let afterSeq = 0;
  for (;;) {
    const batch = await chain.batch(afterSeq, EXPORT_BATCH, filters);
    if (batch.length === 0) return;
    yield batch.map((event) => line(auditView(event))).join('');
    afterSeq = batch[batch.length - 1].seq;
  }
}

async function verifyChain(chain: ChainSource): Promise<ChainVerdict> {
  // The head is read first: events appended during the walk lie beyond it and are not judged.
  const head = await chain.head();
  const lastSeq = head?.seq ?? 0;
  const walker = new ChainWalker();
  let afterSeq = 0;
  while (afterSeq < lastSeq) {
    const batch = (await chain.batch(afterSeq, VERIFY_BATCH)).filter((e) => e.seq <= lastSeq);
    if (batch.length === 0 || !walker.feed(batch.map(auditView))) break;
    afterSeq = batch[batch.length - 1].seq;
  }
  return walker.finish(head);
}
