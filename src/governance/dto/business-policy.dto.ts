import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { ScopeList } from '../../auth/scope-list';
import {
  ALLOWED_CIDRS_MAX,
  LIMITS,
  POLICY_DAYS_MAX,
  POLICY_INACTIVITY_DAYS_MIN,
} from '../../common/validation/byte-budget';
import { MAX_CIDR_LENGTH } from '../../common/validation/cidr';
import { MaxLength } from '../../common/validation/dto-fields';
import type { PolicySnapshot } from '../governance.events';
import { REQUIRE_DPOP, type RequireDpop } from '../business-policy';
import { EachCidr } from '../../common/validation/cidr-fields';
import type { ApprovalRuleSnapshot } from '../approval-rule';

/**
 * What a token made by `POST /api/v1/tokens` needs an approver for; a part left out (or null,
 * or false) marks nothing, and a rule that marks nothing reads back as null.
 */
export class ApprovalRequiredDto {
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', maxLength: LIMITS.scope },
    maxItems: LIMITS.scopes,
    uniqueItems: true,
    nullable: true,
    example: ['tokens:admin', 'deploy:*'],
    description:
      'Scope patterns: a new token whose scopes reach any of them (either covers the other) ' +
      'needs approval. An unrestricted (null-scoped) token reaches every scope.',
  })
  @IsOptional()
  @ScopeList()
  scopes?: string[] | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: POLICY_DAYS_MAX,
    nullable: true,
    example: 30,
    description: 'A new token living longer than this many days, or never expiring, needs approval',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(POLICY_DAYS_MAX)
  lifetime_days_over?: number | null;

  @ApiPropertyOptional({
    type: 'boolean',
    nullable: true,
    example: true,
    description: 'A new token for a machine identity needs approval',
  })
  @IsOptional()
  @IsBoolean()
  machine_tokens?: boolean | null;
}

/** The approval rule as a policy answers it. */
export class ApprovalRequiredViewDto implements ApprovalRuleSnapshot {
  @ApiProperty({ type: [String], nullable: true, example: ['tokens:admin'] })
  scopes!: string[] | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 30 })
  lifetime_days_over!: number | null;
  @ApiProperty({ example: true })
  machine_tokens!: boolean;
}

/**
 * `PUT /api/v1/token-policy`: the whole policy, replaced. A field left out (or null) sets no
 * rule; `require_expiry` left out is false.
 */
export class PutBusinessPolicyDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: POLICY_DAYS_MAX,
    nullable: true,
    example: 90,
    description:
      'The longest a new token may live, in days. A token that asks for no expiry (or a first ' +
      'token, 7 days by default) gets at most this; one that asks for longer is 422 POLICY_VIOLATION.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(POLICY_DAYS_MAX)
  max_lifetime_days?: number | null;

  @ApiPropertyOptional({
    type: 'boolean',
    nullable: true,
    default: false,
    example: true,
    description: 'Refuse (422 POLICY_VIOLATION) a token that would have no expiry.',
  })
  @IsOptional()
  @IsBoolean()
  require_expiry?: boolean | null;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', maxLength: LIMITS.scope },
    minItems: 1,
    maxItems: LIMITS.scopes,
    uniqueItems: true,
    nullable: true,
    example: ['deploy:*', 'audit:read'],
    description:
      "Scope patterns (`a:*` covers every `a:…`) that every new token's scopes must lie within. " +
      'A token that asks for no scopes (unrestricted) gets these. null: any scopes.',
  })
  @IsOptional()
  @ArrayMinSize(1, { message: 'allowed_scopes must not be empty: null allows any scopes' })
  @ScopeList()
  allowed_scopes?: string[] | null;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', maxLength: MAX_CIDR_LENGTH },
    minItems: 1,
    maxItems: ALLOWED_CIDRS_MAX,
    nullable: true,
    example: ['10.0.0.0/8'],
    description:
      "The networks every new token's allowed_cidrs must lie within (IPv4 or IPv6 CIDRs, at most " +
      `${ALLOWED_CIDRS_MAX}). A token that asks to be used from anywhere gets these. null: anywhere.`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'required_cidrs must not be empty: null allows anywhere' })
  @ArrayMaxSize(ALLOWED_CIDRS_MAX)
  @IsString({ each: true })
  @MaxLength(MAX_CIDR_LENGTH, { each: true })
  @EachCidr()
  required_cidrs?: string[] | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: POLICY_INACTIVITY_DAYS_MIN,
    maximum: POLICY_DAYS_MAX,
    nullable: true,
    example: 90,
    description:
      'Revoke (reason `inactive`) a token unused for this many days, counted from its last use, ' +
      'or its creation if never used; a `token.inactive_soon` notice goes out 7 days before.',
  })
  @IsOptional()
  @IsInt()
  @Min(POLICY_INACTIVITY_DAYS_MIN)
  @Max(POLICY_DAYS_MAX)
  inactivity_revoke_days?: number | null;

  @ApiPropertyOptional({
    enum: REQUIRE_DPOP,
    nullable: true,
    example: 'machines',
    description:
      'New tokens must be bound to a key (DPoP, RFC 9449), given as dpop_jkt or by a DPoP proof ' +
      "on the creating request: `all` of them, or `machines`' alone. Every path that mints a " +
      'token refuses an unbound one (422 POLICY_VIOLATION at dpop_jkt). null: no rule.',
  })
  @IsOptional()
  @IsIn(REQUIRE_DPOP)
  require_dpop?: RequireDpop | null;

  @ApiPropertyOptional({
    type: ApprovalRequiredDto,
    nullable: true,
    description:
      'What a token made by POST /api/v1/tokens needs an approver for: such a create is 403 ' +
      'APPROVAL_REQUIRED, and the token is asked for by POST /api/v1/token-requests instead. ' +
      'The CLI and rotation are exempt. null: nothing needs approval.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ApprovalRequiredDto)
  approval_required?: ApprovalRequiredDto | null;
}

/** A business's token policy; every rule null (and `require_expiry` false) when none is set. */
export class BusinessPolicyViewDto implements PolicySnapshot {
  @ApiProperty({ type: 'integer', nullable: true, example: 90 })
  max_lifetime_days!: number | null;
  @ApiProperty({ example: true })
  require_expiry!: boolean;
  @ApiProperty({ type: [String], nullable: true, example: ['deploy:*', 'audit:read'] })
  allowed_scopes!: string[] | null;
  @ApiProperty({ type: [String], nullable: true, example: ['10.0.0.0/8'] })
  required_cidrs!: string[] | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 90 })
  inactivity_revoke_days!: number | null;
  @ApiProperty({ enum: REQUIRE_DPOP, nullable: true, example: null })
  require_dpop!: RequireDpop | null;
  @ApiProperty({ type: ApprovalRequiredViewDto, nullable: true })
  approval_required!: ApprovalRequiredViewDto | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  updated_at!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'owner@acme.test' })
  updated_by!: string | null;
}
