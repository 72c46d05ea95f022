import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import {
  Equals,
  IsBoolean,
  IsDate,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { SCOPE_PATTERN } from '../../auth/scopes';
import { ScopeList } from '../../auth/scope-list';
import {
  dateTimeMessage,
  ExpiresInDaysProperty,
  MaxLength,
  MinLength,
  NoSecret,
  SafeIsUUID,
  ToDate,
  Trim,
} from '../../common/validation/dto-fields';
import { LIMITS } from '../../common/validation/byte-budget';
import { PageQueryDto } from '../../common/validation/pagination';
import { QuickAccept } from '../../common/validation/validation.pipe';
import {
  AllowedCidrsProperty,
  AudiencesProperty,
  DpopJktProperty,
  RateLimitProperty,
} from './token-constraint-fields';
import { MetaProperty, TokenMeta } from './token-meta';
import { RefillDto, RefillProperty, UsesLimitProperty } from './token-uses-fields';
import { TOKEN_STATUSES, TokenStatus } from '../token-status';
import { TokenFieldsParam, type TokenViewField } from './token-view-fields';
import {
  quickListQuery,
  TOKEN_SORTS,
  type TokenListQuery,
  type TokenSort,
} from './token-list-query';

export { TOKEN_SORTS, type TokenSort } from './token-list-query';

/** ISO 8601 strings become Dates; anything else is left for IsDate to refuse. */

export const SCOPES_DOC: ApiPropertyOptions = {
  type: 'array',
  items: { type: 'string', maxLength: LIMITS.scope },
  maxItems: LIMITS.scopes,
  uniqueItems: true,
  nullable: true,
  example: ['audit:read', 'deploy:*'],
  description:
    'Omit or null for a token unrestricted within its role; a list narrows it ([] allows only ' +
    `managing its own tokens). At most ${LIMITS.scopes} scopes of at most ${LIMITS.scope} ` +
    'characters. Never more than the calling token holds.',
};

export class CreateTokenDto {
  @ApiProperty({ example: 'ci-deploy', minLength: 1, maxLength: 100 })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NoSecret()
  name!: string;

  @ApiPropertyOptional(SCOPES_DOC)
  @IsOptional()
  @ScopeList()
  scopes?: string[] | null;

  // No example: Swagger UI sends the examples together, and this excludes expires_in_days.
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'An RFC 3339 date-time (with Z or an offset) in the future; give it or expires_in_days, not both',
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('expires_at') })
  expires_at?: Date;

  @ExpiresInDaysProperty('Lifetime in days; omit both this and expires_at for no expiry')
  expires_in_days?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'An admin may name a machine identity of the business; default: the caller',
  })
  @IsOptional()
  @SafeIsUUID()
  identity_id?: string;

  @DpopJktProperty(
    'Binds the token to a key (RFC 9449): every use must come with a DPoP proof signed by it. ' +
      'A DPoP proof sent with this request binds it to the proof’s key when this is left out',
  )
  dpop_jkt?: string;

  @AllowedCidrsProperty("the calling token's networks (anywhere if it has none)")
  allowed_cidrs?: string[] | null;

  @AudiencesProperty("the calling token's audiences (anywhere if it has none)")
  audiences?: string[] | null;

  @RateLimitProperty("the calling token's own limit (none if it has none)")
  rate_limit_per_minute?: number | null;

  @MetaProperty('Your own data about the token')
  meta?: TokenMeta | null;

  @UsesLimitProperty(
    "no limit, or the calling token's uses left when it has a limit. Never more than the " +
      'calling token has left',
  )
  uses_limit?: number;

  @RefillProperty()
  refill?: RefillDto;
}

export class RevokeTokenDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'leaked in a CI log' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @NoSecret()
  reason?: string;
}

export class RevokeByValueDto extends RevokeTokenDto {
  @ApiProperty({ description: 'The token secret to revoke', example: 'lk_…' })
  @IsString()
  @MaxLength(200)
  token!: string;
}

export class RotateTokenDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 604800,
    default: 0,
    description: 'How long the old token keeps working; 0 revokes it now',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604800)
  grace_period_seconds?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description: "Default: the old token's lifetime length, counted from now",
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('expires_at') })
  expires_at?: Date;

  @DpopJktProperty("Binds the successor to another key; default: the old token's key, if any")
  dpop_jkt?: string;

  @AllowedCidrsProperty("the old token's networks")
  allowed_cidrs?: string[] | null;

  @AudiencesProperty("the old token's audiences")
  audiences?: string[] | null;

  @RateLimitProperty("the old token's limit")
  rate_limit_per_minute?: number | null;
}

export class BulkRevokeDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @SafeIsUUID()
  identity_id?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('created_before') })
  created_before?: Date;

  @ApiPropertyOptional({
    example: 'deploy:write',
    description: 'Tokens whose scope list grants this scope (unrestricted tokens are not matched)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.scope)
  @Matches(SCOPE_PATTERN)
  scope?: string;

  @ApiPropertyOptional({ enum: [true], description: 'Every unrevoked token of the business' })
  @IsOptional()
  @Equals(true, { message: 'all must be true when given' })
  all?: true;

  @ApiProperty({ minLength: 1, maxLength: 500, example: 'credential leak in incident 42' })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @NoSecret()
  reason!: string;

  @ApiPropertyOptional({
    default: false,
    example: true,
    description: 'Only count and list what would be revoked',
  })
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}

@QuickAccept(quickListQuery)
export class ListTokensQueryDto extends PageQueryDto implements TokenListQuery {
  @ApiPropertyOptional({
    enum: TOKEN_STATUSES,
    description: 'The status the view shows: `active` lists no disabled token',
  })
  @IsOptional()
  @IsIn(TOKEN_STATUSES)
  status?: TokenStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @SafeIsUUID()
  identity_id?: string;

  // No example: Swagger UI would send it, and hide every token not named so.
  @ApiPropertyOptional({ description: 'Name prefix, e.g. ci-' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({
    enum: TOKEN_SORTS,
    default: 'created_at',
    description:
      'created_at: oldest first. -created_at: newest first. last_used_at: least recently used ' +
      'first, never used before all (last use is recorded at most once a minute). A cursor ' +
      'belongs to its sort',
  })
  @IsOptional()
  @IsIn(TOKEN_SORTS)
  sort?: TokenSort;

  // No example, as for `name`. A whole secret is refused (422), so none reaches a log.
  @ApiPropertyOptional({
    description:
      "Search, case-insensitive: the text anywhere in the token's name or preview (lk_ab12…), " +
      "or in its holder's email or machine name",
    maxLength: 100,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NoSecret()
  q?: string;

  @TokenFieldsParam()
  fields?: TokenViewField[];
}

export class ListPlatformTokensQueryDto extends ListTokensQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @SafeIsUUID()
  business_id?: string;
}

export class BulkRevokeResultDto {
  @ApiProperty({ type: 'integer', example: 3 })
  matched!: number;
  @ApiProperty({ type: 'integer', example: 3 })
  revoked!: number;
  @ApiProperty({ type: [String], format: 'uuid' })
  token_ids!: string[];
}
