import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDate, IsOptional, IsString } from 'class-validator';
import { ScopeList } from '../../auth/scope-list';
import {
  dateTimeMessage,
  MaxLength,
  MinLength,
  NoSecret,
  ToDate,
  Trim,
} from '../../common/validation/dto-fields';
import { AllowedCidrsProperty, RateLimitProperty } from './token-constraint-fields';
import { MetaProperty, TokenMeta } from './token-meta';
import { UsesLimitProperty } from './token-uses-fields';
import { SCOPES_DOC } from './token-requests.dto';

const NARROW_ONLY =
  'Only narrower than the token’s own: anything wider is 403 WIDENING_NOT_ALLOWED';

/**
 * `PATCH /api/v1/tokens/{id}`: a new name, new `meta`, and edits that only narrow. At least one
 * field; a field left out is left as it is.
 */
export class UpdateTokenDto {
  @ApiPropertyOptional({ example: 'ci-deploy-2', minLength: 1, maxLength: 100 })
  @IsOptional()
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NoSecret()
  name?: string;

  @MetaProperty('Replaces the whole meta; null clears it')
  meta?: TokenMeta | null;

  @ApiPropertyOptional({
    ...SCOPES_DOC,
    example: ['audit:read'],
    description: `A subset of the token’s scopes. ${NARROW_ONLY}.`,
  })
  @IsOptional()
  @ScopeList()
  scopes?: string[] | null;

  // No example: a fixed date would soon be in the past, or later than the token's own expiry.
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: `An RFC 3339 date-time in the future, no later than the token’s expiry. ${NARROW_ONLY}.`,
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('expires_at') })
  expires_at?: Date | null;

  @AllowedCidrsProperty(`as it is. ${NARROW_ONLY}`)
  allowed_cidrs?: string[] | null;

  @RateLimitProperty(`as it is. ${NARROW_ONLY}`)
  rate_limit_per_minute?: number | null;

  @UsesLimitProperty(
    `as it is. Lower only (the uses left drop with it); a token with no limit may be given one. ${NARROW_ONLY}`,
  )
  uses_limit?: number;
}
