import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { PresentedToken } from '../../common/http/request-keys';
import { loggableError } from '../../common/errors/safe-error';
import { AppConfig } from '../../config/app-config';
import { UnitOfWork } from '../../database/units/unit-of-work';
import {
  CountRow,
  NONE,
  VerificationCountsRepository,
} from '../store/verification-counts.repository';
import type { Outcome } from '../verification-outcome';
import { OVERFLOW_TAG } from './verification-tags';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
export const ANALYTICS_FLUSH_INTERVAL_MS = 5_000;
/**
 * Distinct (business, tag) pairs one instance remembers for the day, across businesses: past it
 * every new tag is `(other)` until the day turns, so the memory of tags is bounded too.
 */
export const TAGS_REMEMBERED_MAX = 200_000;
const SEP = '\u0000';

interface Tally {
  count: number;
  console: number;
}

/**
 * Counts verifications per UTC minute, business, token, outcome and tags, off the request path:
 * a verification costs a string key and a map update, and the batch is written every few
 * seconds (and at shutdown) as additive upserts, so every instance adds to the same rows. The
 * batch holds at most ANALYTICS_MAX_PENDING_KEYS counters: a verification that would add one
 * more is dropped, counted, and logged with the next write. A business counts at most
 * ANALYTICS_TAGS_PER_BUSINESS_DAY distinct tags a day on this instance; past them, `(other)`.
 */
@Injectable()
export class VerificationRecorder
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly logger = new Logger(VerificationRecorder.name);
  /** Each counter's verifications, and of them the console's. */
  private pending = new Map<string, Tally>();
  private readonly maxPending: number;
  private readonly tagsPerDay: number;
  /** The tags each business counted under today (by its id; `NONE` for none), and which day. */
  private tagsSeen = new Map<string, Set<string>>();
  private tagsRemembered = 0;
  private tagDay = -1;
  private droppedTotal = 0;
  private droppedReported = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The write under way, so that writes run one at a time and shutdown waits for the last. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly counts: VerificationCountsRepository,
    config: AppConfig,
  ) {
    this.maxPending = config.ANALYTICS_MAX_PENDING_KEYS;
    this.tagsPerDay = config.ANALYTICS_TAGS_PER_BUSINESS_DAY;
  }

  /**
   * Counts one verification: the token presented (null: no such token), what it came to, the
   * normalized tags of a trusted gateway's call ('' for none), and whether the admin console made
   * it (counted among the verifications, and apart as the console's).
   */
  note(
    token: PresentedToken | null,
    outcome: Outcome,
    tags = '',
    now = Date.now(),
    fromConsole = false,
  ): void {
    const businessId = token?.businessId ?? NONE;
    const tag = tags === '' ? '' : this.tagOf(businessId, tags, now);
    const minute = now - (now % MINUTE_MS);
    const key =
      minute +
      SEP +
      businessId +
      SEP +
      (token?.id ?? NONE) +
      SEP +
      outcome +
      SEP +
      tag +
      SEP +
      (token?.identityId ?? NONE);
    const tally = this.pending.get(key);
    if (tally !== undefined) {
      tally.count++;
      if (fromConsole) tally.console++;
    } else if (this.pending.size >= this.maxPending) {
      this.droppedTotal++;
    } else {
      this.pending.set(key, { count: 1, console: fromConsole ? 1 : 0 });
    }
  }

  /** Verifications dropped because the batch was full, since start. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Counters waiting for the next write. */
  get pendingKeys(): number {
    return this.pending.size;
  }

  /** Distinct (business, tag) pairs remembered today. */
  get tagsHeld(): number {
    return this.tagsRemembered;
  }

  /** Writes what is pending. A failed write is logged and dropped: counts are not worth a retry. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  /** The tag a call counts under: its own while the business has room today, else `(other)`. */
  private tagOf(businessId: string, tags: string, now: number): string {
    const day = Math.floor(now / DAY_MS);
    if (day !== this.tagDay) {
      this.tagDay = day;
      this.tagsSeen = new Map();
      this.tagsRemembered = 0;
    }
    let seen = this.tagsSeen.get(businessId);
    if (seen?.has(tags)) return tags;
    if (this.tagsRemembered >= TAGS_REMEMBERED_MAX) return OVERFLOW_TAG;
    if (seen === undefined) this.tagsSeen.set(businessId, (seen = new Set()));
    if (seen.size >= this.tagsPerDay) return OVERFLOW_TAG;
    seen.add(tags);
    this.tagsRemembered++;
    return tags;
  }

  private async write(): Promise<void> {
    const dropped = this.droppedTotal - this.droppedReported;
    if (dropped > 0) {
      this.droppedReported = this.droppedTotal;
      this.logger.warn({ dropped }, 'verification counts dropped: the batch was full');
    }
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.uow.run((tx) => this.counts.addMinutes(rowsOf(batch), tx));
    } catch (e) {
      this.logger.warn(
        { err: loggableError(e), counters: batch.size },
        'verification counts write failed; the batch is dropped',
      );
    }
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), ANALYTICS_FLUSH_INTERVAL_MS);
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
 * The batch as rows, in key order (the keys sort as the table's key does, minute first), so
 * that instances writing the same rows take their locks in one order and cannot deadlock.
 */
function rowsOf(batch: Map<string, Tally>): CountRow[] {
  return [...batch.keys()].sort().map((key) => {
    const [minute, businessId, tokenId, outcome, tag, identityId] = key.split(SEP);
    return {
      bucket: new Date(Number(minute)),
      businessId,
      tokenId,
      outcome,
      tag,
      identityId,
      count: batch.get(key)!.count,
      consoleCount: batch.get(key)!.console,
    };
  });
}
