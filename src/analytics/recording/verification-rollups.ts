import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { loggableError } from '../../common/errors/safe-error';
import { AppConfig } from '../../config/app-config';
import { tryKeyLock } from '../../database/units/key-lock';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { VerificationCountsRepository } from '../store/verification-counts.repository';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const LOCK_KEY = 'verification-rollups';

/**
 * Rolls minute counts up to hours and hours up to days, and deletes each past its retention,
 * every `ANALYTICS_ROLLUP_SECONDS` (a minute by default) on every instance. A roll-up recomputes its bucket from the finer one (it sets,
 * never adds), so running it twice or on two instances leaves the same rows; one instance at a
 * time holds the turn (an advisory lock on PostgreSQL), so none writes an older sum over a newer.
 * Each turn recomputes the current and the previous hour and day, which late minute writes (up
 * to a flush interval) may still change; the first turn after a start recomputes every bucket
 * whose finer rows are all still kept, which covers what a stop left behind.
 */
@Injectable()
export class VerificationRollups implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(VerificationRollups.name);
  private timer: NodeJS.Timeout | null = null;
  private firstTurn = true;
  private readonly minuteKeptMs: number;
  private readonly hourKeptMs: number;
  private readonly dayKeptMs: number;
  private readonly everyMs: number;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly counts: VerificationCountsRepository,
    config: AppConfig,
  ) {
    this.minuteKeptMs = config.ANALYTICS_MINUTE_RETENTION_HOURS * HOUR_MS;
    this.hourKeptMs = config.ANALYTICS_HOUR_RETENTION_DAYS * DAY_MS;
    this.dayKeptMs = config.ANALYTICS_DAY_RETENTION_DAYS * DAY_MS;
    this.everyMs = config.ANALYTICS_ROLLUP_SECONDS * 1000;
  }

  /**
   * One turn at `now`: roll-ups, then retention. False when another instance held the turn.
   * `everything` recomputes every bucket the finer table still covers whole.
   */
  runTurn(now = new Date(), everything = false): Promise<boolean> {
    const at = now.getTime();
    const hourNow = at - (at % HOUR_MS);
    const dayNow = at - (at % DAY_MS);
    const hoursFrom = everything ? ceilTo(at - this.minuteKeptMs, HOUR_MS) : hourNow - HOUR_MS;
    const daysFrom = everything ? ceilTo(at - this.hourKeptMs, DAY_MS) : dayNow - DAY_MS;
    return this.uow.run(async (tx) => {
      if (!(await tryKeyLock(LOCK_KEY, tx))) return false;
      for (let h = hoursFrom; h <= hourNow; h += HOUR_MS) {
        await this.counts.rollUp('minute', 'hour', new Date(h), new Date(h + HOUR_MS), tx);
      }
      for (let d = daysFrom; d <= dayNow; d += DAY_MS) {
        await this.counts.rollUp('hour', 'day', new Date(d), new Date(d + DAY_MS), tx);
      }
      await this.counts.deleteOlderThan('minute', new Date(at - this.minuteKeptMs), tx);
      await this.counts.deleteOlderThan('hour', new Date(at - this.hourKeptMs), tx);
      await this.counts.deleteOlderThan('day', new Date(at - this.dayKeptMs), tx);
      return true;
    });
  }

  private tick(): void {
    const everything = this.firstTurn;
    this.firstTurn = false;
    this.runTurn(new Date(), everything).catch((e: unknown) =>
      this.logger.warn({ err: loggableError(e) }, 'verification roll-up failed'),
    );
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step;
