import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDate,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';
import { ScopeList } from '../../auth/scope-list';
import {
  dateTimeMessage,
  MaxLength,
  MinLength,
  NoSecret,
  SafeIsUUID,
  ToDate,
  Trim,
} from '../../common/validation/dto-fields';
import { MetaProperty, TokenMeta } from './token-meta';
import { SCOPES_DOC } from './token-requests.dto';
import { TokenViewDto } from './token-view.dto';

/** The most keys one import brings: one unit of work, and its audit entries, stay bounded. */
export const IMPORT_MAX_KEYS = 100;
/** A preview is a reminder of which key it is, far too short to hold one. */
export const IMPORTED_PREVIEW_MAX = 16;

/** One key brought from another service: its hash, never the key itself, and its terms here. */
export class ImportedKeyDto {
  // `hash` is one of the validation pipe's secret fields: a refusal never echoes it.
  @ApiProperty({
    description:
      'The SHA-256 of the key exactly as its holder presents it, as 64 lowercase hex ' +
      'characters (`printf %s "$KEY" | sha256sum`). Never shown again, nor echoed in an error',
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    pattern: '^[0-9a-f]{64}$',
  })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, {
    message: 'hash must be the SHA-256 of the key as 64 lowercase hex characters',
  })
  hash!: string;

  @ApiPropertyOptional({
    maxLength: IMPORTED_PREVIEW_MAX,
    example: 'sk_live...4f2a',
    description:
      'What lists show to tell the key apart, printable ASCII; default `imported…` and the ' +
      "hash's first 4 characters",
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(IMPORTED_PREVIEW_MAX)
  @Matches(/^[\x20-\x7e]*$/, { message: 'preview must be printable ASCII' })
  @NoSecret()
  preview?: string;

  @ApiProperty({ example: 'billing-sync', minLength: 1, maxLength: 100 })
  @Trim()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @NoSecret()
  name!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'The holder: a user or machine identity that is a member of this business',
  })
  @SafeIsUUID()
  identity_id!: string;

  @ApiPropertyOptional(SCOPES_DOC)
  @IsOptional()
  @ScopeList()
  scopes?: string[] | null;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'An RFC 3339 date-time in the future; omit for no expiry',
  })
  @IsOptional()
  @ToDate()
  @IsDate({ message: dateTimeMessage('expires_at') })
  expires_at?: Date;

  @MetaProperty('Your own data about the key')
  meta?: TokenMeta | null;
}

export class ImportTokensDto {
  @ApiProperty({
    type: [ImportedKeyDto],
    minItems: 1,
    maxItems: IMPORT_MAX_KEYS,
    description: `1 to ${IMPORT_MAX_KEYS} keys, imported all together or not at all`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(IMPORT_MAX_KEYS)
  @ValidateNested({ each: true })
  @Type(() => ImportedKeyDto)
  keys!: ImportedKeyDto[];
}

export class ImportResultDto {
  @ApiProperty({ type: 'integer', example: 3 })
  imported!: number;

  @ApiProperty({
    type: [TokenViewDto],
    description: 'The tokens made, in the order of the keys (origin import); never a hash',
  })
  tokens!: TokenViewDto[];
}
