import { Column, Entity, PrimaryColumn } from 'typeorm';

export const SIGNATURE_SCHEMES = ['v1', 'v1a'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/**
 * The scheme of a Shared Signals stream (`src/ssf/`): each message is pushed as a Security Event
 * Token signed with the installation's JWT key (RFC 8935), not as a Standard Webhooks body.
 */
export const STREAM_SCHEME = 'set';
export type EndpointScheme = SignatureScheme | typeof STREAM_SCHEME;

/** Which endpoints a read wants: webhooks (the webhook routes') or streams (the SSF routes'). */
export type EndpointKind = 'webhook' | 'stream';

/**
 * Where a business (or the platform) wants its events sent. The signing secret is kept sealed
 * under the installation's webhook key (`webhook-secret-box.ts`), never in the clear: it must be
 * read back to sign, so it cannot be a hash, and a copy of the database alone cannot forge a
 * delivery with it.
 */
@Entity({ name: 'webhook_endpoints' })
export class WebhookEndpoint {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** The audit chain it follows: the business id, or the platform chain's. */
  @Column({ type: 'varchar', length: 64 })
  chainId!: string;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  @Column({ type: 'varchar', length: 500 })
  description!: string;

  /** The event types it wants, or `["*"]`. */
  @Column({ type: 'simple-json' })
  eventTypes!: string[];

  /**
   * Whether its typed events carry who acted and from where (`webhook-personal-data.ts`): true
   * when whoever set its URL could read them in the audit log.
   */
  @Column({ type: 'boolean', default: false })
  personalData!: boolean;

  /**
   * `v1`: HMAC-SHA256 with this endpoint's secret. `v1a`: Ed25519 with its business's key
   * (`webhook-signing-keys.ts`), so the receiver holds no shared secret; such an endpoint's
   * secret is never shown or used. `set`: a Shared Signals stream, whose sealed secret is the
   * `Authorization` header its receiver asked to be sent (empty for none).
   */
  @Column({ type: 'varchar', length: 8 })
  signatureScheme!: EndpointScheme;

  @Column({ type: 'text' })
  secretSealed!: string;

  /** The secret a rotation replaced: it signs as well until `previousSecretUntil`. */
  @Column({ type: 'text', nullable: true })
  previousSecretSealed!: string | null;

  @Column({ type: Date, nullable: true })
  previousSecretUntil!: Date | null;

  @Column({ type: Date, nullable: true })
  disabledAt!: Date | null;

  /** Why it was disabled: `requested`, `gone` (a 410) or `failing` (5 days of failures). */
  @Column({ type: 'varchar', length: 16, nullable: true })
  disabledReason!: string | null;

  /** The first failed attempt since the last delivery; null while it delivers. */
  @Column({ type: Date, nullable: true })
  failingSince!: Date | null;

  /** A stream its receiver paused: its events are held (`held`) until it is enabled again. */
  @Column({ type: Date, nullable: true })
  pausedAt!: Date | null;

  /** The reason a stream's receiver gave for its status (SSF 1.0 §8.1.2). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  statusReason!: string | null;

  /** A stream's `events_requested`, as its receiver wrote them; null for a webhook. */
  @Column({ type: 'simple-json', nullable: true })
  eventsRequested!: string[] | null;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  updatedAt!: Date;
}
