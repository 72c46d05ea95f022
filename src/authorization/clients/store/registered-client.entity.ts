import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A client registered through RFC 7591, for the whole installation (not one business): any
 * business's resource may be asked for by it, and a person consents to it in their business.
 * Every value is bounded (the registration's DTO, and the columns).
 */
@Entity({ name: 'oauth_clients' })
export class RegisteredClient {
  /** The client_id: random, unguessable, never a URL. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  clientName!: string | null;

  @Column({ type: 'simple-json' })
  redirectUris!: string[];

  @Column({ type: 'varchar', length: 512, nullable: true })
  clientUri!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  logoUri!: string | null;

  @Column({ type: 'simple-json' })
  grantTypes!: string[];

  @Column({ type: 'simple-json' })
  responseTypes!: string[];

  @Column({ type: 'varchar', length: 32 })
  tokenEndpointAuthMethod!: string;

  @Column({ type: Date })
  createdAt!: Date;

  /** When a flow first used it; a registration never used is swept after a day. */
  @Column({ type: Date, nullable: true })
  usedAt!: Date | null;
}
