import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { loggableError } from '../../common/errors/safe-error';
import { Database } from '../../database/connection/read-routing';
import { auditedEventClasses } from '../../database/units/domain-event';
import { DomainEvents } from '../../database/units/domain-events';
import { Metrics } from '../../metrics/metrics';
import { Outcome, WebhookAttemptRecorder } from './webhook-attempt-recorder';
import { WebhookAttempts } from './webhook-attempts';
import { secretsKeyOf } from '../signing/webhook-secret-box';
import { WebhookRetention } from '../messages/webhook-retention';
import { ClaimedMessage, WebhookMessagesRepository } from '../store/webhook-messages.repository';
import { Serial } from './serial';
import { WebhookClaimPass } from './webhook-claim-pass';
import { WebhookClaims } from './webhook-claims';
import { WebhookOutbox } from '../messages/webhook-outbox';

/** Outcomes recorded in one transaction at most. */
const RECORD_GROUP = 64;
/**
 * How long an attempt that delivered may wait for its record while its endpoint has others under
 * way, so that a busy endpoint's records go in groups rather than a transaction each. A failed
 * one, or the last of its endpoint's, is recorded at once.
 */
const RECORD_DELAY_MS = 20;
/** How long a stop waits for the sends in flight and their records: one attempt and then some. */
const stopGraceMs = (timeoutMs: number) => timeoutMs + 5_000;

interface Ended {
  outcome: Outcome;
  /** A failed attempt holds its slot until it is recorded: see `launch`. */
  holding: boolean;
}

