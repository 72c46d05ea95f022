import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A person's consent: that a client may hold tokens for one resource of the business with these
 * scopes. Remembered, so the same client asking again for no more is not asked again, and listed
 * in the console as a connected app; withdrawing it revokes every token issued under it.
 * One standing consent per person, client and resource: a wider one replaces the scopes.
 */
@Entity({ name: 'oauth_consents' })
export class Consent {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  /** The person who consented. */
  @Column({ type: 'uuid' })
  identityId!: string;

  @Column({ type: 'varchar', length: 512 })
  clientId!: string;

  /** The client's name as its metadata said when the person consented: what they saw. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  clientName!: string | null;

  /** The resource's canonical URI (RFC 8707). */
  @Column({ type: 'varchar', length: 256 })
  resource!: string;

  @Column({ type: 'simple-json' })
  scopes!: string[];

  /**
   * The scopes among `scopes` an approver allowed, for those the business's policy keeps for
   * approvers; null when none was asked for.
   */
  @Column({ type: 'simple-json', nullable: true })
  approvedScopes!: string[] | null;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  updatedAt!: Date;

  @Column({ type: Date, nullable: true })
  withdrawnAt!: Date | null;
}
