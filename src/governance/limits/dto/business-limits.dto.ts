import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { SafeIsUUID } from '../../../common/validation/dto-fields';
import { LIMIT_NAME } from '../../../auth/guards/gateway-requirements';
import { LIMIT_WINDOWS, type LimitWindow } from '../../../throttle/shared-limits';
import type { LimitSnapshot } from '../limits.events';

/** The highest cap a shared limit takes, in calls a window. */
export const SHARED_LIMIT_MAX = 10_000_000;
/** Overrides one limit holds. */
export const LIMIT_OVERRIDES_MAX = 100;
/** Named limits one business holds. */
export const LIMITS_PER_BUSINESS_MAX = 16;

export class LimitOverrideDto {
  @ApiProperty({ format: 'uuid', example: '7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b' })
  @SafeIsUUID()
  identity_id!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: SHARED_LIMIT_MAX, example: 6000 })
  @IsInt()
  @Min(1)
  @Max(SHARED_LIMIT_MAX)
  per_identity!: number;
}

/**
 * `PUT /api/v1/limits/{name}`: the whole limit, replaced, overrides included. A cap left out (or
 * null) is no cap; at least one cap or override is set.
 */
export class PutBusinessLimitDto {
  @ApiProperty({
    enum: LIMIT_WINDOWS,
    example: 'minute',
    description:
      'The window the caps count in: fixed, starting with its first call (not sliding), as a ' +
      "token's own rate_limit_per_minute counts",
  })
  @IsIn(LIMIT_WINDOWS)
  window!: LimitWindow;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: SHARED_LIMIT_MAX,
    nullable: true,
    example: 100000,
    description: "Calls a window by all of the business's tokens together; null: no such cap",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(SHARED_LIMIT_MAX)
  per_business?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: SHARED_LIMIT_MAX,
    nullable: true,
    example: 600,
    description:
      "Calls a window by each identity's tokens together (a person or a machine, whatever " +
      'token it calls with: making more tokens buys no more calls); null: no such cap',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(SHARED_LIMIT_MAX)
  per_identity?: number | null;

  @ApiPropertyOptional({
    type: [LimitOverrideDto],
    maxItems: LIMIT_OVERRIDES_MAX,
    description:
      'Identities of this business with a cap of their own, in place of per_identity (higher or ' +
      'lower); each identity at most once',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LIMIT_OVERRIDES_MAX)
  @ValidateNested({ each: true })
  @Type(() => LimitOverrideDto)
  overrides?: LimitOverrideDto[];
}

export class BusinessLimitViewDto implements LimitSnapshot {
  @ApiProperty({ example: 'api', description: 'The name a gateway gives in X-Latchkey-Limit' })
  name!: string;
  @ApiProperty({ enum: LIMIT_WINDOWS, example: 'minute' })
  window!: LimitWindow;
  @ApiProperty({ type: 'integer', nullable: true, example: 100000 })
  per_business!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 600 })
  per_identity!: number | null;
  @ApiProperty({ type: [LimitOverrideDto] })
  overrides!: LimitOverrideDto[];
  @ApiProperty({ format: 'date-time', example: '2026-03-01T14:00:00.000Z' })
  updated_at!: string;
  @ApiProperty({ example: 'owner@acme.test' })
  updated_by!: string;
}

export class BusinessLimitsDto {
  @ApiProperty({
    type: [BusinessLimitViewDto],
    description: `Every limit of the business, by name (at most ${LIMITS_PER_BUSINESS_MAX})`,
  })
  items!: BusinessLimitViewDto[];
}

export class LimitNameParamDto {
  @ApiProperty({
    example: 'api',
    pattern: LIMIT_NAME.source,
    description:
      'The name a gateway gives in X-Latchkey-Limit. `default` is the one every call counts ' +
      'against when it names none (every API call, and a check without X-Latchkey-Limit)',
  })
  @Matches(LIMIT_NAME, {
    message: 'name must be 1 to 32 of a-z, 0-9, _ and -, the first a letter or digit',
  })
  name!: string;
}
