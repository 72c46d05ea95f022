import { Injectable } from '@nestjs/common';
import type { RequestContext } from '../../auth/request-context';
import { RequestValidationError } from '../../common/errors/domain-error';
import { ReadRouting } from '../../database/connection/read-routing';
import type {
  BusinessVerificationQueryDto,
  PlatformVerificationQueryDto,
  VerificationAnalyticsDto,
  VerificationBucketDto,
  VerificationQueryDto,
  ExportFormat,
} from '../dto/analytics.dto';
import {
  type Client,
  type CountScope,
  type Granularity,
  VerificationCountsRepository,
} from '../store/verification-counts.repository';
import type { Reader } from '../../database/units/reader';
import {
  byClient,
  type ReadGroupKey,
  type ReadSum,
  storedKeys,
  TokenClients,
} from './token-clients';
import { TokenQueriesService } from '../../tokens/lifecycle/token-queries.service';
import { countFields, type ExportSlice, exportLines } from './verification-export';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const STEP: Record<Granularity, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };
/** The longest window a read may span, per granularity (beyond it, 422). */
export const MAX_WINDOW_MS: Record<Granularity, number> = {
  minute: DAY_MS,
  hour: 31 * DAY_MS,
  day: 366 * DAY_MS,
};
const DEFAULT_WINDOW_MS: Record<Granularity, number> = {
  minute: HOUR_MS,
  hour: DAY_MS,
  day: 30 * DAY_MS,
};
/** An export reads this much of its window at a time, so it holds one slice's counts. */
const EXPORT_SLICE_MS: Record<Granularity, number> = {
  minute: 10 * MINUTE_MS,
  hour: 6 * HOUR_MS,
  day: 7 * DAY_MS,
};
/** Counts one answer holds; more is 422 (the export has no such bound). */
export const ANSWER_COUNTS_MAX = 10_000;
const SLICE_COUNTS_MAX = 1_000_000;

/** A read's window and grouping, once checked. */
export interface CountWindow {
  granularity: Granularity;
  from: Date;
  to: Date;
  groupBy: ReadGroupKey[];
  /** Whose calls are counted: the API's by default, the console's apart. */
  client: Client;
}

/**
 * Verification counts as the analytics routes answer them: buckets of a window, split by the
 * grouping asked for. A business's are seen as its token list is: every token's by an owner or
 * admin whose token allows `tokens:admin` (the usage summary's rule), else the caller's own
 * tokens' alone; the platform sees every business's, unknown tokens included.
 */
@Injectable()
export class VerificationAnalyticsService {
  constructor(
    private readonly reads: ReadRouting,
    private readonly counts: VerificationCountsRepository,
    private readonly tokens: TokenQueriesService,
    private readonly clients: TokenClients,
  ) {}

  /** The business's counts, as the caller may see them; one token's, with `token_id`. */
  forBusiness(ctx: RequestContext, query: BusinessVerificationQueryDto, now = new Date()) {
    const scope = { ...businessScope(ctx), tokenId: query.token_id ?? null };
    return this.answer(ctx, scope, windowOf(query, now));
  }

  /** Every business's counts, or one's (`business_id`). */
  forPlatform(ctx: RequestContext, query: PlatformVerificationQueryDto, now = new Date()) {
    return this.answer(ctx, platformScope(query), windowOf(query, now));
  }

  /** The business's counts as CSV or NDJSON lines, a slice of the window at a time. */
  exportBusiness(ctx: RequestContext, query: VerificationQueryDto, format: ExportFormat) {
    return this.export(ctx, businessScope(ctx), windowOf(query, new Date()), format);
  }

  exportPlatform(ctx: RequestContext, query: PlatformVerificationQueryDto, format: ExportFormat) {
    return this.export(ctx, platformScope(query), windowOf(query, new Date()), format);
  }

