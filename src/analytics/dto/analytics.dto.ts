import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDate, IsIn, IsOptional } from 'class-validator';
import { dateTimeMessage, SafeIsUUID, ToDate } from '../../common/validation/dto-fields';
import { OUTCOMES, type Outcome } from '../verification-outcome';
import {
  CLIENTS,
  type Client,
  GRANULARITIES,
  GROUP_COLUMNS,
  type Granularity,
  type GroupKey,
} from '../store/verification-counts.repository';

/** What a read groups by: the stored columns, and `oauth_client`, derived from each token. */
export type ReadGroupKey = GroupKey | 'oauth_client';
export const OAUTH_CLIENT = 'oauth_client';

const CLIENT_DOC =
  'Whose calls are counted: `api`, every caller but the admin console (the default); ' +
  "`console`, the console's own (it sends `X-Latchkey-Client: console`), so that a person " +
  'browsing the console does not read as API traffic; `all`, both';

/** The stored columns, and the connected app's client each token was issued to. */
export const GROUP_KEYS: ReadGroupKey[] = [
  ...(Object.keys(GROUP_COLUMNS) as ReadGroupKey[]),
  OAUTH_CLIENT,
];
export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `?group_by=outcome,tag` or `?group_by=outcome&group_by=tag`: both become a list. */
const toKeys = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value.split(',').map((k) => k.trim())
    : Array.isArray(value)
      ? value.flatMap((v) =>
          String(v)
            .split(',')
            .map((k) => k.trim()),
        )
      : value;

export const OUTCOMES_DOC =
  '`valid` (the token authenticated; a request that then failed for another reason, a 404 ' +
  'object or a 422 body, is valid too), `revoked`, `expired`, `disabled`, `rate_limited`, ' +
  '`credits_exhausted`, `uses_exhausted`, `ip_not_allowed`, `insufficient_scope`, ' +
  '`business_refused` (BUSINESS_SUSPENDED, BUSINESS_MISMATCH, BUSINESS_NOT_FOUND), `refused` ' +
  '(a token found but refused otherwise: its holder is no longer a member, another audience, a ' +
  'DPoP proof missing, bad or replayed), `unknown` (no such token, or malformed; counted with no ' +
  'business, identity or token, so seen on the platform route alone).';

/** The filters carry no examples: Swagger UI would send them, and hide what was asked for. */
export class VerificationQueryDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Inclusive, rounded down to the granularity. Default: `to` less 1 hour (minute), 24 hours (hour) or 30 days (day)',
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('from') })
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive. Default: now' })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('to') })
  to?: Date;

  @ApiPropertyOptional({
    enum: GRANULARITIES,
    default: 'hour',
    description:
      'The bucket. The window may span at most 24 hours of minutes, 31 days of hours, 366 days of days',
  })
  @IsOptional()
  @IsIn(GRANULARITIES)
  granularity?: Granularity;

  @ApiPropertyOptional({
    type: String,
    description: `What each bucket's counts are split by, comma-separated, of ${GROUP_KEYS.join(', ')} (the client a connected app's token was issued to). Default: outcome`,
  })
  @IsOptional()
  @Transform(toKeys)
  @IsArray()
  @ArrayMaxSize(4)
  @IsIn(GROUP_KEYS, { each: true, message: `group_by must be of ${GROUP_KEYS.join(', ')}` })
  group_by?: ReadGroupKey[];

  @ApiPropertyOptional({ enum: CLIENTS, default: 'api', description: CLIENT_DOC })
  @IsOptional()
  @IsIn(CLIENTS)
  client?: Client;
}

export class BusinessVerificationQueryDto extends VerificationQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "Only this token's verifications (one the caller may see; else none are counted)",
  })
  @IsOptional()
  @SafeIsUUID()
  token_id?: string;
}

export class PlatformVerificationQueryDto extends VerificationQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this business's verifications" })
  @IsOptional()
  @SafeIsUUID()
  business_id?: string;
}

export class VerificationExportQueryDto extends VerificationQueryDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'ndjson' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}

export class PlatformVerificationExportQueryDto extends PlatformVerificationQueryDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'ndjson' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}

export class VerificationCountDto {
  @ApiPropertyOptional({ enum: OUTCOMES, example: 'revoked', description: OUTCOMES_DOC })
  outcome?: Outcome;

  @ApiPropertyOptional({
    example: 'endpoint=/v1/things',
    description:
      "The call's tags as a trusted gateway sent them in X-Latchkey-Tag, sorted and comma-joined; empty for none; `(other)` past the business's daily cap",
  })
  tag?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b',
    description: 'The identity holding the token; null for an unknown token',
  })
  identity_id?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10',
    description: 'The token; null for an unknown token',
  })
  token_id?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://agent.example/oauth/client.json',
    description:
      'The client (a connected app) the token was issued to by the authorization code flow; ' +
      'null for every other token',
  })
  oauth_client?: string | null;

  @ApiProperty({ example: 42 })
  count!: number;
}

export class VerificationBucketDto {
  @ApiProperty({ format: 'date-time', example: '2026-11-28T10:00:00.000Z' })
  start!: string;

  @ApiProperty({ example: 57, description: 'Every verification in the bucket' })
  total!: number;

  @ApiProperty({ type: [VerificationCountDto] })
  counts!: VerificationCountDto[];
}

export class VerificationAnalyticsDto {
  @ApiProperty({ enum: GRANULARITIES, example: 'hour' })
  granularity!: Granularity;

  @ApiProperty({ format: 'date-time', example: '2026-11-27T11:00:00.000Z' })
  from!: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T11:00:00.000Z' })
  to!: string;

  @ApiProperty({ enum: GROUP_KEYS, isArray: true, example: ['outcome'] })
  group_by!: ReadGroupKey[];

  @ApiProperty({ enum: CLIENTS, example: 'api', description: CLIENT_DOC })
  client!: Client;

  @ApiProperty({
    type: [VerificationBucketDto],
    description: 'Oldest first; a bucket with no verification is left out',
  })
  buckets!: VerificationBucketDto[];
}
