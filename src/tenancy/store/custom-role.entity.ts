import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../../auth/roles';

/** The built-in roles a custom role may narrow: an owner's powers are never handed out this way. */
export const BASE_ROLES = ['admin', 'member'] as const satisfies readonly Role[];
export type BaseRole = (typeof BASE_ROLES)[number];

/**
 * A business's own role: a built-in role (admin or member, which decides who may act on whom)
 * narrowed to a set of scopes, which bound every token its holders use in the business.
 */
@Entity({ name: 'custom_roles' })
export class CustomRole {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'varchar', length: 40 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  baseRole!: BaseRole;

  @Column({ type: 'simple-json' })
  scopes!: string[];

  @Column({ type: 'varchar', length: 300, nullable: true })
  description!: string | null;

  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date })
  updatedAt!: Date;

  /** Who last set it: an email, or `machine:<name>`. */
  @Column({ type: 'varchar', length: 340 })
  updatedBy!: string;
}
