import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * An authorization code, issued after a person's consent: a random secret handed to the client
 * once, in the redirect, and stored only as its SHA-256. It lives 60 s and is redeemed once, by
 * the client it was issued to, at the redirect URI and for the resource it names, with the PKCE
 * verifier of its challenge. `grant_id` names the tokens issued from it, which a replay revokes.
 */
@Entity({ name: 'authorization_codes' })
export class AuthorizationCode {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  /** SHA-256 of the code, hex. */
  @Column({ type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ type: 'uuid' })
  grantId!: string;

  /** The person who consented. */
  @Column({ type: 'uuid' })
  identityId!: string;

  @Column({ type: 'varchar', length: 512 })
  clientId!: string;

  @Column({ type: 'varchar', length: 512 })
  redirectUri!: string;

  /** The resource's canonical URI (RFC 8707). */
  @Column({ type: 'varchar', length: 256 })
  resource!: string;

  @Column({ type: 'simple-json' })
  scopes!: string[];

  /** The S256 challenge (RFC 7636 §4.2). */
  @Column({ type: 'varchar', length: 128 })
  codeChallenge!: string;

  /** RFC 9449 §10: the thumbprint of the DPoP key the code is bound to, if any. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  dpopJkt!: string | null;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  expiresAt!: Date;

  @Column({ type: Date, nullable: true })
  redeemedAt!: Date | null;
}
