import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../../auth/roles';

/** What an invitation's row stores; `expired` is derived from `expires_at`, never stored. */
export type StoredInvitationStatus = 'pending' | 'send_failed' | 'accepted' | 'revoked';

/** The statuses a link may still be accepted in, and an admin may resend or revoke. */
export const OPEN_STATUSES: readonly StoredInvitationStatus[] = ['pending', 'send_failed'];

/**
 * An invitation to join a business at a role, sent by email. The link's secret is stored only as
 * its SHA-256 (`token_hash`); a resend replaces it, so the old link stops working.
 */
@Entity({ name: 'invitations' })
export class Invitation {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ type: 'varchar', length: 16 })
  status!: StoredInvitationStatus;

  /** SHA-256 of the link's secret, hex. */
  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  /** How long each link lives from its sending: a resend gives the new link as long. */
  @Column({ type: 'integer' })
  expiresInHours!: number;

  @Column({ type: Date })
  expiresAt!: Date;

  @Column({ type: Date })
  createdAt!: Date;

  /** When the last link was handed to the mail server (or tried): resends are spaced by it. */
  @Column({ type: Date })
  lastSentAt!: Date;

  /** The inviter's label (an email, or `machine:<name>`). */
  @Column({ type: 'varchar', length: 340 })
  invitedBy!: string;

  @Column({ type: 'uuid', nullable: true })
  invitedById!: string | null;

  /**
   * The inviting token as the token policy saw it (`InvitationMaker`, JSON): the invitee's first
   * token is capped by it at acceptance, as a first token handed over is by its maker.
   */
  @Column({ type: 'text' })
  maker!: string;

  @Column({ type: Date, nullable: true })
  acceptedAt!: Date | null;

  @Column({ type: 'uuid', nullable: true })
  acceptedIdentityId!: string | null;

  @Column({ type: Date, nullable: true })
  revokedAt!: Date | null;
}
