import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDate, IsOptional } from 'class-validator';
import { dateTimeMessage, ToDate } from '../../common/validation/dto-fields';
import type { TokenUsageHour, TokenUsageIp } from '../store/entities/token-usage.entity';

/** The filters carry no examples: Swagger UI would send them, and pin the window to a date. */
export class TokenUsageQueryDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Inclusive: the hour that holds it is listed. Default: `to` less 24 hours. At most 30 days before `to`',
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('from') })
  from?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Exclusive: hours that begin at or after it are not listed. Default: now',
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('to') })
  to?: Date;
}

export class TokenUsageHourDto {
  @ApiProperty({
    format: 'date-time',
    example: '2026-03-01T14:00:00.000Z',
    description: 'The start of the UTC hour',
  })
  hour!: string;
  @ApiProperty({
    type: 'integer',
    example: 120,
    description: 'Every answered request the token authenticated',
  })
  requests!: number;
  @ApiProperty({ type: 'integer', example: 117, description: 'Of those, answered 2xx' })
  ok_count!: number;
  @ApiProperty({ type: 'integer', example: 3, description: 'Of those, answered 4xx' })
  client_error_count!: number;
  @ApiProperty({
    type: 'integer',
    example: 0,
    description:
      'Of those, made by the admin console (it sends `X-Latchkey-Client: console`): counted ' +
      'apart, so that a person clicking through the console does not read as API traffic',
  })
  console_requests!: number;

  static of(row: TokenUsageHour): TokenUsageHourDto {
    return {
      hour: row.hour.toISOString(),
      requests: row.requests,
      ok_count: row.okCount,
      client_error_count: row.clientErrorCount,
      console_requests: row.consoleRequests,
    };
  }
}

export class TokenUsageIpDto {
  @ApiProperty({
    example: '203.0.113.7',
    description: 'The client address, as TRUST_PROXY resolves it, in canonical form',
  })
  ip!: string;
  @ApiProperty({ format: 'date-time', example: '2026-03-01T14:59:31.000Z' })
  last_seen_at!: string;

  static of(row: TokenUsageIp): TokenUsageIpDto {
    return { ip: row.ip, last_seen_at: row.lastSeenAt.toISOString() };
  }
}

/** A token's requests per hour in a window, and where it was used from lately. */
export class TokenUsageDto {
  @ApiProperty({ format: 'uuid', example: '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10' })
  token_id!: string;
  @ApiProperty({ format: 'date-time', example: '2026-02-28T15:00:00.000Z' })
  from!: string;
  @ApiProperty({ format: 'date-time', example: '2026-03-01T15:00:00.000Z' })
  to!: string;
  @ApiProperty({
    type: [TokenUsageHourDto],
    description:
      'Hours with at least one request, oldest first; an hour with none is left out. Counts are ' +
      'written every few seconds, so the last few seconds may not be in them yet',
  })
  hours!: TokenUsageHourDto[];
  @ApiProperty({
    type: [TokenUsageIpDto],
    description:
      'The 10 most recently seen distinct client addresses, most recent first, whatever the window',
  })
  recent_ips!: TokenUsageIpDto[];
}
