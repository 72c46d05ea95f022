import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { loggableError } from '../common/safe-error';
import { auditedEventClasses } from '../database/domain-event';
import { DomainEvents } from '../database/domain-events';
import { Metrics } from '../metrics/metrics';
import { UnitOfWork } from '../database/unit-of-work';
import { Outcome, UNSIGNED, WebhookAttemptRecorder } from './webhook-attempt-recorder';
import type { WebhookEndpoint } from './webhook-endpoint.entity';
import { open, secretsKeyOf } from './webhook-secret-box';
import { sendWebhook } from './webhook-sender';
import { signedHeaders } from './webhook-signature';
import { WebhookRetention } from './webhook-retention';
import { WebhookSigningKey } from './webhook-signing-key';
import { WebhooksService } from './webhooks.service';
import { ClaimedMessage, WebhooksRepository } from './webhooks.repository';
import { DueMessage, SendSlots } from './send-slots';

/** Sends one instance has in flight at most, all endpoints together. */
const SEND_SLOTS = 64;
/**
 * What one business (chain) may hold of them: half, so the other half is always there for the
 * others, however many dead receivers one business registers.
 */
const CHAIN_SLOTS = SEND_SLOTS / 2;
/** Endpoints one claim reads at most; the next goes on after the last one read. */
const ENDPOINTS_PER_CLAIM = 128;
/** Outcomes recorded in one transaction at most. */
const RECORD_GROUP = 64;
/**
 * How long a claimed message stays with its worker: its send (within the timeout, started as it
 * is claimed) and the transaction that records it (after the group before it), twice over. A
 * worker that died mid-send leaves its messages to be taken again once this ends.
 */
const leaseMs = (timeoutMs: number) => 2 * timeoutMs + 5_000;
/** How long a stop waits for the sends in flight and their records: one attempt and then some. */
const stopGraceMs = (timeoutMs: number) => timeoutMs + 5_000;

