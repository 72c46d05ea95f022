import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { loggableError } from '../../common/errors/safe-error';
import { AppConfig } from '../../config/app-config';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { WebhookMessagesRepository } from '../store/webhook-messages.repository';

const DAY_MS = 86_400_000;
const RETENTION_EVERY_MS = 3_600_000;
/** Messages one transaction deletes, so a first run over a large outbox holds no long lock. */
const BATCH = 1000;

/**
 * Deletes delivered and given-up messages, with their attempts, once WEBHOOK_RETENTION_DAYS have
 * passed since their last attempt; pending messages always stay. As token usage's retention
 * does: hourly, on a timer that already runs (the dispatcher's poll, so where webhooks are
 * delivered), and idempotent, so every instance may run it.
 */
@Injectable()
export class WebhookRetention implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookRetention.name);
  private nextRunAt = 0;
  private stopped = false;
  /** The run under way, so runs do not overlap and shutdown waits for the last. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly repo: WebhookMessagesRepository,
  ) {}

  /** Runs once an hour has passed since this instance's last run; the dispatcher's poll calls it. */
  tick(now = Date.now()): void {
    if (this.stopped || now < this.nextRunAt) return;
    this.nextRunAt = now + RETENTION_EVERY_MS;
    // Logged by deleteExpired itself.
    this.deleteExpired(new Date(now)).catch(() => undefined);
  }

  /** Deletes what is past the retention at `now`, in every chain; answers the messages deleted. */
  deleteExpired(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.WEBHOOK_RETENTION_DAYS * DAY_MS);
    const run = this.running.then(() => this.deleteBefore(cutoff));
    this.running = run.catch((e: unknown) =>
      this.logger.warn({ err: loggableError(e) }, 'webhook retention failed'),
    );
    return run;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async deleteBefore(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.uow.run((tx) => this.repo.deleteFinishedBefore(cutoff, BATCH, tx));
      deleted += batch;
      if (batch < BATCH || this.stopped) return deleted;
    }
  }
}
