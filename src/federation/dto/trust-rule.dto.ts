import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { SCOPE_PATTERN } from '../../auth/scopes';
import { LIMITS } from '../../common/validation/byte-budget';
import { MaxLength, MinLength, NoSecret } from '../../common/validation/dto-fields';
import type { JwksDocument, TrustRule } from '../store/trust-rule.entity';

/** Optional, and never null: a field left out takes its default, and a null is a 422 on it. */
const IsPresentIfGiven = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/** The longest an exchanged token may live. */
export const MAX_TTL_SECONDS = 3600;

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export class CreateTrustRuleDto {
  @ApiProperty({
    example: GITHUB_ISSUER,
    maxLength: 2048,
    description: "An https URL, compared exactly with the JWT's `iss`",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  @NoSecret()
  issuer!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: undefined,
    description:
      'The issuer\'s public keys as a JSON Web Key Set (`{"keys": [...]}`): RSA, EC or OKP keys, ' +
      'at most 20, no private part. Give this or `jwks_uri`, not both',
  })
  @IsPresentIfGiven()
  @IsObject()
  jwks?: JwksDocument;

  @ApiPropertyOptional({
    example: `${GITHUB_ISSUER}/.well-known/jwks`,
    maxLength: 2048,
    description:
      "Where to fetch the issuer's keys: https, and held to the same address rules as a " +
      'webhook URL (no private, loopback or link-local address). Fetched with a short timeout, ' +
      'cached, and fetched again for an unknown `kid` at most once a minute',
  })
  @IsPresentIfGiven()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  @NoSecret()
  jwks_uri?: string;

  @ApiProperty({
    example: 'https://github.com/acme',
    maxLength: 1024,
    description: "Compared exactly with the JWT's `aud` (or one of them)",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  @NoSecret()
  audience!: string;

  @ApiProperty({
    example: 'repo:acme/api:ref:refs/heads/*',
    maxLength: 1024,
    description:
      "The JWT's `sub`: exact, or a glob whose `*` stands for any run of characters but `:` " +
      '(so it never spans two fields of a structured subject). It may not start with `*`',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  @Matches(/^[^*]/, { message: 'subject must not start with *' })
  @NoSecret()
  subject!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { repository_owner: 'acme', environment: 'production' },
    description:
      'Other claims the JWT must carry, each with exactly this string value (at most 20; not ' +
      '`iss`, `sub`, `aud`, `exp`, `nbf`, `iat` or `jti`)',
  })
  @IsPresentIfGiven()
  @IsObject()
  claims?: Record<string, string>;

  @ApiProperty({
    type: [String],
    example: ['deploy:write'],
    maxItems: LIMITS.scopes,
    description:
      "What an exchanged token may do: within the machine identity's role and the calling " +
      "token's scopes. At least one",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LIMITS.scopes)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(LIMITS.scope, {
    each: true,
    message: `each scope must be at most ${LIMITS.scope} characters`,
  })
  @Matches(SCOPE_PATTERN, { each: true, message: 'each scope must match segment(:segment)*' })
  scopes!: string[];

  @ApiPropertyOptional({
    minimum: 60,
    maximum: MAX_TTL_SECONDS,
    default: 900,
    example: 900,
    description: "The exchanged token's longest life; it never outlives the JWT either",
  })
  @IsPresentIfGiven()
  @IsInt()
  @Min(60)
  @Max(MAX_TTL_SECONDS)
  max_ttl_seconds?: number;

  @ApiPropertyOptional({
    default: false,
    example: true,
    description:
      'The exchange must carry a DPoP proof (RFC 9449 §5): the token it gets is bound to the ' +
      "proof's key, and one without a proof is refused (invalid_dpop_proof)",
  })
  @IsPresentIfGiven()
  @IsBoolean()
  require_dpop?: boolean;
}

export class TrustRuleViewDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid', description: 'The machine identity' })
  identity_id!: string;
  @ApiProperty({ example: GITHUB_ISSUER })
  issuer!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: null })
  jwks!: JwksDocument | null;
  @ApiProperty({ type: String, nullable: true, example: `${GITHUB_ISSUER}/.well-known/jwks` })
  jwks_uri!: string | null;
  @ApiProperty({ example: 'https://github.com/acme' })
  audience!: string;
  @ApiProperty({ example: 'repo:acme/api:ref:refs/heads/*' })
  subject!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    example: { repository_owner: 'acme' },
  })
  claims!: Record<string, string> | null;
  @ApiProperty({ type: [String], example: ['deploy:write'] })
  scopes!: string[];
  @ApiProperty({ example: 900 })
  max_ttl_seconds!: number;
  @ApiProperty({ example: false })
  require_dpop!: boolean;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ example: 'owner@acme.test' })
  created_by!: string;

  static of(rule: TrustRule): TrustRuleViewDto {
    return {
      id: rule.id,
      identity_id: rule.identityId,
      issuer: rule.issuer,
      jwks: rule.jwks,
      jwks_uri: rule.jwksUri,
      audience: rule.audience,
      subject: rule.subject,
      claims: rule.claims,
      scopes: rule.scopes,
      max_ttl_seconds: rule.maxTtlSeconds,
      require_dpop: rule.requireDpop,
      created_at: rule.createdAt.toISOString(),
      created_by: rule.createdBy,
    };
  }
}
