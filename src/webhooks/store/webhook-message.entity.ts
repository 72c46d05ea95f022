import { randomUUID } from 'node:crypto';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A webhook id: `msg_` and 32 hex digits. The outbox's own INSERT makes the same form in SQL
 * (`WebhookMessagesRepository.enqueueForEndpoints`).
 */
export const messageId = () => `msg_${randomUUID().replace(/-/g, '')}`;

/**
 * `pending` until delivered; `dead` once its retries are spent or its endpoint is disabled;
 * `held` while its stream is paused (it turns `pending` when the stream is enabled again).
 */
export type MessageStatus = 'pending' | 'delivered' | 'dead' | 'held';

/**
 * The outbox: one message per endpoint and event, written in the transaction of the change it
 * tells of. Its id is the `webhook-id` of every attempt, so a receiver can drop a repeat.
 */
@Entity({ name: 'webhook_messages' })
export class WebhookMessage {
  /** `msg_` and 32 hex digits. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ type: 'uuid' })
  endpointId!: string;

  @Column({ type: 'varchar', length: 64 })
  chainId!: string;

  @Column({ type: 'varchar', length: 64 })
  eventType!: string;

  /** The exact JSON body every attempt sends. */
  @Column({ type: 'text' })
  payload!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: MessageStatus;

  @Column({ type: 'integer' })
  attempts!: number;

  /**
   * When a worker may next take it. A worker that takes it moves this past the attempt's
   * timeout first (a lease), so a worker that dies mid-attempt leaves it to be taken again.
   */
  @Column({ type: Date })
  nextAttemptAt!: Date;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date, nullable: true })
  deliveredAt!: Date | null;
}

/** One try at delivering a message, as the deliveries list shows it. */
@Entity({ name: 'webhook_attempts' })
export class WebhookAttempt {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 40 })
  messageId!: string;

  @Column({ type: 'uuid' })
  endpointId!: string;

  @Column({ type: 'varchar', length: 64 })
  eventType!: string;

  @Column({ type: Date })
  attemptedAt!: Date;

  /** The receiver's HTTP status; null when no answer came. */
  @Column({ type: 'integer', nullable: true })
  statusCode!: number | null;

  @Column({ type: 'integer' })
  latencyMs!: number;

  /** The first 1 KiB of the receiver's answer, with no U+0000 (`storableBody`). */
  @Column({ type: 'varchar', length: 1024 })
  responseBody!: string;

  /** Why no answer came (`timeout`, `refused_address`, …, `signing_failed`); null when one did. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  error!: string | null;
}
