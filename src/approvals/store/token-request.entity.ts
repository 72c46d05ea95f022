import { Column, Entity, PrimaryColumn } from 'typeorm';

export const REQUEST_STATUSES = [
  'pending',
  'approved',
  'denied',
  'withdrawn',
  'collected',
] as const;
export type TokenRequestStatus = (typeof REQUEST_STATUSES)[number];

/**
 * A token asked for under the business's approval rule: the create's body, kept until an owner
 * or admin decides it and its requester collects the token. No token exists before collection.
 */
@Entity({ name: 'token_requests' })
export class TokenRequest {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  /** The identity the token is for: the requester, or a machine identity they manage. */
  @Column({ type: 'uuid' })
  identityId!: string;

  /** The requester's identity: alone it collects, and never it decides. */
  @Column({ type: 'uuid' })
  requestedById!: string;

  /** The requester's label (an email, or `machine:<name>`). */
  @Column({ type: 'varchar', length: 340 })
  requestedBy!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'simple-json', nullable: true })
  scopes!: string[] | null;

  @Column({ type: Date, nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  expiresInDays!: number | null;

  /** The create body as asked (JSON), issued from at collection. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 500 })
  justification!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: TokenRequestStatus;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 340, nullable: true })
  decidedBy!: string | null;

  @Column({ type: 'uuid', nullable: true })
  decidedById!: string | null;

  @Column({ type: Date, nullable: true })
  decidedAt!: Date | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  decisionReason!: string | null;

  @Column({ type: Date, nullable: true })
  closedAt!: Date | null;

  /** The token collected, once it is. */
  @Column({ type: 'uuid', nullable: true })
  tokenId!: string | null;
}
