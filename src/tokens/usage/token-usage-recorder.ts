import { CONSOLE_CLIENT_HEADER, isConsoleClient } from '../../common/http/console-client';
import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../auth/request-context';
import { clientIp } from '../../common/http/client-ip';
import { CONTEXT_KEY } from '../../common/http/request-keys';
import { loggableError } from '../../common/errors/safe-error';
import { UnitOfWork } from '../../database/units/unit-of-work';
import {
  TokenUsageRepository,
  UsageHourRow,
  UsageIpRow,
} from '../store/repositories/token-usage.repository';

const HOUR_MS = 3_600_000;
export const USAGE_FLUSH_INTERVAL_MS = 5_000;
/** How long usage is kept: hours that began, and addresses last seen, longer ago are deleted. */
export const USAGE_RETENTION_MS = 30 * 24 * HOUR_MS;
const RETENTION_EVERY_MS = HOUR_MS;
/** The distinct client addresses kept per token, the most recently seen. */
export const USAGE_IPS_KEPT = 10;
/**
 * Tokens one batch holds. Each holds at most `MAX_HOURS_PER_TOKEN` counters and
 * `USAGE_IPS_KEPT` addresses, so a batch stays within a few megabytes however many tokens call;
 * a note that would add a token (or an hour) to a full batch is dropped and counted.
 */
export const USAGE_MAX_PENDING_TOKENS = 10_000;
const MAX_HOURS_PER_TOKEN = 24;

interface HourCounts {
  requests: number;
  ok: number;
  clientErrors: number;
  console: number;
}

interface PendingToken {
  businessId: string;
  /** By the hour's start, in ms. Two at most, unless flushes stall. */
  hours: Map<number, HourCounts>;
  /** Address → last seen (ms), least recently seen first. */
  ips: Map<string, number>;
  /** The last key of `ips`, the most recently seen; null while it has none. */
  lastIp: string | null;
}

/**
 * Counts the requests each token authenticates, per UTC hour (all, 2xx, 4xx, and the console's:
 * `CONSOLE_CLIENT_HEADER` is the caller's word, so they are counted apart, never left out), and
 * the client addresses it comes from, off the request path: a request costs a few map operations,
 * and the batch is written every few seconds (and at shutdown) as additive upserts, so every
 * instance adds to the same rows. Only business tokens are counted: a platform token's usage could be
 * read by no route (the usage route is business-scoped). Hourly, rows older than 30 days go.
 */
