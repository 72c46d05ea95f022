import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
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

/** Messages one claim takes, and so one worker's deliveries in flight at once. */
const CLAIM_BATCH = 64;
/**
 * How long a claimed message stays with its worker: the batch's sends (each within the timeout,
 * all at once) and the transaction that records them, twice over. A worker that died mid-batch
 * leaves its messages to be taken again once this ends.
 */
const leaseMs = (timeoutMs: number) => 2 * timeoutMs + 5_000;

/**
 * Delivers the outbox. Each instance runs one worker: a commit of its own wakes it at once, and
 * otherwise it looks every WEBHOOK_POLL_MS. A worker claims due messages (one instance each, on
 * PostgreSQL), sends them at once, and records every attempt and its consequence (delivered,
 * retried later, dead, or the endpoint disabled) in one transaction, or in one each if that
 * fails. At least once: a worker that dies between a send and its record leaves the message to
 * be sent again, with the same id.
 * Only the server runs it (`start()`); a CLI command queues and leaves delivery to the server.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

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
    // Every audited change may have queued a message: look once it has committed.
    events.subscribe([...auditedEventClasses()], () => this.kick());
    metrics.watchWebhookBacklog(() => this.backlog);
  }

  /** Messages waiting, as the last pass counted them (for /metrics). */
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
    }, this.config.WEBHOOK_POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Runs a pass now, or right after the one under way. */
  kick(): void {
    if (!this.timer || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((e: unknown) =>
        this.logger.warn({ err: loggableError(e) }, 'webhook delivery pass failed'),
      )
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Claims and delivers until nothing is due; answers how many attempts it made. */
  async drain(now: () => Date = () => new Date()): Promise<number> {
    let made = 0;
    for (;;) {
      const at = now();
      const lease = new Date(at.getTime() + leaseMs(this.config.WEBHOOK_TIMEOUT_MS));
      const claimed = await this.uow.run((tx) =>
        this.repo.claimDue(tx.manager, at, lease, CLAIM_BATCH),
      );
      if (claimed.length === 0) {
        if (this.metrics.enabled) this.backlog = await this.repo.countPending();
        return made;
      }
      await this.recorder.recordAll(await this.sendAll(claimed));
      made += claimed.length;
      if (this.stopped) return made;
    }
  }

  private async sendAll(claimed: ClaimedMessage[]): Promise<Outcome[]> {
    const endpoints = new Map<string, Promise<WebhookEndpoint | null>>();
    const unsigned = new Set<string>();
    const outcomes = await Promise.all(
      claimed.map(async (message): Promise<Outcome> => {
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
          headers = signedHeaders(message.id, at, message.payload, await this.signerOf(found, at));
        } catch {
          // One endpoint's secret must not fail the batch: its attempt fails, the others go.
          unsigned.add(found.id);
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
      }),
    );
    if (unsigned.size > 0) {
      this.logger.error(
        { endpoints: [...unsigned] },
        'webhook secrets that do not open under WEBHOOK_SECRETS_KEY: their deliveries fail ' +
          'until the key that sealed them is back',
      );
    }
    return outcomes;
  }

  /**
   * What signs now: for a v1a endpoint, its business's Ed25519 key (and a rotated-out one within
   * its overlap); else the current secret, and a rotated-out one within its overlap.
   */
  private async signerOf(
    endpoint: WebhookEndpoint,
    at: Date,
  ): Promise<string[] | WebhookSigningKey[]> {
    const key = secretsKeyOf(this.config);
    if (key.kind === 'off') throw new Error('webhooks are off');
    if (endpoint.signatureScheme === 'v1a') {
      return this.webhooks.signingKeys.signers(endpoint.chainId, at);
    }
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
