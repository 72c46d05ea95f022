import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An access token a grant gave, and the client it went to: what a grant's end revokes, and how
 * a token's verifications are counted by client. Kept after the grant itself is swept, as long
 * as the business is.
 */
@Entity({ name: 'oauth_grant_tokens' })
export class GrantToken {
  @PrimaryColumn({ type: 'uuid' })
  tokenId!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'uuid' })
  grantId!: string;

  @Column({ type: 'varchar', length: 512 })
  clientId!: string;

  @Column({ type: Date })
  createdAt!: Date;
}