@Injectable()
export class TokenUsageRecorder
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger(TokenUsageRecorder.name);
  private pending = new Map<string, PendingToken>();
  private droppedTotal = 0;
  private droppedReported = 0;
  private nextRetentionAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The write under way, so that writes run one at a time and shutdown waits for the last. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly usage: TokenUsageRepository,
  ) {}

  /**
   * Counts one answered request of a token: `statusCode` classes it (2xx, 4xx, or only the
   * total), and `ip`, canonical as `clientIp` gives it, is kept as seen now. The `onResponse`
   * hook calls it for every request with a request context; the verifier calls it for a request
   * it refuses as 403 IP_NOT_ALLOWED, before any context exists. A platform token (no business)
   * is not counted. `fromConsole` counts it among the console's requests too.
   */
  note(
    tokenId: string,
    businessId: string | null,
    statusCode: number,
    ip: string | null,
    fromConsole = false,
    now = Date.now(),
  ): void {
    if (businessId === null) return;
    let entry = this.pending.get(tokenId);
    if (entry === undefined) {
      if (this.pending.size >= USAGE_MAX_PENDING_TOKENS) return this.drop();
      entry = { businessId, hours: new Map(), ips: new Map(), lastIp: null };
      this.pending.set(tokenId, entry);
    }
    const hour = now - (now % HOUR_MS);
    let counts = entry.hours.get(hour);
    if (counts === undefined) {
      if (entry.hours.size >= MAX_HOURS_PER_TOKEN) return this.drop();
      entry.hours.set(hour, (counts = { requests: 0, ok: 0, clientErrors: 0, console: 0 }));
    }
    counts.requests++;
    if (fromConsole) counts.console++;
    if (statusCode >= 200 && statusCode < 300) counts.ok++;
    else if (statusCode >= 400 && statusCode < 500) counts.clientErrors++;
    if (ip === null) return;
    if (ip === entry.lastIp) {
      // The most recently seen already: its place stands, and a map that deleted and re-added
      // a key on every request would grow until rehashed.
      entry.ips.set(ip, now);
    } else {
      // Re-inserted, so the first key is always the least recently seen, which goes first.
      entry.ips.delete(ip);
      entry.ips.set(ip, now);
      entry.lastIp = ip;
      if (entry.ips.size > USAGE_IPS_KEPT) entry.ips.delete(entry.ips.keys().next().value!);
    }
  }

  /** Notes dropped because the batch was full, since start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Writes what is pending. A failed write is logged and dropped: usage is not worth a retry. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  /** Deletes usage older than the retention, in every business; answers the rows deleted. */
  deleteExpired(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - USAGE_RETENTION_MS);
    const run = this.writing.then(() =>
      this.uow.run((tx) => this.usage.deleteOlderThan(cutoff, tx)),
    );
    this.writing = run.then(
      () => undefined,
      (e: unknown) => this.logger.warn({ err: loggableError(e) }, 'token usage retention failed'),
    );
    return run;
  }

  private drop(): void {
    this.droppedTotal++;
  }

  private async write(): Promise<void> {
    const dropped = this.droppedTotal - this.droppedReported;
    if (dropped > 0) {
      this.droppedReported = this.droppedTotal;
      this.logger.warn({ dropped }, 'token usage notes dropped: the batch was full');
    }
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const { hours, ips } = rowsOf(batch);
    const seenFrom = [...new Set(ips.map((r) => r.tokenId))];
    try {
      await this.uow.run(async (tx) => {
        await this.usage.addHours(hours, tx);
        await this.usage.seeIps(ips, tx);
        await this.usage.pruneIps(seenFrom, USAGE_IPS_KEPT, tx);
      });
    } catch (e) {
      this.logger.warn(
        { err: loggableError(e), tokens: batch.size },
        'token usage write failed; the batch is dropped',
      );
    }
  }

  private tick(): void {
    void this.flush();
    const now = Date.now();
    if (now < this.nextRetentionAt) return;
    this.nextRetentionAt = now + RETENTION_EVERY_MS;
    // Logged by deleteExpired itself.
    this.deleteExpired(new Date(now)).catch(() => undefined);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), USAGE_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
  }
}

/**
 * The batch as rows, ordered by token then hour or address, so that instances writing the same
 * rows take their locks in one order (PostgreSQL) and cannot deadlock on one another.
 */
function rowsOf(batch: Map<string, PendingToken>): { hours: UsageHourRow[]; ips: UsageIpRow[] } {
  const hours: UsageHourRow[] = [];
  const ips: UsageIpRow[] = [];
  for (const tokenId of [...batch.keys()].sort()) {
    const { businessId, hours: counted, ips: seen } = batch.get(tokenId)!;
    for (const [hour, c] of [...counted].sort((a, b) => a[0] - b[0])) {
      hours.push({
        tokenId,
        businessId,
        hour: new Date(hour),
        requests: c.requests,
        okCount: c.ok,
        clientErrorCount: c.clientErrors,
        consoleRequests: c.console,
      });
    }
    for (const [ip, at] of [...seen].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      ips.push({ tokenId, businessId, ip, lastSeenAt: new Date(at) });
    }
  }
  return { hours, ips };
}

/**
 * Counts every answered request that a token authenticated (the request context is on it) into
 * the recorder: a Fastify `onResponse` hook, as the request log and metrics are. A request refused
 * before its token was verified (401, an IP over its failed-auth budget) has no context and is
 * not counted: no token authenticated it.
 */
export function registerTokenUsage(fastify: FastifyInstance, recorder: TokenUsageRecorder): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const ctx = (request as FastifyRequest & { [CONTEXT_KEY]?: RequestContext })[CONTEXT_KEY];
    if (ctx !== undefined && ctx.token.businessId !== null) {
      const fromConsole = isConsoleClient(request.headers[CONSOLE_CLIENT_HEADER]);
      recorder.note(
        ctx.token.id,
        ctx.token.businessId,
        reply.statusCode,
        clientIp(request),
        fromConsole,
      );
    }
    done();
  });
}
