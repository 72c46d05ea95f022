import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A refresh token of a grant, stored only as its SHA-256. Used once: the use marks it and gives
 * its successor (RFC 9700 §4.14.2, rotation), and a second use is a reuse, which ends the grant.
 */
@Entity({ name: 'oauth_refresh_tokens' })
export class RefreshToken {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'uuid' })
  grantId!: string;

  /** SHA-256 of the refresh token, hex. */
  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  expiresAt!: Date;

  @Column({ type: Date, nullable: true })
  usedAt!: Date | null;
}
