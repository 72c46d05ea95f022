import { ApiProperty } from '@nestjs/swagger';
import { GOVERNED_FIELDS, type PolicyBreach, POLICY_RULES } from '../../governance/business-policy';
import type { ApiToken } from '../store/entities/api-token.entity';
import { TokenViewDto } from './token-view.dto';

/** One rule of the business's token policy that a token breaks. */
export class PolicyBreachDto {
  @ApiProperty({ enum: POLICY_RULES, example: 'max_lifetime_days' })
  rule!: PolicyBreach['rule'];
  @ApiProperty({
    enum: GOVERNED_FIELDS,
    example: 'expires_at',
    description: "The token's field the rule is about",
  })
  field!: PolicyBreach['field'];
  @ApiProperty({
    example:
      'A token of this business lives at most 90 days: expire it by 2026-03-01T00:00:00.000Z',
  })
  msg!: string;
}

/** An active token that breaks the business's current token policy, and how. */
export class PolicyViolationDto extends TokenViewDto {
  @ApiProperty({ type: [PolicyBreachDto], description: 'Every rule it breaks' })
  violations!: PolicyBreachDto[];

  static breaking(
    token: Readonly<ApiToken>,
    breaches: PolicyBreach[],
    now: Date,
  ): PolicyViolationDto {
    return { ...TokenViewDto.of(token, now), violations: breaches.map((b) => ({ ...b })) };
  }
}
