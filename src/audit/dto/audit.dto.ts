import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDate, IsIn, IsOptional, Matches } from 'class-validator';
import { dateTimeMessage, SafeIsUUID, ToDate } from '../../common/validation/dto-fields';
import { PageQueryDto } from '../../common/validation/pagination';
import { QuickAccept } from '../../common/validation/validation.pipe';
import { AUDIT_OUTCOMES, AuditOutcome } from '../codec/audit-fields';
import type { AuditFilters } from '../store/audit.repository';
import { ACTION, MAX_ACTIONS, quickAuditQuery } from './quick-queries';

/** `?action=a&action=b` arrives as an array, `?action=a` as a string: both become a list. */
const toList = ({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value);

/**
 * The filters carry no examples: Swagger UI fills each example in and sends it, and a filter
 * nobody chose hides the events the caller came for.
 */
export class AuditFiltersDto {
  @ApiPropertyOptional({
    type: [String],
    description: 'Repeatable: `?action=token.revoked&action=token.rejected`',
  })
  @IsOptional()
  @Transform(toList)
  @IsArray()
  @ArrayMaxSize(MAX_ACTIONS)
  @Matches(ACTION, { each: true, message: 'each action must look like token.revoked' })
  action?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Who acted' })
  @IsOptional()
  @SafeIsUUID()
  actor_id?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'What was acted on (token, identity, business)',
  })
  @IsOptional()
  @SafeIsUUID()
  target_id?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Inclusive, e.g. 2026-01-01T00:00:00Z',
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('from') })
  from?: Date;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Exclusive, e.g. 2027-01-01T00:00:00Z',
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('to') })
  to?: Date;
}

@QuickAccept(quickAuditQuery)
export class AuditQueryDto extends IntersectionType(PageQueryDto, AuditFiltersDto) {}

export class PlatformAuditQueryDto extends AuditQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this business's events" })
  @IsOptional()
  @SafeIsUUID()
  business_id?: string;
}

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class AuditExportQueryDto extends AuditFiltersDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'ndjson' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}

export function filtersOf(dto: AuditFiltersDto): AuditFilters {
  return {
    actions: dto.action,
    actorId: dto.actor_id,
    targetId: dto.target_id,
    outcome: dto.outcome,
    from: dto.from,
    to: dto.to,
  };
}

class AuditTokenMakerDto {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Null when the system or CLI made it',
  })
  id!: string | null;
  @ApiProperty({ example: 'owner@acme.test' })
  label!: string;
}

class AuditActorDto {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '7d0c6f7e-3c1f-4c51-9d35-4c2b8a1f0e11',
  })
  id!: string | null;
  @ApiProperty({ enum: ['user', 'machine', 'system'], example: 'user' })
  type!: string;
  @ApiProperty({ example: 'alice@acme.test', description: 'Email, machine:<name>, system or cli' })
  label!: string;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The token the actor acted with; absent for the system and the CLI',
  })
  token_id?: string;
  @ApiPropertyOptional({
    type: AuditTokenMakerDto,
    nullable: true,
    description: 'Who issued that token, so a token made for someone else is traceable',
  })
  issued_by?: AuditTokenMakerDto | null;
}

class AuditTargetDto {
  @ApiProperty({ example: 'token', description: 'token, user, machine or business' })
  type!: string;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '0b8e4c52-8f8e-4a4e-9a55-0b1c5d3e2f10',
  })
  id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'ci-deploy' })
  label!: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({
    type: 'integer',
    example: 42,
    description: 'Position in its chain, from 1, without gaps',
  })
  seq!: number;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Null for platform events',
  })
  business_id!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:15:30.123Z' })
  occurred_at!: string;
  @ApiPropertyOptional({
    enum: ['api', 'cli', 'system'],
    description: 'The way in; absent on events written before it was kept',
  })
  origin?: string;
  @ApiProperty({ example: 'token.revoked' })
  action!: string;
  @ApiProperty({ enum: AUDIT_OUTCOMES, example: 'success' })
  outcome!: string;
  @ApiProperty({ type: AuditActorDto })
  actor!: AuditActorDto;
  @ApiProperty({ type: AuditTargetDto })
  target!: AuditTargetDto;
  @ApiProperty({ type: String, nullable: true, example: 'b5c1e2f0-1d2e-4f3a-9b8c-7d6e5f4a3b2c' })
  request_id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'curl/8.5.0' })
  user_agent!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { jti: 'Zq3h8s0d9f7g6h5j4k3l2m1n', reason: 'leaked in CI logs' },
  })
  metadata!: Record<string, unknown>;
  @ApiProperty({ example: '0'.repeat(64), description: 'The hash of the previous event' })
  prev_hash!: string;
  @ApiProperty({
    example: '9f2c…',
    description: 'sha256(prev_hash || RFC 8785 JSON of this event without prev_hash and hash)',
  })
  hash!: string;
}

class CheckpointPinDto {
  @ApiProperty({ type: 'integer', example: 1000 })
  tree_size!: number;
  @ApiProperty({ example: 'pVu1xTyaxZ2/ndxjvWuO8EM2wcoVd7n8ZUoZ2Y5Pj6A=', description: 'base64' })
  root_hash!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-22T10:16:00.000Z' })
  signed_at!: string;
}

export class ChainVerdictDto {
  @ApiProperty({ example: true })
  valid!: boolean;
  @ApiProperty({ type: 'integer', example: 1024, description: 'Events checked' })
  checked!: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'The first seq that does not hold; null when the chain is valid',
  })
  first_invalid_seq!: number | null;
  @ApiProperty({
    type: 'integer',
    example: 3,
    description: 'Signed checkpoints whose roots were recomputed from the events and compared',
  })
  checkpoints_checked!: number;
  @ApiProperty({
    type: CheckpointPinDto,
    nullable: true,
    description:
      'The largest signed checkpoint that holds: the events up to its tree_size are pinned by ' +
      'a signature the database cannot forge. Null when none does (or none is signed yet)',
  })
  last_valid_checkpoint!: CheckpointPinDto | null;
  @ApiProperty({
    example: true,
    description:
      'Whether a signed checkpoint was held to the events. False when none was (no signing ' +
      'key, or no checkpoint signed yet): the verdict then rests on the hash chain alone, which ' +
      'whoever can write the database can recompute',
  })
  checkpoint_checked!: boolean;
  @ApiProperty({
    type: 'integer',
    example: 1000,
    description:
      'The events from seq 1 to this one are pinned by a signed checkpoint that holds (the ' +
      "tree_size of last_valid_checkpoint); 0 when none. Events past it are held by the chain's " +
      'hashes alone',
  })
  signed_through_seq!: number;
}