  private async answer(
    ctx: RequestContext,
    scope: CountScope,
    w: CountWindow,
  ): Promise<VerificationAnalyticsDto> {
    const rows = await this.reads.read(ctx.actor.id, (db) =>
      this.sums(scope, w, w.from, w.to, ANSWER_COUNTS_MAX + 1, db),
    );
    if (rows.length > ANSWER_COUNTS_MAX) {
      throw new RequestValidationError([
        {
          loc: ['query', 'group_by'],
          msg: `The answer would hold more than ${ANSWER_COUNTS_MAX} counts: narrow the window, group by less, or use the export`,
          type: 'value_error',
        },
      ]);
    }
    return {
      granularity: w.granularity,
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      group_by: w.groupBy,
      client: w.client,
      buckets: bucketsOf(rows),
    };
  }

  /**
   * The window's sums as asked for; by client, summed by token first (the answer's bound then
   * counts tokens, so it is never looser than asked).
   */
  private async sums(
    scope: CountScope,
    w: CountWindow,
    from: Date,
    to: Date,
    limit: number,
    db: Reader,
  ): Promise<ReadSum[]> {
    const keys = storedKeys(w.groupBy);
    const rows = await this.counts.sums(scope, w.granularity, from, to, keys, limit, db, w.client);
    return byClient(rows, w.groupBy, (ids) =>
      this.clients.clientsOfTokens(scope.businessId, ids, db),
    );
  }

  private export(ctx: RequestContext, scope: CountScope, w: CountWindow, format: ExportFormat) {
    const named = w.groupBy.includes('token');
    const slices = async function* (
      this: VerificationAnalyticsService,
    ): AsyncGenerator<ExportSlice> {
      const step = EXPORT_SLICE_MS[w.granularity];
      for (let at = w.from.getTime(); at < w.to.getTime(); at += step) {
        const end = new Date(Math.min(at + step, w.to.getTime()));
        yield await this.reads.read(ctx.actor.id, async (db) => {
          const rows = await this.sums(scope, w, new Date(at), end, SLICE_COUNTS_MAX, db);
          if (!named) return { rows, tokenNames: null };
          const ids = new Set<string>();
          for (const row of rows) if (row.groups.token) ids.add(row.groups.token);
          return { rows, tokenNames: await this.tokens.namesOf(scope.businessId, [...ids], db) };
        });
      }
    }.call(this);
    return exportLines(slices, w.groupBy, format);
  }
}

function businessScope(ctx: RequestContext): CountScope {
  const managesAll = ctx.hasRole('admin') && ctx.allowsScope('tokens:admin');
  return { businessId: ctx.businessId, identityId: managesAll ? null : ctx.actor.id };
}

function platformScope(query: PlatformVerificationQueryDto): CountScope {
  return { businessId: null, filter: query.business_id ?? null };
}

/** The window asked for, or the 422 that names what is wrong with it. */
export function windowOf(query: VerificationQueryDto, now: Date): CountWindow {
  const granularity = query.granularity ?? 'hour';
  const to = query.to ?? now;
  const asked = query.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS[granularity]);
  const step = STEP[granularity];
  const problem = (loc: string, msg: string) =>
    new RequestValidationError([{ loc: ['query', loc], msg, type: 'value_error' }]);
  if (asked.getTime() >= to.getTime()) throw problem('to', 'to must be after from');
  if (to.getTime() - asked.getTime() > MAX_WINDOW_MS[granularity]) {
    const most = { minute: '24 hours', hour: '31 days', day: '366 days' }[granularity];
    throw problem('from', `A window of ${granularity} buckets may span at most ${most}`);
  }
  return {
    granularity,
    from: new Date(asked.getTime() - (asked.getTime() % step)),
    to,
    groupBy: [...new Set<ReadGroupKey>(query.group_by ?? ['outcome'])],
    client: query.client ?? 'api',
  };
}

/** Rows (ordered by bucket) as buckets, each with its counts and their total. */
function bucketsOf(rows: ReadSum[]): VerificationBucketDto[] {
  const buckets: VerificationBucketDto[] = [];
  let current: VerificationBucketDto | undefined;
  for (const row of rows) {
    const start = row.bucket.toISOString();
    if (current === undefined || current.start !== start) {
      current = { start, total: 0, counts: [] };
      buckets.push(current);
    }
    current.total += row.count;
    current.counts.push({ ...countFields(row.groups), count: row.count });
  }
  return buckets;
}
