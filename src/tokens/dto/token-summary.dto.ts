import { ApiProperty } from '@nestjs/swagger';
import { TokenViewDto } from './token-view.dto';

export const SUMMARY_SEEN = ['business', 'own'] as const;

/** What of a business's tokens asks for attention, counted as the token list sees them. */
export class TokenSummaryDto {
  @ApiProperty({
    enum: SUMMARY_SEEN,
    example: 'business',
    description:
      "Whose tokens are counted: the business's (an owner or admin whose token allows " +
      "tokens:admin, or a platform token), or the caller's own",
  })
  counted!: (typeof SUMMARY_SEEN)[number];

  @ApiProperty({ format: 'date-time', example: '2026-11-28T09:00:00.000Z' })
  as_of!: string;

  @ApiProperty({
    type: 'integer',
    example: 42,
    description: 'Tokens that work: neither revoked, expired nor disabled, as status=active lists',
  })
  active!: number;

  @ApiProperty({
    type: 'integer',
    example: 3,
    description:
      'Of the tokens neither revoked nor expired, disabled or not, those that expire within 7 days',
  })
  expiring_soon!: number;

  @ApiProperty({
    type: 'integer',
    example: 1,
    description:
      'Tokens disabled (paused) and not ended, as status=disabled lists: refused until enabled',
  })
  disabled!: number;

  @ApiProperty({
    type: 'integer',
    example: 5,
    description: 'Of the tokens neither revoked nor expired, those GET /api/v1/tokens/risky lists',
  })
  risky!: number;

  @ApiProperty({ type: 'integer', example: 2, description: 'Tokens revoked in the last 7 days' })
  revoked_last_7_days!: number;

  @ApiProperty({
    type: 'integer',
    example: 1,
    description:
      'Console sessions an SSO sign-in made, not ended: hours long by design, so counted here ' +
      'and never in expiring_soon or expiring_first',
  })
  console_sessions!: number;

  @ApiProperty({
    type: [TokenViewDto],
    description: 'The active tokens that expire soonest within 7 days, soonest first, at most 5',
  })
  expiring_first!: TokenViewDto[];
}
