import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A business's console sign-in setting; no row: token sign-in stays on. */
@Entity({ name: 'sso_settings' })
export class SsoSettings {
  @PrimaryColumn({ type: 'uuid' })
  businessId!: string;

  /** Off: the console takes only SSO sessions from the business's people (machines are no one's). */
  @Column({ type: 'boolean' })
  tokenSignIn!: boolean;

  @Column({ type: Date })
  updatedAt!: Date;

  /** Who set it: an email, or `machine:<name>`. */
  @Column({ type: 'varchar', length: 340 })
  updatedBy!: string;
}
