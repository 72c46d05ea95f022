import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { MaxLength, MinLength, NoSecret, Trim } from '../../common/validation/dto-fields';
import { PageQueryDto } from '../../common/validation/pagination';
import { CreateTokenDto } from '../../tokens/dto/token-requests.dto';
import { REQUEST_STATUSES, TokenRequest, TokenRequestStatus } from '../store/token-request.entity';

/** How long an approved request may be collected, from its approval. */
export const COLLECT_WITHIN_MS = 7 * 86_400_000;

/** `POST /api/v1/token-requests`: the create's body, and why the token is needed. */
export class CreateTokenRequestDto extends CreateTokenDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 500,
    example: 'Deploys to production from the release pipeline',
    description: 'Why the token is needed, for the approver',
  })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @NoSecret()
  justification!: string;
}

export class ApproveTokenRequestDto {
  @ApiPropertyOptional({ maxLength: 500, example: 'Release pipeline, agreed in the change board' })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(500)
  @NoSecret()
  reason?: string;
}

export class DenyTokenRequestDto {
  @ApiProperty({ minLength: 1, maxLength: 500, example: 'Use the shared deploy machine instead' })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @NoSecret()
  reason!: string;
}

export class ListTokenRequestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: REQUEST_STATUSES })
  @IsOptional()
  @IsIn(REQUEST_STATUSES)
  status?: TokenRequestStatus;
}

export class TokenRequestViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({
    enum: REQUEST_STATUSES,
    example: 'pending',
    description:
      '`approved`: its requester may collect the token once, until `collect_by`; no token ' +
      'exists before `collected`',
  })
  status!: TokenRequestStatus;
  @ApiProperty({ format: 'uuid', description: 'The identity the token is for' })
  identity_id!: string;
  @ApiProperty({
    example: 'dev@acme.test',
    description: "The requester's email, or machine:<name>",
  })
  requested_by!: string;
  @ApiProperty({ example: 'release-deploy' })
  name!: string;
  @ApiProperty({ type: [String], nullable: true, example: ['deploy:prod'] })
  scopes!: string[] | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  expires_at!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 90 })
  expires_in_days!: number | null;
  @ApiProperty({ example: 'Deploys to production from the release pipeline' })
  justification!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ type: String, nullable: true, example: 'owner@acme.test' })
  decided_by!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  decided_at!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  decision_reason!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Until when an approved request may be collected; null unless approved',
  })
  collect_by!: string | null;

  static of(r: TokenRequest): TokenRequestViewDto {
    return {
      id: r.id,
      status: r.status,
      identity_id: r.identityId,
      requested_by: r.requestedBy,
      name: r.name,
      scopes: r.scopes,
      expires_at: r.expiresAt?.toISOString() ?? null,
      expires_in_days: r.expiresInDays,
      justification: r.justification,
      created_at: r.createdAt.toISOString(),
      decided_by: r.decidedBy,
      decided_at: r.decidedAt?.toISOString() ?? null,
      decision_reason: r.decisionReason,
      collect_by:
        r.status === 'approved' && r.decidedAt
          ? new Date(r.decidedAt.getTime() + COLLECT_WITHIN_MS).toISOString()
          : null,
    };
  }
}