/**
 * Delivers the outbox. Each instance holds send slots and runs two passes, each one at a time:
 * - claims (`WebhookClaimPass`): woken by a commit of its own, the poll (WEBHOOK_POLL_MS), a slot
 *   that frees or a busy endpoint's queue running low, it takes the due messages the slots choose
 *   fairly across businesses and endpoints, and starts each send or has it wait for its endpoint.
 * - records: the attempts that ended, in groups, each group in one transaction (or one each, if
 *   that fails), with their consequence (delivered, retried later, dead, or the endpoint
 *   disabled).
 * No send waits for another's: one that ends frees its slot at once. At least once: a worker that
 * dies between a send and its record leaves the message to be sent again, with the same id.
 * Only the server runs it (`start()`); a CLI command queues and leaves delivery to it.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private timer: NodeJS.Timeout | null = null;
  /** The claim pass, one at a time, and the record pass, one at a time beside it. */
  private readonly claiming: WebhookClaimPass;
  private readonly recording: Serial;
  private delayed: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Sends under way, each until its outcome is queued for recording. */
  private readonly sends = new Set<Promise<void>>();
  /** Attempts that ended, waiting for the records. */
  private ended: Ended[] = [];
  private counting = false;

  constructor(
    private readonly config: AppConfig,
    claims: WebhookClaims,
    private readonly repo: WebhookMessagesRepository,
    private readonly attempts: WebhookAttempts,
    private readonly recorder: WebhookAttemptRecorder,
    private readonly retention: WebhookRetention,
    private readonly metrics: Metrics,
    events: DomainEvents,
    outbox: WebhookOutbox,
    private readonly database: Database,
  ) {
    this.claiming = new WebhookClaimPass(config, claims, this.logger, (m) => this.launch(m));
    this.recording = new Serial(
      () => this.recordEnded(),
      (e: unknown) => this.logger.warn({ err: loggableError(e) }, 'webhook record failed'),
    );
    // An audited change that queued a message: look once it has committed.
    events.subscribe([...auditedEventClasses()], (event) => {
      if (outbox.queued(event)) this.kick();
    });
    metrics.watchWebhookBacklog(() => this.backlog);
  }

  /** Messages waiting, as the last poll counted them (for /metrics). */
  private backlog = 0;

  /**
   * Starts the worker (unless WEBHOOK_DELIVERY is off): the server calls it once it serves. Its
   * poll also runs the retention of delivered and given-up messages.
   */
  start(): void {
    if (this.timer || !this.config.WEBHOOK_DELIVERY || secretsKeyOf(this.config).kind === 'off') {
      return;
    }
    this.timer = setInterval(() => {
      this.kick();
      this.retention.tick();
      this.countBacklog();
    }, this.config.WEBHOOK_POLL_MS);
    this.timer.unref();
    this.claiming.start();
  }

  /**
   * Claims nothing more, hands back what waits unsent, and waits for the sends in flight and
   * their records, at most one attempt's timeout and then some: what is still unrecorded then is
   * sent again when its lease ends.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.delayed) clearTimeout(this.delayed);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), stopGraceMs(this.config.WEBHOOK_TIMEOUT_MS));
    });
    const settled = await Promise.race([this.settle().then(() => true), late]);
    clearTimeout(timer);
    if (!settled) {
      this.logger.warn(
        { sends: this.claiming.inFlight, unrecorded: this.ended.length },
        'webhook sends still in flight or unrecorded at stop: they are sent again when their ' +
          'lease ends',
      );
    }
  }

  private async settle(): Promise<void> {
    await this.claiming.stop();
    while (this.sends.size > 0 || this.ended.length > 0 || this.claiming.owesBack) {
      await Promise.all(this.sends);
      this.recording.run();
      await this.recording.idle();
      await this.claiming.handBackNow();
    }
  }

  /** Claims now, or right after the claim under way. */
  kick(): void {
    this.claiming.kick();
  }

  /** Records what ended now, or right after the record under way. */
  private recordNow(): void {
    if (this.delayed) {
      clearTimeout(this.delayed);
      this.delayed = null;
    }
    this.recording.run();
  }

  /** Records what ended within RECORD_DELAY_MS, with what ends meanwhile. */
  private recordSoon(): void {
    if (this.stopped) return this.recording.run();
    this.delayed ??= setTimeout(() => {
      this.delayed = null;
      this.recording.run();
    }, RECORD_DELAY_MS);
  }

  /**
   * Records the attempts that ended, a group at a time. A failed attempt's slot is freed once it
   * is recorded (`WebhookClaimPass.releaseFailed`).
   */
  private async recordEnded(): Promise<void> {
    while (this.ended.length > 0) {
      const group = this.ended.splice(0, RECORD_GROUP);
      const unsigned = this.attempts.takeUnsigned();
      if (unsigned.length > 0) {
        this.logger.error(
          { endpoints: unsigned },
          'webhook secrets that do not open under WEBHOOK_SECRETS_KEY: their deliveries fail ' +
            'until the key that sealed them is back',
        );
      }
      try {
        await this.recorder.recordAll(group.map((e) => e.outcome));
      } catch (e) {
        // recordAll logs and leaves to its lease what it cannot record; this is a last guard.
        this.logger.error({ err: loggableError(e) }, 'recording webhook attempts failed');
      }
      let freed = false;
      for (const { outcome, holding } of group) {
        if (!holding) continue;
        this.claiming.releaseFailed(outcome.message);
        freed = true;
      }
      if (freed) this.claiming.kick();
    }
  }

  /**
   * Sends a message that holds a slot. A send that delivers (or finds its endpoint gone) frees
   * its slot as it ends, and a message waiting for the same endpoint takes it at once; a failed
   * one holds it until its attempt is recorded (`recordEnded`).
   */
  private launch(message: ClaimedMessage): void {
    const send: Promise<void> = this.attempts
      .send(message)
      .then((outcome) => {
        const status = outcome.result?.status ?? null;
        const holding =
          outcome.result !== null && !(status !== null && status >= 200 && status < 300);
        this.ended.push({ outcome, holding });
        if (holding) return this.recordNow();
        const passed = this.claiming.release(message);
        // Delivered: recorded at once if its endpoint has nothing else under way; else with
        // those that end meanwhile, unless a group is ready.
        const idle = !this.claiming.busy(message.endpointId);
        if (idle || this.ended.length >= RECORD_GROUP) this.recordNow();
        else this.recordSoon();
        this.claiming.refill(message.endpointId, passed);
      })
      .catch((e: unknown) => {
        // The endpoint could not be read: nothing was sent, and the lease brings it back.
        this.logger.warn({ err: loggableError(e) }, 'webhook attempt failed before sending');
        this.claiming.release(message);
        this.claiming.kick();
      })
      .finally(() => this.sends.delete(send));
    this.sends.add(send);
  }

  private countBacklog(): void {
    if (!this.metrics.enabled || this.counting) return;
    this.counting = true;
    this.repo
      .countPending(this.database.primary)
      .then((n) => (this.backlog = n))
      .catch(() => undefined)
      .finally(() => (this.counting = false));
  }
}
