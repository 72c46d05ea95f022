import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayContains,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  ValidateBy,
} from 'class-validator';
import { urlProblem } from '../../../common/address-guard';
import {
  MaxBytes,
  MaxLength,
  MinLength,
  NoSecret,
  SingleLine,
} from '../../../common/validation/dto-fields';
import { REDIRECT_URI_MAX_BYTES, REDIRECT_URIS_MAX, redirectUriProblem } from '../redirect-uris';

/** The longest client name, in characters: one line on a consent screen. */
export const CLIENT_NAME_MAX = 100;
/** The longest `client_uri` or `logo_uri`, in UTF-8 bytes. */
export const CLIENT_LINK_MAX_BYTES = 512;

export const GRANT_TYPES = ['authorization_code', 'refresh_token'] as const;
export const RESPONSE_TYPES = ['code'] as const;
/** Public clients only, for now; `private_key_jwt` comes with keys to check. */
export const AUTH_METHODS = ['none'] as const;

export type GrantType = (typeof GRANT_TYPES)[number];

/** Each redirect URI under `redirectUriProblem`'s table; the refusal names the rule broken. */
const IsRedirectUri = () =>
  ValidateBy(
    {
      name: 'isRedirectUri',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && redirectUriProblem(value) === null,
        defaultMessage: (args) => {
          const value = args?.value as unknown;
          const bad: unknown = Array.isArray(value)
            ? (value as unknown[]).find(
                (v) => typeof v !== 'string' || redirectUriProblem(v) !== null,
              )
            : value;
          const problem = typeof bad === 'string' ? redirectUriProblem(bad) : 'must be a string';
          return `each redirect_uris entry ${problem ?? 'must be a valid redirect URI'}`;
        },
      },
    },
    { each: true },
  );

/** A link shown to the person who consents: https, no user information or fragment. */
const IsHttpsLink = () =>
  ValidateBy({
    name: 'isHttpsLink',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' &&
        urlProblem(value, { allowHttp: false, allowPrivate: true }) === null,
      defaultMessage: (args) =>
        `${args?.property ?? 'the link'} must be an https URL without user information or fragment`,
    },
  });

/**
 * The client metadata Latchkey keeps (RFC 7591 §2), read alike from a registration's body and a
 * Client ID Metadata Document; what it does not know it ignores, as RFC 7591 §2 says.
 */
export class ClientMetadataDto {
  @ApiProperty({
    type: [String],
    example: ['https://app.example/callback', 'http://127.0.0.1/callback'],
    description:
      `1 to ${REDIRECT_URIS_MAX}, each at most ${REDIRECT_URI_MAX_BYTES} bytes: https; http only on ` +
      '127.0.0.1 or [::1] (any port matches, RFC 8252 §7.3) or localhost (matched exactly); or a ' +
      'private-use scheme in reverse domain form (com.example.app:/callback). No fragment, user ' +
      'information or dot segments. Matched as exact strings',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(REDIRECT_URIS_MAX)
  @ArrayUnique()
  @IsRedirectUri()
  redirect_uris!: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'Acme Agent',
    maxLength: CLIENT_NAME_MAX,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(CLIENT_NAME_MAX)
  @SingleLine()
  @NoSecret()
  client_name?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://app.example',
    maxLength: CLIENT_LINK_MAX_BYTES,
  })
  @IsOptional()
  @IsString()
  @MaxBytes(CLIENT_LINK_MAX_BYTES)
  @IsHttpsLink()
  client_uri?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'https://app.example/logo.png',
    maxLength: CLIENT_LINK_MAX_BYTES,
  })
  @IsOptional()
  @IsString()
  @MaxBytes(CLIENT_LINK_MAX_BYTES)
  @IsHttpsLink()
  logo_uri?: string | null;

  @ApiPropertyOptional({ enum: AUTH_METHODS, default: 'none' })
  @IsOptional()
  @IsIn(AUTH_METHODS)
  token_endpoint_auth_method?: (typeof AUTH_METHODS)[number] | null;

  @ApiPropertyOptional({
    type: [String],
    enum: GRANT_TYPES,
    default: ['authorization_code'],
    description: 'Must hold authorization_code',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(GRANT_TYPES.length)
  @ArrayUnique()
  @IsIn(GRANT_TYPES, { each: true })
  @ArrayContains(['authorization_code'])
  grant_types?: GrantType[] | null;

  @ApiPropertyOptional({ type: [String], enum: RESPONSE_TYPES, default: ['code'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RESPONSE_TYPES.length)
  @ArrayUnique()
  @IsIn(RESPONSE_TYPES, { each: true })
  response_types?: (typeof RESPONSE_TYPES)[number][] | null;
}

/** RFC 7591 §3.2.1: the client's id, and the metadata as registered (defaults filled in). */
export class ClientRegistrationDto {
  @ApiProperty({ example: 'lkc_6fQ2tVx8N3pLk1ZrW9yB0sJd4HmA7cUe' })
  client_id!: string;

  @ApiProperty({ example: 1767225600, description: 'Seconds since the epoch' })
  client_id_issued_at!: number;

  @ApiProperty({ type: [String], example: ['https://app.example/callback'] })
  redirect_uris!: string[];

  @ApiPropertyOptional({ example: 'Acme Agent' })
  client_name?: string;

  @ApiPropertyOptional({ example: 'https://app.example' })
  client_uri?: string;

  @ApiPropertyOptional({ example: 'https://app.example/logo.png' })
  logo_uri?: string;

  @ApiProperty({ enum: AUTH_METHODS })
  token_endpoint_auth_method!: string;

  @ApiProperty({ type: [String], enum: GRANT_TYPES })
  grant_types!: string[];

  @ApiProperty({ type: [String], enum: RESPONSE_TYPES })
  response_types!: string[];
}
