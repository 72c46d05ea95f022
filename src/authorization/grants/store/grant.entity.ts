import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A grant: one redeemed authorization code and the line of tokens it gave, access and refresh,
 * down every rotation (a refresh token family). Its id is the code's `grant_id`, so a replayed
 * code, a reused refresh token and a withdrawn consent each revoke the whole line at once.
 */
@Entity({ name: 'oauth_grants' })
export class Grant {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'uuid' })
  consentId!: string;

  @Column({ type: 'uuid' })
  identityId!: string;

  @Column({ type: 'varchar', length: 512 })
  clientId!: string;

  @Column({ type: 'varchar', length: 256 })
  resource!: string;

  @Column({ type: 'simple-json' })
  scopes!: string[];

  /** RFC 9449: the key every token of the line is bound to; null for bearer tokens. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  dpopJkt!: string | null;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date, nullable: true })
  revokedAt!: Date | null;

  /**
   * Why the line ended: `consent_withdrawn`, `refresh_reused`, `code_replayed`, or
   * `refresh_revoked` (its refresh token presented to RFC 7009 revocation).
   */
  @Column({ type: 'varchar', length: 32, nullable: true })
  revokedReason!: GrantEnd | null;
}

export type GrantEnd = 'consent_withdrawn' | 'refresh_reused' | 'code_replayed' | 'refresh_revoked';
