import type { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { loggableError } from '../../common/errors/safe-error';
import { runAlone } from './key-lock';

/**
 * A job of the installation's that every instance runs in turns, one instance at a time: a turn
 * waits for the one under way in this process, then runs under `runAlone` (a PostgreSQL advisory
 * lock taken with `try`), so while another instance holds the job's key this one skips its turn
 * and answers `skipped`, rather than read the same rows to lose the same races. A failed turn is
 * logged as `<what> turn failed`, and the next one runs as usual.
 */
export class AloneTurns<T> {
  private timer: NodeJS.Timeout | null = null;
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly key: string,
    private readonly skipped: T,
    private readonly turn: (now: Date) => Promise<T>,
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  /** Runs a turn every `everyMs`, without keeping the process alive. */
  start(everyMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run(), everyMs);
    this.timer.unref();
  }

  /** One turn at `now`, after the one under way. */
  run(now = new Date()): Promise<T> {
    const next = this.last.then(
      async () => (await runAlone(this.dataSource, this.key, () => this.turn(now))) ?? this.skipped,
    );
    this.last = next.catch((e: unknown) =>
      this.logger.warn({ err: loggableError(e) }, `${this.what} turn failed`),
    );
    return next;
  }

  /** Stops the timer and waits for the turn under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.last;
  }
}
