import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { loggableError } from '../common/safe-error';
import { auditedEventClasses } from '../database/domain-event';
import { DomainEvents } from '../database/domain-events';
import { Metrics } from '../metrics/metrics';
import { Outcome, WebhookAttemptRecorder } from './webhook-attempt-recorder';
import { WebhookAttempts } from './webhook-attempts';
import { secretsKeyOf } from './webhook-secret-box';
import { WebhookRetention } from './webhook-retention';
import { ClaimedMessage, WebhooksRepository } from './webhooks.repository';
import { SendSlots } from './send-slots';
import { Serial } from './serial';
import { WebhookClaims } from './webhook-claims';
import { WebhookOutbox } from './webhook-outbox';

/** Sends one instance has in flight at most, all endpoints together. */
const SEND_SLOTS = 64;
/**
 * What one business (chain) may hold of them: half, so the other half is always there for the
 * others, however many dead receivers one business registers.
 */
const CHAIN_SLOTS = SEND_SLOTS / 2;
/**
 * Messages claimed to wait behind each send of a busy endpoint: enough that its queue does not
 * run dry while a claim refills it, which takes several sends' time on a loaded machine.
 */
const QUEUED_PER_SEND = 4;
/** Outcomes recorded in one transaction at most. */
const RECORD_GROUP = 64;
/**
 * How long an attempt that delivered may wait for its record while its endpoint has others under
 * way, so that a busy endpoint's records go in groups rather than a transaction each. A failed
 * one, or the last of its endpoint's, is recorded at once.
 */
const RECORD_DELAY_MS = 20;
/** Time for an attempt's record after its send. */
const RECORD_MARGIN_MS = 5_000;
/**
 * How long a claimed message stays with its worker: its send (within the timeout) and the
 * transaction that records it, twice over. A message that waited for its endpoint is sent only
 * while that much of its lease is left (`release`), or handed back. A worker that died mid-send
 * leaves its messages to be taken again once this ends.
 */
const leaseMs = (timeoutMs: number) => 2 * timeoutMs + RECORD_MARGIN_MS;
/** How long a stop waits for the sends in flight and their records: one attempt and then some. */
const stopGraceMs = (timeoutMs: number) => timeoutMs + 5_000;

interface Ended {
  outcome: Outcome;
  /** A failed attempt holds its slot until it is recorded: see `launch`. */
  holding: boolean;
}

