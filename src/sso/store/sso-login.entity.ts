import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../../auth/roles';

/**
 * Where a sign-in stands: `started` (sent to the provider), `used` (its callback came, once),
 * `verified` (the provider vouched for the person, and the console may collect its session),
 * `collected` (the session was made).
 */
export type SsoLoginStatus = 'started' | 'used' | 'verified' | 'collected';

/**
 * One console sign-in through the identity provider, from its start to the session it makes.
 * The `state` and the hand-off are kept only as SHA-256 hashes, and the browser that started
 * it is bound by a cookie whose hash is kept too. The session's secret is never stored: it is
 * made when the console collects it.
 */
@Entity({ name: 'sso_logins' })
export class SsoLogin {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  stateHash!: string;

  /** SHA-256 of the cookie the starting browser holds: the callback must come from it. */
  @Column({ type: 'varchar', length: 64 })
  browserHash!: string;

  @Column({ type: 'varchar', length: 64 })
  nonce!: string;

  /** PKCE's verifier, sent only to the provider's token endpoint. */
  @Column({ type: 'varchar', length: 128 })
  codeVerifier!: string;

  /** The business the person asked to sign in to; null: the one their groups map to. */
  @Column({ type: 'uuid', nullable: true })
  askedBusinessId!: string | null;

  /** A console path to open after sign-in (`/admin/…`), checked at the start. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  returnTo!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: SsoLoginStatus;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  expiresAt!: Date;

  /** From `verified` on: who the provider vouched for, where, and at which role. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'uuid', nullable: true })
  businessId!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  role!: Role | null;

  /** The groups (JSON, at most 10) whose rules gave the role, for the sign-in's audit entry. */
  @Column({ type: 'text', nullable: true })
  groups!: string | null;

  /** SHA-256 of the one-time hand-off the console exchanges for its session. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  handoffHash!: string | null;
}
