import { Injectable } from '@nestjs/common';
import { And, LessThan, MoreThanOrEqual } from 'typeorm';
import { assertBusinessId } from '../../../common/tenant-scope';
import { rowBatches, tupleMarks } from '../../../database/statements/row-batches';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { TokenUsageHour, TokenUsageIp } from '../entities/token-usage.entity';

/** What one batch adds to a token's hour. */
export interface UsageHourRow {
  tokenId: string;
  businessId: string;
  hour: Date;
  requests: number;
  okCount: number;
  clientErrorCount: number;
  consoleRequests: number;
}

/** A client address one batch saw a token used from, and when last. */
export interface UsageIpRow {
  tokenId: string;
  businessId: string;
  ip: string;
  lastSeenAt: Date;
}

/** Rows per INSERT: 7 parameters each stays far below both drivers' limits. */
const ROWS_PER_STATEMENT = 512;

/**
 * Per-token usage. The writes are batches across businesses (each row carries its own), as
 * upserts that add to what another instance may have written in the same hour; the reads take
 * the business id first.
 */
@Injectable()
export class TokenUsageRepository {
  /** Adds each row's counts to its (token, hour), creating it when absent. */
  async addHours(rows: UsageHourRow[], tx: Transaction): Promise<void> {
    for (const chunk of rowBatches(rows, ROWS_PER_STATEMENT)) {
      const params: unknown[] = [];
      for (const r of chunk) {
        params.push(r.tokenId, tx.time(r.hour), r.businessId);
        params.push(r.requests, r.okCount, r.clientErrorCount, r.consoleRequests);
      }
      await tx.statement(
        'INSERT INTO token_usage_hours ' +
          '(token_id, hour, business_id, requests, ok_count, client_error_count, console_requests) ' +
          `VALUES ${tupleMarks(chunk.length, 7)} ` +
          'ON CONFLICT (token_id, hour) DO UPDATE SET ' +
          'requests = token_usage_hours.requests + excluded.requests, ' +
          'ok_count = token_usage_hours.ok_count + excluded.ok_count, ' +
          'client_error_count = token_usage_hours.client_error_count + excluded.client_error_count, ' +
          'console_requests = token_usage_hours.console_requests + excluded.console_requests',
        params,
      );
    }
  }

  /** Records each address as seen at its time, keeping the later one for an address known. */
  async seeIps(rows: UsageIpRow[], tx: Transaction): Promise<void> {
    for (const chunk of rowBatches(rows, ROWS_PER_STATEMENT)) {
      const params: unknown[] = [];
      for (const r of chunk) params.push(r.tokenId, r.ip, r.businessId, tx.time(r.lastSeenAt));
      await tx.statement(
        'INSERT INTO token_usage_ips (token_id, ip, business_id, last_seen_at) ' +
          `VALUES ${tupleMarks(chunk.length, 4)} ` +
          'ON CONFLICT (token_id, ip) DO UPDATE SET last_seen_at = CASE ' +
          'WHEN excluded.last_seen_at > token_usage_ips.last_seen_at ' +
          'THEN excluded.last_seen_at ELSE token_usage_ips.last_seen_at END',
        params,
      );
    }
  }

  /** Deletes all but the `keep` most recently seen addresses of each of these tokens. */
  async pruneIps(tokenIds: string[], keep: number, tx: Transaction): Promise<void> {
    for (const chunk of rowBatches(tokenIds, ROWS_PER_STATEMENT)) {
      await tx.statement(
        `DELETE FROM token_usage_ips WHERE token_id IN ${tupleMarks(1, chunk.length)} ` +
          'AND ip NOT IN (' +
          'SELECT kept.ip FROM token_usage_ips kept ' +
          'WHERE kept.token_id = token_usage_ips.token_id ' +
          `ORDER BY kept.last_seen_at DESC, kept.ip ASC LIMIT ${Math.trunc(keep)})`,
        chunk,
      );
    }
  }

  /**
   * Deletes what is older than `cutoff`, in every business: hours that began before it, and
   * addresses last seen before it. Idempotent, so instances may all run it.
   */
  async deleteOlderThan(cutoff: Date, tx: Transaction): Promise<number> {
    const hours = await tx.delete(TokenUsageHour, { hour: LessThan(cutoff) });
    const ips = await tx.delete(TokenUsageIp, { lastSeenAt: LessThan(cutoff) });
    return (hours.affected ?? 0) + (ips.affected ?? 0);
  }

  /** A token's hours that began in [from, to), oldest first. */
  hoursOf(businessId: string, tokenId: string, from: Date, to: Date, db: Reader) {
    assertBusinessId(businessId);
    return db.find(TokenUsageHour, {
      where: { businessId, tokenId, hour: And(MoreThanOrEqual(from), LessThan(to)) },
      order: { hour: 'ASC' },
    });
  }

  /** A token's `limit` most recently seen client addresses, most recent first. */
  recentIpsOf(businessId: string, tokenId: string, limit: number, db: Reader) {
    assertBusinessId(businessId);
    return db.find(TokenUsageIp, {
      where: { businessId, tokenId },
      order: { lastSeenAt: 'DESC', ip: 'ASC' },
      take: limit,
    });
  }
}
