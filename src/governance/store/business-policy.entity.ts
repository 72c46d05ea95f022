import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Which new tokens `require_dpop` binds to a key: every one, or machine identities' alone. */
export const REQUIRE_DPOP = ['all', 'machines'] as const;
export type RequireDpop = (typeof REQUIRE_DPOP)[number];

/** The rule as the API and the audit log spell it. */
export interface ApprovalRuleSnapshot {
  scopes: string[] | null;
  lifetime_days_over: number | null;
  machine_tokens: boolean;
}

/** A business's token policy: one row per business that has set one (none: no rule). */
@Entity({ name: 'business_token_policies' })
export class BusinessTokenPolicy {
  @PrimaryColumn({ type: 'uuid' })
  businessId!: string;

  @Column({ type: 'integer', nullable: true })
  maxLifetimeDays!: number | null;

  @Column({ type: 'boolean' })
  requireExpiry!: boolean;

  /** Scope patterns (`deploy:*`) every token's scopes lie within; null: any. */
  @Column({ type: 'simple-json', nullable: true })
  allowedScopes!: string[] | null;

  /** Canonical CIDRs every token's `allowed_cidrs` lie within; null: anywhere. */
  @Column({ type: 'simple-json', nullable: true })
  requiredCidrs!: string[] | null;

  @Column({ type: 'integer', nullable: true })
  inactivityRevokeDays!: number | null;

  /** New tokens bound to a key (RFC 9449): `all`, `machines`' alone, or null for no rule. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  requireDpop!: RequireDpop | null;

  /** What needs an approver (`approval-rule.ts`), as the API spells it; null: nothing. */
  @Column({ type: 'simple-json', nullable: true })
  approvalRequired!: ApprovalRuleSnapshot | null;

  @Column({ type: Date })
  updatedAt!: Date;

  /** The actor's label (an email, or `machine:<name>`). */
  @Column({ type: 'varchar', length: 340 })
  updatedBy!: string;

  @Column({ type: 'uuid', nullable: true })
  updatedById!: string | null;
}
