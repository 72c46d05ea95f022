import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ConsentRequestStatus = 'pending' | 'approved' | 'denied';

/**
 * A person's request that an approver allow a client scopes the business's token policy keeps for
 * approvers (`approval_required.scopes`). Approved, the person's standing consent holds the scopes
 * as approved, and the app's next authorization request goes through.
 */
@Entity({ name: 'oauth_consent_requests' })
export class ConsentRequest {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  /** The person who asks, and would consent. */
  @Column({ type: 'uuid' })
  identityId!: string;

  @Column({ type: 'varchar', length: 512 })
  clientId!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  clientName!: string | null;

  @Column({ type: 'varchar', length: 256 })
  resource!: string;

  @Column({ type: 'simple-json' })
  scopes!: string[];

  @Column({ type: 'varchar', length: 500 })
  justification!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: ConsentRequestStatus;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date, nullable: true })
  decidedAt!: Date | null;

  @Column({ type: 'varchar', length: 320, nullable: true })
  decidedBy!: string | null;

  @Column({ type: 'uuid', nullable: true })
  decidedById!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  decisionReason!: string | null;
}
