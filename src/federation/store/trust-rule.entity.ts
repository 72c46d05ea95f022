import type { JWK } from 'jose';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A JSON Web Key Set as a trust rule keeps it inline: public keys only. */
export interface JwksDocument {
  keys: JWK[];
}

/**
 * Who may trade a signed OIDC token for a token of a machine identity: the token's issuer,
 * audience and subject (exact, or a glob), any other claims it must carry, the issuer's keys
 * (inline, or where to fetch them), and what the token it gets may do and for how long.
 */
@Entity({ name: 'trust_rules' })
export class TrustRule {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  /** The machine identity the exchanged token is issued to. */
  @Column({ type: 'uuid' })
  identityId!: string;

  /** An https URL, compared exactly with the JWT's `iss`. */
  @Column({ type: 'varchar', length: 2048 })
  issuer!: string;

  @Column({ type: 'simple-json', nullable: true })
  jwks!: JwksDocument | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  jwksUri!: string | null;

  @Column({ type: 'varchar', length: 1024 })
  audience!: string;

  /** Exact, or a glob whose `*` stands for a run of characters other than `:`. */
  @Column({ type: 'varchar', length: 1024 })
  subject!: string;

  /** Other claims the JWT must carry, each with exactly this value; null: none. */
  @Column({ type: 'simple-json', nullable: true })
  claims!: Record<string, string> | null;

  /** What an exchanged token may do: within the identity's role and the rule maker's token. */
  @Column({ type: 'simple-json' })
  scopes!: string[];

  @Column({ type: 'integer' })
  maxTtlSeconds!: number;

  /** The exchange must carry a DPoP proof (RFC 9449 §5), whose key the token is bound to. */
  @Column({ type: 'boolean', default: false })
  requireDpop!: boolean;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 340 })
  createdBy!: string;

  @Column({ type: 'uuid', nullable: true })
  createdById!: string | null;
}

/**
 * A JWT the exchange accepted, kept until the JWT expires: the primary key (a hash of the issuer
 * and the `jti`) lets one insert win, on every instance and both databases.
 */
@Entity({ name: 'federation_jti_uses' })
export class FederationJtiUse {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  keyHash!: string;

  @Column({ type: Date })
  expiresAt!: Date;
}
