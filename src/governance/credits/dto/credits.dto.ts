import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { REFILL_INTERVALS, type RefillInterval } from '../../../common/refill-period';

const HOLDER = /^(business|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The most a balance or a refill holds. */
export const CREDITS_MAX = 1_000_000_000;

export class CreditRefillDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: CREDITS_MAX, example: 10000 })
  @IsInt()
  @Min(1)
  @Max(CREDITS_MAX)
  amount!: number;

  @ApiProperty({
    enum: REFILL_INTERVALS,
    example: 'monthly',
    description: 'The balance is set back to `amount` at the start of each UTC day or month',
  })
  @IsIn(REFILL_INTERVALS)
  interval!: RefillInterval;
}

/** `PUT /api/v1/credits/{holder}`: the balance, set now, and its refill. */
export class PutCreditBalanceDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: CREDITS_MAX,
    example: 10000,
    description: 'The balance from now on; what instances hold of the old one is spent no more',
  })
  @IsInt()
  @Min(0)
  @Max(CREDITS_MAX)
  balance!: number;

  @ApiPropertyOptional({ type: CreditRefillDto, nullable: true, description: 'null: no refill' })
  @IsOptional()
  @ValidateNested()
  @Type(() => CreditRefillDto)
  refill?: CreditRefillDto | null;
}

export class CreditBalanceViewDto {
  @ApiProperty({
    example: 'business',
    description: "`business` for the business's own balance, else the identity's id",
  })
  holder!: string;
  @ApiProperty({
    type: 'integer',
    example: 9412,
    description:
      'Credits in the store: a refill that is due counts as made. Lower than what is left by `leased`',
  })
  balance!: number;
  @ApiProperty({
    type: 'integer',
    example: 60,
    description:
      'Credits instances have taken and not yet settled: spent, or handed back within seconds ' +
      'when unspent. What a stopped instance held is written off as spent after a minute',
  })
  leased!: number;
  @ApiProperty({ type: CreditRefillDto, nullable: true })
  refill!: CreditRefillDto | null;
  @ApiProperty({ format: 'date-time', example: '2026-03-01T14:00:00.000Z' })
  updated_at!: string;
  @ApiProperty({ example: 'owner@acme.test' })
  updated_by!: string;
}

export class CreditBalancesDto {
  @ApiProperty({
    type: [CreditBalanceViewDto],
    description: 'The business’s first, then by identity id',
  })
  items!: CreditBalanceViewDto[];
}

export class CreditHolderParamDto {
  @ApiProperty({
    example: 'business',
    description: "`business`, or the id of one of the business's members or machine identities",
  })
  @Matches(HOLDER, { message: 'holder must be `business` or a uuid' })
  holder!: string;
}
