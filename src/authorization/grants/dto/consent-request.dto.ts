import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { MaxLength, MinLength, NoSecret, Trim } from '../../../common/validation/dto-fields';
import { PageQueryDto } from '../../../common/validation/pagination';
import type { ConsentRequest } from '../store/consent-request.entity';
import { SealedRequestBodyDto } from './consent.dto';

const STATUSES = ['pending', 'approved', 'denied'] as const;

/** `POST /api/v1/connected-apps/requests`: the sealed request, and why, for the approver. */
export class CreateConsentRequestDto extends SealedRequestBodyDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 500,
    example: 'The release agent deploys from my IDE',
    description: 'Why the app needs these scopes, for the approver',
  })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @NoSecret()
  justification!: string;
}

export class ListConsentRequestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: (typeof STATUSES)[number];
}

export class ConsentRequestViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ enum: STATUSES })
  status!: (typeof STATUSES)[number];
  @ApiProperty({ format: 'uuid', description: 'The person who asks' })
  identity_id!: string;
  @ApiProperty({ example: 'https://agent.example/oauth/client.json' })
  client_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Acme Agent' })
  client_name!: string | null;
  @ApiProperty({ example: 'https://mcp.example.com/mcp' })
  resource!: string;
  @ApiProperty({ type: [String], example: ['deploy:prod'] })
  scopes!: string[];
  @ApiProperty({ example: 'The release agent deploys from my IDE' })
  justification!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ type: String, nullable: true, example: null })
  decided_by!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  decided_at!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  decision_reason!: string | null;

  static of(r: ConsentRequest): ConsentRequestViewDto {
    return {
      id: r.id,
      status: r.status,
      identity_id: r.identityId,
      client_id: r.clientId,
      client_name: r.clientName,
      resource: r.resource,
      scopes: r.scopes,
      justification: r.justification,
      created_at: r.createdAt.toISOString(),
      decided_by: r.decidedBy,
      decided_at: r.decidedAt?.toISOString() ?? null,
      decision_reason: r.decisionReason,
    };
  }
}
