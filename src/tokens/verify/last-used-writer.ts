import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { boundedLru } from '../../common/bounded-lru';
import { lazy } from '../../common/lazy';
import { loggableError } from '../../common/errors/safe-error';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { TokenWritesRepository } from '../store/repositories/token-writes.repository';

const MARK_INTERVAL_MS = 60_000;
const FLUSH_INTERVAL_MS = 5_000;

/**
 * Writes `last_used_at` off the request path: a use is noted in memory, at most once a minute
 * per token, and the notes are written in one statement every few seconds and at shutdown.
 * Token ids are not secrets, so the batch may be logged by count.
 */
@Injectable()
export class LastUsedWriter implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(LastUsedWriter.name);
  private readonly lastMarked = lazy(() => boundedLru<string, number>(100_000));
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  /** The write under way, so that the shutdown flush waits for a timer flush to finish. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly writes: TokenWritesRepository,
  ) {}

  /** Notes a successful use of a token. Costs a map lookup; never waits on the database. */
  touch(tokenId: string, now = Date.now()): void {
    const last = this.lastMarked().get(tokenId);
    if (last !== undefined && now - last < MARK_INTERVAL_MS) return;
    this.lastMarked().set(tokenId, now);
    this.pending.add(tokenId);
  }

  /** Writes what is pending. A failed write is logged and dropped: it is only a timestamp. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending = new Set();
    // Uses are stamped with the flush time: late by at most the flush interval.
    const at = new Date();
    try {
      await this.uow.run((tx) => this.writes.markUsed(batch, at, tx));
    } catch (e) {
      this.logger.warn(
        { err: loggableError(e), tokens: batch.length },
        'last_used_at write failed',
      );
    }
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.flush();
  }
}