/**
 * Delivers the outbox. Each instance runs one worker: a commit of its own wakes it at once, and
 * otherwise it looks every WEBHOOK_POLL_MS. It holds SEND_SLOTS send slots (`SendSlots`). Each
 * claim reads the due messages endpoint by endpoint, chooses as many as slots are free, fairly
 * across businesses and endpoints and none past an endpoint's WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
 * takes them (one instance each, on PostgreSQL) and starts each send at once. A send that ends
 * frees its slot and wakes the worker for the next due message; its outcome (delivered, retried
 * later, dead, or the endpoint disabled) is recorded with the others that ended meanwhile, in one
 * transaction, or in one each if that fails. No send waits for another. At least once: a worker
 * that dies between a send and its record leaves the message to be sent again, with the same id.
 * Only the server runs it (`start()`); a CLI command queues and leaves delivery to the server.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private timer: NodeJS.Timeout | null = null;
  private filling: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly slots: SendSlots;
  /** Sends under way, each until its outcome is queued for recording. */
  private readonly sends = new Set<Promise<void>>();
  /** Outcomes that wait for the recording under way, which takes them when it is done. */
  private outcomes: { outcome: Outcome; done: () => void }[] = [];
  private recording: Promise<void> | null = null;
  /** Endpoints whose secret did not open since the last record, logged with it. */
  private readonly unsigned = new Set<string>();
  /** Where the next claim's walk of endpoints begins: after the last one the previous read. */
  private cursor: string | null = null;
  private counting = false;

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly repo: WebhooksRepository,
    private readonly webhooks: WebhooksService,
    private readonly recorder: WebhookAttemptRecorder,
    private readonly retention: WebhookRetention,
    private readonly metrics: Metrics,
    events: DomainEvents,
  ) {
    this.slots = new SendSlots({
      slots: SEND_SLOTS,
      perEndpoint: config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
      perChain: CHAIN_SLOTS,
    });
    // Every audited change may have queued a message: look once it has committed.
    events.subscribe([...auditedEventClasses()], () => this.kick());
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
   * Claims nothing more, and waits for the sends in flight and their records, at most one
   * attempt's timeout and then some: what is still unrecorded then is sent again when its lease
   * ends.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), stopGraceMs(this.config.WEBHOOK_TIMEOUT_MS));
    });
    const settled = await Promise.race([this.settled().then(() => true), late]);
    clearTimeout(timer);
    if (!settled) {
      this.logger.warn(
        { sends: this.slots.inFlight, unrecorded: this.outcomes.length },
        'webhook sends still in flight or unrecorded at stop: they are sent again when their ' +
          'lease ends',
      );
    }
  }

  /** Once no claim, send or record is under way. */
  private async settled(): Promise<void> {
    while (this.filling || this.sends.size > 0 || this.recording) {
      await Promise.all([this.filling, ...this.sends, this.recording]);
    }
  }

  /** Claims for the free slots now, or right after the claim under way. */
  kick(): void {
    if (!this.timer || this.stopped) return;
    if (this.filling) {
      this.again = true;
      return;
    }
    this.filling = this.fill()
      .catch((e: unknown) =>
        this.logger.warn({ err: loggableError(e) }, 'webhook delivery pass failed'),
      )
      .finally(() => {
        this.filling = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Claims due messages while slots are free and some can take them; starts each send. */
  private async fill(): Promise<void> {
    while (!this.stopped && this.slots.free > 0) {
      const now = new Date();
      const lease = new Date(now.getTime() + leaseMs(this.config.WEBHOOK_TIMEOUT_MS));
      let chosen = 0;
      const claimed = await this.uow.run(async (tx) => {
        const picked = this.slots.pick(await this.due(tx.manager, now));
        chosen = picked.length;
        return this.repo.claim(
          tx.manager,
          picked.map((m) => m.id),
          now,
          lease,
        );
      });
      // None due, or another instance took what was chosen: a send that ends, a commit or the
      // poll looks again.
      if (claimed.length === 0) return;
      const endpoints = new Map<string, Promise<WebhookEndpoint | null>>();
      for (const message of claimed) this.launch(message, endpoints);
      // Another round only if this one may have left some out: endpoints past the walk's end,
      // or messages another instance took first.
      if (this.cursor === null && claimed.length === chosen) return;
    }
  }

  /**
   * The due messages the free slots may be given to: a walk of endpoints with due messages from
   * where the last one stopped, round to the first ones when it reaches the end, so that past
   * ENDPOINTS_PER_CLAIM endpoints every one still has its turn. Endpoints with no slot left here
   * are not read.
   */
  private async due(em: EntityManager, now: Date): Promise<DueMessage[]> {
    const perEndpoint = this.config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT;
    const skip = this.slots.fullEndpoints();
    const read = (after: string | null, count: number) =>
      this.repo.dueByEndpoint(em, now, after, count, perEndpoint, skip);
    const first = await read(this.cursor, ENDPOINTS_PER_CLAIM);
    if (first.endpoints.length === ENDPOINTS_PER_CLAIM) {
      this.cursor = first.endpoints[first.endpoints.length - 1];
      return first.messages;
    }
    // From the first endpoint, the walk read them all.
    if (this.cursor === null) return first.messages;
    // It reached the last endpoint: it goes round to the first ones, for the rest of its count.
    const rest = ENDPOINTS_PER_CLAIM - first.endpoints.length;
    const more = await read(null, rest);
    this.cursor = more.endpoints.length === rest ? more.endpoints[rest - 1] : null;
    const seen = new Set(first.endpoints);
    return first.messages.concat(more.messages.filter((m) => !seen.has(m.endpointId)));
  }

  /**
   * Takes a slot for the message and sends it. The slot is free again once the send ends, or, for
   * an attempt that failed, once it is recorded: the endpoint's next claim then finds it failing
   * (`failing_since`), and gives it one send at a time.
   */
  private launch(
    message: ClaimedMessage,
    endpoints: Map<string, Promise<WebhookEndpoint | null>>,
  ): void {
    this.slots.take(message);
    const send: Promise<void> = this.send(message, endpoints)
      .then((outcome) => {
        const recorded = this.queueRecord(outcome);
        const status = outcome.result?.status ?? 0;
        return status >= 200 && status < 300 ? undefined : recorded;
      })
      .catch((e: unknown) =>
        // The endpoint could not be read: nothing was sent, and the lease brings it back.
        this.logger.warn({ err: loggableError(e) }, 'webhook attempt failed before sending'),
      )
      .finally(() => {
        this.slots.release(message);
        this.sends.delete(send);
        this.kick();
      });
    this.sends.add(send);
  }

  /** One attempt: signed and sent, within WEBHOOK_TIMEOUT_MS; never sent to a gone endpoint. */
  private async send(
    message: ClaimedMessage,
    endpoints: Map<string, Promise<WebhookEndpoint | null>>,
  ): Promise<Outcome> {
    let endpoint = endpoints.get(message.endpointId);
    if (!endpoint) {
      endpoint = this.repo.findEndpointAnyChain(message.endpointId);
      endpoints.set(message.endpointId, endpoint);
    }
    const found = await endpoint;
    if (!found || found.disabledAt)
      return { message, endpoint: found, result: null, at: new Date() };
    const at = new Date();
    let headers: Record<string, string>;
    try {
      headers = signedHeaders(message.id, at, message.payload, this.signerOf(found, at));
    } catch {
      // One endpoint's secret must not fail the others: its attempt fails, the others go.
      this.unsigned.add(found.id);
      return { message, endpoint: found, result: UNSIGNED, at };
    }
    const result = await sendWebhook({
      url: found.url,
      headers,
      body: message.payload,
      timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
      policy: this.webhooks.policy,
    });
    return { message, endpoint: found, result, at };
  }

  /**
   * Queues an outcome for the recording under way, or starts one; answers once it is recorded.
   * Outcomes that end while a transaction records others go together in the next, so records
   * keep up with many sends without a transaction each, and none waits for a send in flight.
   */
  private queueRecord(outcome: Outcome): Promise<void> {
    const recorded = new Promise<void>((done) => this.outcomes.push({ outcome, done }));
    this.recording ??= this.recordQueued();
    return recorded;
  }

  private async recordQueued(): Promise<void> {
    try {
      while (this.outcomes.length > 0) {
        const group = this.outcomes.splice(0, RECORD_GROUP);
        if (this.unsigned.size > 0) {
          this.logger.error(
            { endpoints: [...this.unsigned] },
            'webhook secrets that do not open under WEBHOOK_SECRETS_KEY: their deliveries fail ' +
              'until the key that sealed them is back',
          );
          this.unsigned.clear();
        }
        try {
          await this.recorder.recordAll(group.map((queued) => queued.outcome));
        } catch (e) {
          // recordAll logs and leaves to its lease what it cannot record; this is a last guard.
          this.logger.error({ err: loggableError(e) }, 'recording webhook attempts failed');
        } finally {
          for (const queued of group) queued.done();
        }
      }
    } finally {
      // In the same turn as the last check: an outcome queued after it starts a new recording.
      this.recording = null;
    }
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

  /**
   * What signs now: the installation's Ed25519 key for a v1a endpoint; else the current secret,
   * and a rotated-out one within its overlap.
   */
  private signerOf(endpoint: WebhookEndpoint, at: Date): string[] | WebhookSigningKey {
    const key = secretsKeyOf(this.config);
    const signingKey = this.webhooks.signingKey;
    if (key.kind === 'off' || !signingKey) throw new Error('webhooks are off');
    if (endpoint.signatureScheme === 'v1a') return signingKey;
    const secrets = [open(key.key, endpoint.id, endpoint.secretSealed)];
    if (
      endpoint.previousSecretSealed &&
      endpoint.previousSecretUntil &&
      endpoint.previousSecretUntil > at
    ) {
      secrets.push(open(key.key, endpoint.id, endpoint.previousSecretSealed));
    }
    return secrets;
  }
}
