import { Column, Entity, PrimaryColumn } from 'typeorm';

export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

/** True when `role` is at least `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

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
}
