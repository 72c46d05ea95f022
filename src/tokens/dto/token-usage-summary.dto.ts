import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { TokenViewDto } from './token-view.dto';

export const USAGE_WINDOWS = ['24h', '7d', '30d'] as const;
export type UsageWindow = (typeof USAGE_WINDOWS)[number];

export class TokenUsageSummaryQueryDto {
  @ApiPropertyOptional({ enum: USAGE_WINDOWS, default: '24h', description: 'Up to now' })
  @IsOptional()
  @IsIn(USAGE_WINDOWS)
  window?: UsageWindow;
}

export class UsageCountsDto {
  @ApiProperty({ type: 'integer', example: 1200, description: 'Answered requests' })
  requests!: number;
  @ApiProperty({ type: 'integer', example: 1180, description: 'Of those, answered 2xx' })
  ok_count!: number;
  @ApiProperty({ type: 'integer', example: 20, description: 'Of those, answered 4xx' })
  client_error_count!: number;
  @ApiProperty({
    type: 'integer',
    example: 40,
    description:
      'Of those, made by the admin console (it sends `X-Latchkey-Client: console`): counted ' +
      'apart, so that a person clicking through the console does not read as API traffic',
  })
  console_requests!: number;
}

export class TokenUsageRowDto extends UsageCountsDto {
  @ApiProperty({ type: TokenViewDto })
  token!: TokenViewDto;
}

export class UsageTotalsDto extends UsageCountsDto {
  @ApiProperty({ type: 'integer', example: 12, description: 'Tokens used at least once' })
  tokens_used!: number;
}

export class TokenUsageSummaryDto {
  @ApiProperty({ enum: USAGE_WINDOWS })
  window!: UsageWindow;
  @ApiProperty({ format: 'date-time', description: 'The start of the first hour counted' })
  from!: string;
  @ApiProperty({ format: 'date-time' })
  to!: string;
  @ApiProperty({ type: UsageTotalsDto, description: 'Every token the caller may read, together' })
  totals!: UsageTotalsDto;
  @ApiProperty({
    type: [TokenUsageRowDto],
    description:
      'The busiest tokens first, by the requests that were not the console’s, at most 100; ' +
      'tokens with no request are left out',
  })
  items!: TokenUsageRowDto[];
}
