import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Which generation of its derived v1a key a chain signs with, for the chains that rotated theirs:
 * a chain without a row signs with generation 0. The key itself is derived, never stored
 * (`webhook-signing-key.ts`).
 */
@Entity({ name: 'webhook_key_generations' })
export class WebhookKeyGeneration {
  /** A business id, or the platform chain's. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  chainId!: string;

  @Column({ type: 'integer' })
  generation!: number;

  /** When it last rotated: the generation before signs beside it for 24 hours from then. */
  @Column({ type: Date })
  rotatedAt!: Date;
}
