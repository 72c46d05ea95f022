import { DateUtils } from 'typeorm/util/DateUtils';
import type { AuditOutcome } from './audit-event.entity';
import { AUDIT_ROW_COLUMNS, RowDialect } from '../codec/audit-row';

export interface AuditFilters {
  actions?: string[];
  actorId?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** Which rows of a chain a walk reads next: after `afterSeq`, then a count or a `seq` bound. */
export type ChainSlice = { afterSeq: number } & ({ limit: number } | { upToSeq: number });

export interface SqlQuery {
  text: string;
  values: unknown[];
}

const SELECT = `SELECT ${AUDIT_ROW_COLUMNS.join(', ')} FROM audit_events`;

/** Placeholders in the driver's spelling, with Dates as the driver compares them. */
function parameters(dialect: RowDialect) {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(dialect === 'sqlite' && value instanceof Date ? sqliteTime(value) : value);
    return dialect === 'postgres' ? `$${values.length}` : '?';
  };
  return { values, param };
}

/** The list's filters as conditions: what the query builder wrote before walks read raw rows. */
function filterConditions(filters: AuditFilters, param: (value: unknown) => string): string[] {
  const where: string[] = [];
  if (filters.actions?.length) {
    where.push(`action IN (${filters.actions.map(param).join(', ')})`);
  }
  if (filters.actorId) where.push(`actor_id = ${param(filters.actorId)}`);
  if (filters.targetId) where.push(`target_id = ${param(filters.targetId)}`);
  if (filters.outcome) where.push(`outcome = ${param(filters.outcome)}`);
  if (filters.from) where.push(`occurred_at >= ${param(filters.from)}`);
  if (filters.to) where.push(`occurred_at < ${param(filters.to)}`);
  return where;
}

/**
 * The next raw rows of one chain in `seq` order, for either driver: a seek on the
 * (chain_id, seq) index, with the list's filters on top. A `limit` slice serves the export; an
 * `upToSeq` slice lets verify ask for the next range before it has read the current one.
 */
export function chainRowsQuery(
  dialect: RowDialect,
  chainId: string,
  slice: ChainSlice,
  filters: AuditFilters = {},
): SqlQuery {
  const { values, param } = parameters(dialect);
  const where = [`chain_id = ${param(chainId)}`, `seq > ${param(slice.afterSeq)}`];
  if ('upToSeq' in slice) where.push(`seq <= ${param(slice.upToSeq)}`);
  where.push(...filterConditions(filters, param));
  const limit = 'limit' in slice ? ` LIMIT ${param(slice.limit)}` : '';
  return { text: `${SELECT} WHERE ${where.join(' AND ')} ORDER BY seq${limit}`, values };
}

/**
 * The last `seq` of a chain on PostgreSQL, from the (chain_id, seq) index: where an export's
 * cursor stops, so that it reads the chain as it stood when it began.
 */
export function chainLastSeqQuery(chainId: string): SqlQuery {
  return { text: 'SELECT max(seq) FROM audit_events WHERE chain_id = $1', values: [chainId] };
}

/**
 * A newest-first keyset page: `limit` rows after the cursor's (occurred_at, id), of one business
 * or (with no business id) of every chain. The row-value comparison lets the database seek the
 * (…, occurred_at, id) index directly, so a page costs the same at any depth.
 */
export function pageRowsQuery(
  dialect: RowDialect,
  businessId: string | undefined,
  filters: AuditFilters,
  limit: number,
  after: { at: string; id: string } | null,
): SqlQuery {
  const { values, param } = parameters(dialect);
  const where = filterConditions(filters, param);
  if (businessId) where.push(`business_id = ${param(businessId)}`);
  if (after) {
    where.push(`(occurred_at, id) < (${param(new Date(after.at))}, ${param(after.id)})`);
  }
  return {
    text:
      `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ` +
      `ORDER BY occurred_at DESC, id DESC LIMIT ${param(limit)}`,
    values,
  };
}

/** How TypeORM writes a Date to SQLite, so comparisons with stored times stay textual and exact. */
function sqliteTime(date: Date): string {
  return DateUtils.mixedDateToUtcDatetimeString(date) as string;
}

const asText = (text: string) => text;

/** node-postgres type parsers that keep every column as the server's text. */
export const RAW_TEXT_TYPES = {
  getTypeParser: () => asText,
};
