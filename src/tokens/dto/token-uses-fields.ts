import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import type { RefillInterval } from '../store/entities/api-token.entity';
import { REFILL_INTERVALS, USES_LIMIT_MAX } from '../usage/uses/token-uses';

/** `refill`: at the start of each UTC day or month, the uses left are set back to `amount`. */
export class RefillDto {
  @ApiProperty({ enum: REFILL_INTERVALS, example: 'daily' })
  @IsIn(REFILL_INTERVALS)
  interval!: RefillInterval;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: USES_LIMIT_MAX, example: 1000 })
  @IsInt()
  @Min(1)
  @Max(USES_LIMIT_MAX)
  amount!: number;
}

/** `uses_limit`: how many requests the token may make. */
export const UsesLimitProperty = (leftOut: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: 1,
      maximum: USES_LIMIT_MAX,
      example: 1000,
      description:
        'How many requests the token may make; each authenticated request spends one, and a ' +
        `token with none left is 429 USES_EXHAUSTED (not revoked). Left out: ${leftOut}.`,
    }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(USES_LIMIT_MAX),
  );

export const RefillProperty = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: RefillDto,
      description:
        'Sets the uses left back to `amount` (at most uses_limit) at the start of each UTC day ' +
        "or month. Needs uses_limit. Never more, nor more often, than the calling token's refill.",
    }),
    IsOptional(),
    IsObject(),
    ValidateNested(),
    Type(() => RefillDto),
  );
