import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../../auth/roles';

/** A business's rule: a person whose provider lists `group` signs in at `role`. */
@Entity({ name: 'sso_group_roles' })
export class SsoGroupRole {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  /** The group as the provider's groups claim spells it (at most 256 bytes). */
  @Column({ type: 'varchar', length: 256 })
  groupName!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ type: Date })
  createdAt!: Date;

  /** Who set it: an email, or `machine:<name>`. */
  @Column({ type: 'varchar', length: 340 })
  createdBy!: string;
}
