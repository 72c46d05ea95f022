import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_CIDR_LENGTH } from '../../common/validation/cidr';
import { EachCidr } from '../../common/validation/cidr-fields';
import {
  ALLOWED_CIDRS_MAX,
  AUDIENCE_LENGTH_MAX,
  AUDIENCES_MAX,
  RATE_LIMIT_PER_MINUTE_MAX,
} from '../../common/validation/byte-budget';
import { EachResourceUri } from '../../common/validation/resource-uri';

/**
 * `allowed_cidrs`, for create and rotate. Left out: the default (anywhere for a new token, the
 * predecessor's for a successor, within the calling token's own networks either way); `null`
 * asks for anywhere; an empty list is refused, since it would lock the token out everywhere.
 */
export const AllowedCidrsProperty = (leftOut: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: { type: 'string', maxLength: MAX_CIDR_LENGTH },
      minItems: 1,
      maxItems: ALLOWED_CIDRS_MAX,
      nullable: true,
      example: ['10.0.0.0/8', '2001:db8::/32'],
      description:
        `The networks the token may be used from (IPv4 or IPv6 CIDRs, at most ${ALLOWED_CIDRS_MAX}); ` +
        `a call from elsewhere is 403 IP_NOT_ALLOWED. Left out: ${leftOut}. null: anywhere. ` +
        "Never wider than the calling token's own.",
    }),
    IsOptional(),
    IsArray(),
    ArrayMinSize(1, { message: 'allowed_cidrs must not be empty: leave it out for anywhere' }),
    ArrayMaxSize(ALLOWED_CIDRS_MAX),
    IsString({ each: true }),
    MaxLength(MAX_CIDR_LENGTH, { each: true }),
    EachCidr(),
  );

/** `rate_limit_per_minute`, for create and rotate: the token's own limit, shared across instances. */
export const RateLimitProperty = (leftOut: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: 1,
      maximum: RATE_LIMIT_PER_MINUTE_MAX,
      nullable: true,
      description:
        'Requests per minute this token may make, beside its identity’s limit; the next is 429 ' +
        `with Retry-After. Left out: ${leftOut}. null: none. Never higher than the calling token's own, ` +
        'nor than the identity’s limit (RATE_LIMIT_IDENTITY_PER_MINUTE) when one is set.',
    }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(RATE_LIMIT_PER_MINUTE_MAX),
  );

/** An RFC 7638 SHA-256 thumbprint: 32 bytes in base64url, no padding. */
export const JKT_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** `dpop_jkt`, for create and rotate: the key a token is bound to (RFC 9449 §6). */
export const DpopJktProperty = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'string',
      pattern: JKT_PATTERN.source,
      example: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
      description: `The JWK SHA-256 thumbprint (RFC 7638) of the key. ${description}`,
    }),
    IsOptional(),
    IsString(),
    Matches(JKT_PATTERN, {
      message: 'dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)',
    }),
  );

/**
 * `audiences`, for create and rotate: the resources the token may be used at (RFC 8707). Left
 * out: the default (the predecessor's, or the calling token's own); null asks for anywhere.
 */
export const AudiencesProperty = (leftOut: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: { type: 'string', format: 'uri', maxLength: AUDIENCE_LENGTH_MAX },
      minItems: 1,
      maxItems: AUDIENCES_MAX,
      nullable: true,
      example: ['https://api.example.com'],
      description:
        `The resources (absolute http(s) URIs, at most ${AUDIENCES_MAX}) the token may be used at: ` +
        'a gateway serving another (X-Latchkey-Resource) refuses it 401, and so does the API ' +
        `itself unless its PUBLIC_BASE_URL is listed. Left out: ${leftOut}. null: anywhere. ` +
        "Never wider than the calling token's own.",
    }),
    IsOptional(),
    IsArray(),
    ArrayMinSize(1, { message: 'audiences must not be empty: leave it out for anywhere' }),
    ArrayMaxSize(AUDIENCES_MAX),
    IsString({ each: true }),
    MaxLength(AUDIENCE_LENGTH_MAX, { each: true }),
    EachResourceUri(),
  );
