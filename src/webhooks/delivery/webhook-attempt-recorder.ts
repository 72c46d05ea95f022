import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { loggableError } from '../../common/errors/safe-error';
import { redactTokens } from '../../common/secrets/secret-shape';
import { AppConfig } from '../../config/app-config';
import { SYSTEM_AUTHOR } from '../../database/units/domain-event';
import { holdKeyLock } from '../../database/units/key-lock';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { Metrics } from '../../metrics/metrics';
import { nextDelayMs, parseRetrySchedule } from './retry-schedule';
import type { WebhookEndpoint } from '../store/webhook-endpoint.entity';
import type { SendError, SendResult } from '../transport/webhook-sender';
import { endpointKey } from '../endpoints/webhook-endpoint-access';
import { endpointRef } from '../endpoints/webhooks.service';
import { DisableCause, WebhookDisabledEvent } from '../webhooks.events';
import { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';
import { ClaimedMessage, WebhookMessagesRepository } from '../store/webhook-messages.repository';

/** Why an attempt got no answer: the sender's word, or `signing_failed` when none was sent. */
export type AttemptError = SendError | 'signing_failed';

export type AttemptResult = Omit<SendResult, 'error'> & { error: AttemptError | null };

/**
 * An attempt that was never sent: the endpoint's sealed secret does not open (the
 * WEBHOOK_SECRETS_KEY changed, say). A fixed word, never the exception, which is not the
 * receiver's to read; it fails and is retried like any other attempt.
 */
export const UNSIGNED: AttemptResult = {
  status: null,
  latencyMs: 0,
  body: '',
  retryAfterSeconds: null,
  error: 'signing_failed',
};

/** What one attempt came to, recorded in the transaction after the batch. */
export interface Outcome {
  message: ClaimedMessage;
  endpoint: WebhookEndpoint | null;
  result: AttemptResult | null;
  at: Date;
}

/**
 * Records what a worker's attempts came to: each attempt, and its consequence for the message
 * (delivered, retried later, dead) and for its endpoint (failing since, or disabled on a 410 or
 * after failing for WEBHOOK_DISABLE_AFTER_SECONDS).
 */
@Injectable()
export class WebhookAttemptRecorder {
  private readonly logger = new Logger(WebhookAttemptRecorder.name);
  private readonly schedule: number[];

  constructor(
    private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly messages: WebhookMessagesRepository,
    private readonly metrics: Metrics,
  ) {
    this.schedule = parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE);
  }

  /**
   * Records a batch in one transaction. If that fails, each attempt in a transaction of its own,
   * and then without the receiver's answer: a row the database refuses must not leave the whole
   * batch, from any business, to be sent again at every lease with its retries never counted.
   * An attempt that cannot be recorded even so is sent again when its lease ends.
   */
  async recordAll(outcomes: Outcome[]): Promise<void> {
    try {
      await this.uow.run((tx) => this.record(outcomes, tx));
      return;
    } catch (e) {
      this.logger.warn(
        { err: loggableError(e), messages: outcomes.length },
        'recording a webhook batch failed; recording its attempts one by one',
      );
    }
    const unrecorded: string[] = [];
    let failure: unknown;
    for (const outcome of outcomes) {
      try {
        await this.uow.run((tx) => this.record([outcome], tx));
      } catch {
        try {
          await this.uow.run((tx) => this.record([withoutAnswer(outcome)], tx));
        } catch (e) {
          unrecorded.push(outcome.message.id);
          failure = e;
        }
      }
    }
    if (unrecorded.length > 0) {
      this.logger.error(
        { err: loggableError(failure), messages: unrecorded },
        'webhook attempts that could not be recorded: they are sent again when their lease ends',
      );
    }
  }

  /**
   * Records the attempts and their consequences. Metrics are counted once it commits, and the
   * endpoints are not changed in memory, so a batch that rolls back can be recorded again.
   */
  private async record(outcomes: Outcome[], tx: Transaction): Promise<void> {
    // In one order, so two batches never wait on each other behind a change's exclusive hold.
    const endpointIds = [...new Set(outcomes.map((o) => o.message.endpointId))].sort();
    for (const id of endpointIds) await holdKeyLock(endpointKey(id), 'shared', tx);
    const count = (metric: () => void) => tx.afterCommit(metric);
    const disabled = new Set<string>();
    const recovered = new Set<string>();
    const failing = new Map<string, WebhookEndpoint>();
    for (const { message, endpoint, result, at } of outcomes) {
      if (!endpoint || !result || disabled.has(endpoint.id)) {
        // Deleted or disabled meanwhile: nothing was sent, and nothing will be.
        await this.messages.markDead(message, tx);
        count(() => this.metrics.webhookDead(1));
        continue;
      }
      await this.messages.recordAttempt(
        {
          id: randomUUID(),
          messageId: message.id,
          endpointId: endpoint.id,
          eventType: message.eventType,
          attemptedAt: at,
          statusCode: result.status,
          latencyMs: Math.round(result.latencyMs),
          responseBody: keptAnswer(result.body),
          error: result.error,
        },
        tx,
      );
      const status = result.status ?? 0;
      if (status >= 200 && status < 300) {
        const delivered = new Date();
        await this.messages.markDelivered(message, delivered, tx);
        count(() => {
          this.metrics.webhookAttempt('delivered');
          this.metrics.webhookDelivered((delivered.getTime() - message.createdAt.getTime()) / 1000);
        });
        if (endpoint.failingSince && !recovered.has(endpoint.id)) {
          await this.endpoints.updateEndpoint(
            endpoint.chainId,
            endpoint.id,
            {
              failingSince: null,
            },
            tx,
          );
          recovered.add(endpoint.id);
        }
        failing.delete(endpoint.id);
        continue;
      }
      if (status === 410) {
        count(() => this.metrics.webhookAttempt('gone'));
        await this.disable(endpoint, 'gone', tx);
        disabled.add(endpoint.id);
        continue;
      }
      const retryAfter = status === 429 || status === 503 ? result.retryAfterSeconds : null;
      const delay = nextDelayMs(this.schedule, message.attempts, retryAfter);
      count(() => this.metrics.webhookAttempt('failed'));
      if (delay === null) {
        await this.messages.markDead(message, tx);
        count(() => this.metrics.webhookDead(1));
      } else {
        await this.messages.reschedule(message, new Date(Date.now() + delay), tx);
      }
      failing.set(endpoint.id, endpoint);
    }
    for (const endpoint of failing.values()) {
      if (disabled.has(endpoint.id)) continue;
      const failingSince = recovered.has(endpoint.id) ? null : endpoint.failingSince;
      if (!failingSince) {
        await this.endpoints.updateEndpoint(
          endpoint.chainId,
          endpoint.id,
          {
            failingSince: new Date(),
          },
          tx,
        );
      } else if (
        Date.now() - failingSince.getTime() >=
        this.config.WEBHOOK_DISABLE_AFTER_SECONDS * 1000
      ) {
        await this.disable(endpoint, 'failing', tx);
      }
    }
  }

  /**
   * Disables an endpoint on its receiver's word (410) or after days of failures; audited, once:
   * an endpoint another worker (or an attempt recorded before) disabled is left as it is.
   */
  private async disable(endpoint: WebhookEndpoint, cause: DisableCause, tx: Transaction) {
    const now = new Date();
    if (!(await this.endpoints.disableIfEnabled(endpoint.chainId, endpoint.id, cause, now, tx))) {
      return;
    }
    const killed = (await this.messages.killPending(endpoint.id, tx)).affected ?? 0;
    tx.afterCommit(() => this.metrics.webhookDead(killed));
    // In the platform chain's name or the business's: the audit tap then queues
    // `webhook.disabled` to the chain's other endpoints (this one is disabled already).
    await tx.publish(new WebhookDisabledEvent(SYSTEM_AUTHOR, endpointRef(endpoint), cause));
  }
}

/**
 * A receiver's answer as the delivery history keeps it: a Latchkey token in it, as written or
 * encoded, masked (a live one by its preview). The receiver is not ours to refuse, and whoever
 * reads the history must not read a secret there. Its end is a cut (the byte cap, a timeout, a
 * connection closed), so a token cut short there is masked too.
 */
function keptAnswer(body: string): string {
  return redactTokens(body, { clipped: true });
}

/** The outcome with the receiver's answer left out: the one text in it that is not ours. */
function withoutAnswer(outcome: Outcome): Outcome {
  return outcome.result ? { ...outcome, result: { ...outcome.result, body: '' } } : outcome;
}
