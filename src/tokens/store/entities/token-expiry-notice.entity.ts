import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A notice sent about a token's expiry: `7d`, `1d` (days before) or `expired`. Its key makes
 * each notice once per token, whichever instance inserts it first.
 */
@Entity({ name: 'token_expiry_notices' })
export class TokenExpiryNotice {
  @PrimaryColumn({ type: 'uuid' })
  tokenId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16 })
  notice!: string;

  @Column({ type: Date })
  sentAt!: Date;
}