/**
 * Delivers the outbox. Each instance holds SEND_SLOTS send slots (`SendSlots`) and runs two
 * passes, each one at a time:
 * - claims: woken by a commit of its own, the poll (WEBHOOK_POLL_MS), a slot that frees or a busy
 *   endpoint's queue running low. It reads the due messages endpoint by endpoint, lets the slots
 *   choose fairly across businesses and endpoints (none past WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT),
 *   takes them in one statement (one instance each, on PostgreSQL) and starts each send, or has
 *   it wait for one of its endpoint's sends to end.
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
  private readonly claiming: Serial;
  private readonly recording: Serial;
  private delayed: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly slots: SendSlots<ClaimedMessage>;
  /** Sends under way, each until its outcome is queued for recording. */
  private readonly sends = new Set<Promise<void>>();
  /** Attempts that ended, waiting for the records. */
  private ended: Ended[] = [];
  /**
   * Messages claimed but not to be sent here (their endpoint failed, or they waited too long):
   * handed back by the next claim, due again and their attempt uncounted.
   */
  private handBack: ClaimedMessage[] = [];
  private counting = false;
  /** A busy endpoint's queue is refilled once this few wait for it. */
  private readonly lowWater: number;

  constructor(
    private readonly config: AppConfig,
    private readonly claims: WebhookClaims,
    private readonly repo: WebhooksRepository,
    private readonly attempts: WebhookAttempts,
    private readonly recorder: WebhookAttemptRecorder,
    private readonly retention: WebhookRetention,
    private readonly metrics: Metrics,
    events: DomainEvents,
    outbox: WebhookOutbox,
  ) {
    const perEndpoint = config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT;
    this.slots = new SendSlots({
      slots: SEND_SLOTS,
      perEndpoint,
      perChain: CHAIN_SLOTS,
      queuePerEndpoint: QUEUED_PER_SEND * perEndpoint,
    });
    this.lowWater = (QUEUED_PER_SEND * perEndpoint) / 2;
    const failed = (what: string) => (e: unknown) =>
      this.logger.warn({ err: loggableError(e) }, `webhook ${what} failed`);
    this.claiming = new Serial(() => this.claimAll(), failed('claim'));
    this.recording = new Serial(() => this.recordEnded(), failed('record'));
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
    this.kick();
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
        { sends: this.slots.inFlight, unrecorded: this.ended.length },
        'webhook sends still in flight or unrecorded at stop: they are sent again when their ' +
          'lease ends',
      );
    }
  }

  private async settle(): Promise<void> {
    await this.claiming.idle();
    for (const endpoint of this.slots.endpointsWaiting()) {
      this.handBack.push(...this.slots.takeBack(endpoint));
    }
    while (this.sends.size > 0 || this.ended.length > 0 || this.handBack.length > 0) {
      await Promise.all(this.sends);
      this.recording.run();
      await this.recording.idle();
      if (this.handBack.length > 0) {
        const back = this.handBack.splice(0);
        await this.claims
          .handBackNow(back, new Date())
          .catch((e: unknown) =>
            this.logger.warn({ err: loggableError(e) }, 'handing back webhook messages failed'),
          );
      }
    }
  }

  /** Claims now, or right after the claim under way. */
  kick(): void {
    if (!this.timer || this.stopped) return;
    this.claiming.run();
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

  /** Claims again while a claim may find more. */
  private async claimAll(): Promise<void> {
    while (!this.stopped && (await this.claim()));
  }

  /**
   * Records the attempts that ended, a group at a time. A failed attempt's slot is freed once it
   * is recorded, and what waited for its endpoint is handed back: the next claim finds the
   * endpoint failing (`failing_since`), and gives it one send at a time.
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
        this.handBack.push(...this.slots.takeBack(outcome.message.endpointId));
        this.release(outcome.message);
        freed = true;
      }
      if (freed) this.kick();
    }
  }

  /**
   * One claim (`WebhookClaims`): hands back what is not to be sent here, takes what the slots
   * choose, and starts each or has it wait for its endpoint. Answers whether another claim may
   * find more at once.
   */
  private async claim(): Promise<boolean> {
    const now = new Date();
    const lease = new Date(now.getTime() + leaseMs(this.config.WEBHOOK_TIMEOUT_MS));
    const back = this.handBack.splice(0);
    // Each endpoint's sends in flight, and those to wait for them.
    const perEndpoint = (1 + QUEUED_PER_SEND) * this.config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT;
    const { taken, more } = await this.claims
      .claim(this.slots, back, perEndpoint, now, lease)
      .catch((e: unknown) => {
        this.handBack.push(...back);
        throw e;
      });
    for (const { message, failing } of taken) {
      if (this.slots.take(message, failing) === 'now') this.launch(message);
    }
    return more;
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
        const passed = this.release(message);
        // Delivered: recorded at once if its endpoint has nothing else under way; else with
        // those that end meanwhile, unless a group is ready. A claim at once if the slot is free
        // for any message or the endpoint's queue runs low.
        const idle = !this.slots.busy(message.endpointId);
        if (idle || this.ended.length >= RECORD_GROUP) this.recordNow();
        else this.recordSoon();
        if (!passed || this.slots.waitingFor(message.endpointId) <= this.lowWater) this.kick();
      })
      .catch((e: unknown) => {
        // The endpoint could not be read: nothing was sent, and the lease brings it back.
        this.logger.warn({ err: loggableError(e) }, 'webhook attempt failed before sending');
        this.release(message);
        this.kick();
      })
      .finally(() => this.sends.delete(send));
    this.sends.add(send);
  }

  /** Frees a send's slot; answers whether a message waiting for its endpoint took it. */
  private release(message: ClaimedMessage): boolean {
    let next = this.slots.release(message);
    // One that waited too long (its endpoint slow to answer) is handed back, not sent late.
    const enough = this.config.WEBHOOK_TIMEOUT_MS + RECORD_MARGIN_MS;
    while (next && next.leaseUntil.getTime() - Date.now() < enough) {
      this.handBack.push(next);
      next = this.slots.release(next);
    }
    if (next) this.launch(next);
    if (this.handBack.length > 0) this.kick();
    return next !== null;
  }

  private countBacklog(): void {
    if (!this.metrics.enabled || this.counting) return;
    this.counting = true;
    this.repo
      .countPending()
      .then((n) => (this.backlog = n))
      .catch(() => undefined)
      .finally(() => (this.counting = false));
  }
}
