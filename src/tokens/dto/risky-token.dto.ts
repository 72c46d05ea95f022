import { ApiProperty } from '@nestjs/swagger';
import type { ApiToken } from '../store/entities/api-token.entity';
import { RISK_REASONS, RiskReason, riskReasonsOf } from '../policy/token-risk';
import { TokenViewDto } from './token-view.dto';

/** An active token worth a look, and why. */
export class RiskyTokenDto extends TokenViewDto {
  @ApiProperty({
    enum: RISK_REASONS,
    isArray: true,
    example: ['no_expiry', 'no_network_binding', 'unrestricted_scopes'],
    description:
      'Every reason that applies. no_expiry: expires_at is null; no_network_binding: ' +
      'allowed_cidrs is null; unrestricted_scopes: scopes is null; unused_90_days: last used ' +
      'more than 90 days ago, or never used and made more than 90 days ago',
  })
  reasons!: RiskReason[];

  static risky(token: Readonly<ApiToken>, now: Date): RiskyTokenDto {
    return { ...TokenViewDto.of(token, now), reasons: riskReasonsOf(token, now) };
  }
}
