import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { loggableError } from '../common/safe-error';
import { auditedEventClasses, SYSTEM_AUTHOR } from '../database/domain-event';
import { DomainEvents } from '../database/domain-events';
import { Metrics } from '../metrics/metrics';
import { Transaction, UnitOfWork } from '../database/unit-of-work';
import type { WebhookEndpoint } from './webhook-endpoint.entity';
import { open, secretsKeyOf } from './webhook-secret-box';
import { nextDelayMs, parseRetrySchedule } from './retry-schedule';
import { sendWebhook, SendResult } from './webhook-sender';
import { signedHeaders } from './webhook-signature';
import { WebhookSigningKey } from './webhook-signing-key';
import { endpointRef, WebhooksService } from './webhooks.service';
import { DisableCause, WebhookDisabledEvent } from './webhooks.events';
import { ClaimedMessage, WebhooksRepository } from './webhooks.repository';

/** Messages one claim takes, and so one worker's deliveries in flight at once. */
const CLAIM_BATCH = 64;
/**
 * How long a claimed message stays with its worker: the batch's sends (each within the timeout,
 * all at once) and the transaction that records them, twice over. A worker that died mid-batch
 * leaves its messages to be taken again once this ends.
 */
const leaseMs = (timeoutMs: number) => 2 * timeoutMs + 5_000;

/** What one attempt came to, recorded in the transaction after the batch. */
interface Outcome {
  message: ClaimedMessage;
  endpoint: WebhookEndpoint | null;
  result: SendResult | null;
  at: Date;
}

/**
 * Delivers the outbox. Each instance runs one worker: a commit of its own wakes it at once, and
 * otherwise it looks every WEBHOOK_POLL_MS. A worker claims due messages (one instance each, on
 * PostgreSQL), sends them at once, and records every attempt and its consequence (delivered,
 * retried later, dead, or the endpoint disabled) in one transaction. At least once: a worker that
 * dies between a send and its record leaves the message to be sent again, with the same id.
 * Only the server runs it (`start()`); a CLI command queues and leaves delivery to the server.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly schedule: number[];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly repo: WebhooksRepository,
    private readonly webhooks: WebhooksService,
    private readonly metrics: Metrics,
    events: DomainEvents,
  ) {
    this.schedule = parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE);
    // Every audited change may have queued a message: look once it has committed.
    events.subscribe([...auditedEventClasses()], () => this.kick());
    metrics.watchWebhookBacklog(() => this.backlog);
  }

  /** Messages waiting, as the last pass counted them (for /metrics). */
  private backlog = 0;

  /** Starts the worker (unless WEBHOOK_DELIVERY is off): the server calls it once it serves. */
  start(): void {
    if (this.timer || !this.config.WEBHOOK_DELIVERY || secretsKeyOf(this.config).kind === 'off') {
      return;
    }
    this.timer = setInterval(() => this.kick(), this.config.WEBHOOK_POLL_MS);
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
      const outcomes = await this.sendAll(claimed);
      await this.uow.run((tx) => this.record(tx, outcomes));
      made += claimed.length;
      if (this.stopped) return made;
    }
  }

  private async sendAll(claimed: ClaimedMessage[]): Promise<Outcome[]> {
    const endpoints = new Map<string, Promise<WebhookEndpoint | null>>();
    return Promise.all(
      claimed.map(async (message) => {
        let endpoint = endpoints.get(message.endpointId);
        if (!endpoint) {
          endpoint = this.repo.findEndpointAnyChain(message.endpointId);
          endpoints.set(message.endpointId, endpoint);
        }
        const found = await endpoint;
        if (!found || found.disabledAt)
          return { message, endpoint: found, result: null, at: new Date() };
        const at = new Date();
        const result = await sendWebhook({
          url: found.url,
          headers: signedHeaders(message.id, at, message.payload, this.signerOf(found, at)),
          body: message.payload,
          timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
          policy: this.webhooks.policy,
        });
        return { message, endpoint: found, result, at };
      }),
    );
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

  private async record(tx: Transaction, outcomes: Outcome[]): Promise<void> {
    const disabled = new Set<string>();
    const failing = new Map<string, WebhookEndpoint>();
    for (const { message, endpoint, result, at } of outcomes) {
      if (!endpoint || !result || disabled.has(endpoint.id)) {
        // Deleted or disabled meanwhile: nothing was sent, and nothing will be.
        await this.repo.markDead(tx.manager, message.id);
        this.metrics.webhookDead(1);
        continue;
      }
      await this.repo.recordAttempt(tx.manager, {
        id: randomUUID(),
        messageId: message.id,
        endpointId: endpoint.id,
        eventType: message.eventType,
        attemptedAt: at,
        statusCode: result.status,
        latencyMs: Math.round(result.latencyMs),
        responseBody: result.body,
        error: result.error,
      });
      const status = result.status ?? 0;
      if (status >= 200 && status < 300) {
        const delivered = new Date();
        await this.repo.markDelivered(tx.manager, message.id, delivered);
        this.metrics.webhookAttempt('delivered');
        this.metrics.webhookDelivered((delivered.getTime() - message.createdAt.getTime()) / 1000);
        if (endpoint.failingSince) {
          await this.repo.updateEndpoint(tx.manager, endpoint.chainId, endpoint.id, {
            failingSince: null,
          });
          endpoint.failingSince = null;
        }
        failing.delete(endpoint.id);
        continue;
      }
      if (status === 410) {
        this.metrics.webhookAttempt('gone');
        await this.disable(tx, endpoint, 'gone');
        disabled.add(endpoint.id);
        continue;
      }
      const retryAfter = status === 429 || status === 503 ? result.retryAfterSeconds : null;
      const delay = nextDelayMs(this.schedule, message.attempts, retryAfter);
      this.metrics.webhookAttempt('failed');
      if (delay === null) {
        await this.repo.markDead(tx.manager, message.id);
        this.metrics.webhookDead(1);
      } else {
        await this.repo.reschedule(tx.manager, message.id, new Date(Date.now() + delay));
      }
      failing.set(endpoint.id, endpoint);
    }
    for (const endpoint of failing.values()) {
      if (disabled.has(endpoint.id)) continue;
      const since = endpoint.failingSince ?? new Date();
      if (!endpoint.failingSince) {
        await this.repo.updateEndpoint(tx.manager, endpoint.chainId, endpoint.id, {
          failingSince: since,
        });
      } else if (Date.now() - since.getTime() >= this.config.WEBHOOK_DISABLE_AFTER_SECONDS * 1000) {
        await this.disable(tx, endpoint, 'failing');
      }
    }
  }

  /** Disables an endpoint on its receiver's word (410) or after days of failures; audited. */
  private async disable(tx: Transaction, endpoint: WebhookEndpoint, cause: DisableCause) {
    const now = new Date();
    await this.repo.updateEndpoint(tx.manager, endpoint.chainId, endpoint.id, {
      disabledAt: now,
      disabledReason: cause,
      updatedAt: now,
    });
    this.metrics.webhookDead((await this.repo.killPending(tx.manager, endpoint.id)).affected ?? 0);
    // In the platform chain's name or the business's: the audit tap then queues
    // `webhook.disabled` to the chain's other endpoints (this one is disabled already).
    await tx.publish(new WebhookDisabledEvent(SYSTEM_AUTHOR, endpointRef(endpoint), cause));
  }
}
