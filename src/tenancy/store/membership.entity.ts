import { Column, Entity, PrimaryColumn } from 'typeorm';

// The roles are auth's (who may act on whom): a membership holds one, and its readers import
// the role from auth, not from this table.
import type { Role } from '../../auth/roles';

@Entity({ name: 'memberships' })
export class Membership {
  @PrimaryColumn({ type: 'uuid' })
  businessId!: string;

  @PrimaryColumn({ type: 'uuid' })
  identityId!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  @Column({ type: Date })
  createdAt!: Date;

  /**
   * The business's custom role the member holds (`custom_roles`), whose scopes bound every token
   * of theirs here; `role` is then that custom role's base role. Null: the built-in role alone.
   */
  @Column({ type: 'uuid', nullable: true })
  customRoleId?: string | null;
}
