import { ApiProperty } from '@nestjs/swagger';
import type { ApiToken, JsonObject, TokenOrigin } from '../store/entities/api-token.entity';
import { TOKEN_STATUSES, TokenStatus, tokenStatus } from '../token-status';
import { RefillDto } from './token-uses-fields';
import { remainingAt, usesOfRow } from '../usage/uses/token-uses';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A window of requests per minute that a token shares with the limited token that made it. */
export interface SharedRateLimitView {
  token_id: string;
  per_minute: number;
}

/**
 * A token as the API shows it: never the secret, never the hash. Here in auth, with the
 * credential's shape, because tenancy's answers (a new member's first token) embed it too.
 */
export class TokenViewDto {
  @ApiProperty({ format: 'uuid', example: '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10' })
  id!: string;
  @ApiProperty({ example: '4f9c2a7d1e0b4c6a8f3e2d1c0b9a8f7e' })
  jti!: string;
  @ApiProperty({ example: 'ci-deploy' })
  name!: string;
  @ApiProperty({ example: 'lk_ab12…wxyz' })
  preview!: string;
  @ApiProperty({ type: [String], nullable: true, example: ['audit:read'] })
  scopes!: string[] | null;
  @ApiProperty({
    enum: TOKEN_STATUSES,
    example: 'active',
    description:
      '`disabled`: paused, refused (401 TOKEN_DISABLED) until enabled; an ended token is ' +
      '`expired` or `revoked`, paused or not',
  })
  status!: TokenStatus;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Null for a platform token',
  })
  business_id!: string | null;
  @ApiProperty({ format: 'uuid' })
  identity_id!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ example: 'owner@acme.test' })
  created_by!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Null: no expiry',
  })
  expires_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_used_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  revoked_at!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  revoked_by!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null })
  revocation_reason!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: null })
  rotated_from_id!: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: null,
    description:
      'Its successor, once it was rotated: a token retiring through a grace period is still ' +
      'active, and rotating it again is 409 TOKEN_ALREADY_ROTATED. null: never rotated',
  })
  rotated_to_id!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description:
      'The JWK thumbprint of the key it is bound to (RFC 9449): each use needs a DPoP proof ' +
      'signed by that key. null: a bearer token',
  })
  dpop_jkt!: string | null;
  @ApiProperty({
    type: [String],
    nullable: true,
    example: null,
    description:
      'The resources (RFC 8707 URIs) the token may be used at: a gateway that names another ' +
      '(X-Latchkey-Resource) refuses it, and the API itself only when PUBLIC_BASE_URL is ' +
      'among them. null: anywhere',
  })
  audiences!: string[] | null;
  @ApiProperty({
    type: [String],
    nullable: true,
    example: ['10.0.0.0/8'],
    description: 'The networks the token may be used from; null: anywhere',
  })
  allowed_cidrs!: string[] | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'Requests per minute of its own; null: none beyond its identity’s',
  })
  rate_limit_per_minute!: number | null;
  // An inline schema, not a DTO class: OpenAPI 3.0 cannot make a $ref nullable, and the spec's
  // lint holds every example (null here) to its schema.
  @ApiProperty({
    type: 'object',
    nullable: true,
    example: null,
    required: ['token_id', 'per_minute'],
    properties: {
      token_id: {
        type: 'string',
        format: 'uuid',
        description: 'The limited token whose window this is (the first of a line of makers)',
      },
      per_minute: {
        type: 'integer',
        example: 60,
        description: 'Requests per minute, all together',
      },
    },
    description:
      'The window of the limited token that made or rotated this one, which its requests are ' +
      'counted in as well as its own, so made and rotated tokens never add to their maker’s ' +
      'limit; null: none',
  })
  shared_rate_limit!: SharedRateLimitView | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description:
      'When the token was disabled: it is refused (401 TOKEN_DISABLED) until enabled, and its ' +
      'status reads `disabled` unless it has ended; null: not disabled',
  })
  disabled_at!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Who disabled it' })
  disabled_by!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why it was disabled' })
  disabled_reason!: string | null;
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    example: { team: 'payments' },
    description: 'Your own data about the token, as set at create or by PATCH; null: none',
  })
  meta!: JsonObject | null;
  @ApiProperty({
    type: String,
    enum: ['federation', 'import', 'console-sso', 'oauth', null],
    nullable: true,
    example: null,
    description:
      '`federation` for a token the RFC 8693 exchange made for a workload (it makes no token); ' +
      '`import` for a key brought from another service by its hash (POST /api/v1/tokens/import); ' +
      '`console-sso` for a console session made by sign-in through the identity provider; ' +
      '`oauth` for an access token the authorization code flow issued to a connected app; ' +
      'null for every other token',
  })
  origin!: TokenOrigin | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 1000,
    description: 'How many requests it may make (per refill, with a refill); null: no limit',
  })
  uses_limit!: number | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 997,
    description:
      'The uses it has left; at 0 it is refused with 429 USES_EXHAUSTED until its next refill. ' +
      'Null: no limit',
  })
  uses_remaining!: number | null;
  // Inline, as shared_rate_limit, so that it can be null.
  @ApiProperty({
    type: 'object',
    nullable: true,
    example: null,
    required: ['interval', 'amount'],
    properties: {
      interval: { type: 'string', enum: ['daily', 'monthly'], example: 'daily' },
      amount: { type: 'integer', example: 1000 },
    },
    description: 'Sets the uses left back to amount at the start of each UTC day or month',
  })
  refill!: RefillDto | null;

  /**
   * The view of a stored token; `usesRemaining` is what the caller knows better than the row
   * (a process's held uses, a request's own count), else the row's count.
   */
  static of(
    token: Readonly<ApiToken>,
    now = new Date(),
    usesRemaining = storedRemaining(token, now),
  ): TokenViewDto {
    return {
      id: token.id,
      jti: token.jti,
      name: token.name,
      preview: token.preview,
      scopes: token.scopes,
      status: tokenStatus(token, now),
      business_id: token.businessId,
      identity_id: token.identityId,
      created_at: token.createdAt.toISOString(),
      created_by: token.createdBy,
      expires_at: iso(token.expiresAt),
      last_used_at: iso(token.lastUsedAt),
      revoked_at: iso(token.revokedAt),
      revoked_by: token.revokedBy,
      revocation_reason: token.revocationReason,
      rotated_from_id: token.rotatedFromId,
      rotated_to_id: token.rotatedToId ?? null,
      dpop_jkt: token.dpopJkt ?? null,
      audiences: token.audiences ?? null,
      allowed_cidrs: token.allowedCidrs ?? null,
      rate_limit_per_minute: token.rateLimitPerMinute ?? null,
      shared_rate_limit:
        token.sharedLimitId && token.sharedLimitPerMinute
          ? { token_id: token.sharedLimitId, per_minute: token.sharedLimitPerMinute }
          : null,
      disabled_at: iso(token.disabledAt ?? null),
      disabled_by: token.disabledBy ?? null,
      disabled_reason: token.disabledReason ?? null,
      meta: (token.meta as JsonObject | null) ?? null,
      origin: token.origin ?? null,
      uses_limit: token.usesLimit ?? null,
      uses_remaining: usesRemaining,
      refill:
        token.refillInterval && token.refillAmount
          ? { interval: token.refillInterval, amount: token.refillAmount }
          : null,
    };
  }
}

/** The uses a stored row has left at `now` (a due refill counted), or null for no limit. */
function storedRemaining(token: Readonly<ApiToken>, now: Date): number | null {
  const uses = usesOfRow(token);
  return uses && remainingAt(uses, now.getTime());
}

/** A token's entry in a Token Status List (draft-ietf-oauth-status-list, section 6.1). */
export class StatusListReferenceDto {
  @ApiProperty({ type: 'integer', example: 17, description: 'The index of its status in the list' })
  idx!: number;
  @ApiProperty({
    example: 'https://latchkey.example.com/status-lists/1b3c8f0e-2d4a-4c51-9e0f-6a7b8c9d0e1f',
    description: 'The list: GET it (public) for the signed list, and read the 2 bits at `idx`',
  })
  uri!: string;
}

/** One token, with where its status is published for relying parties that check offline. */
export class TokenDetailDto extends TokenViewDto {
  @ApiProperty({
    type: StatusListReferenceDto,
    nullable: true,
    description: "The token's entry in its business's status list (docs/edge.md); null: none",
  })
  status_list!: StatusListReferenceDto | null;
}

/** A token view plus its secret, which is shown in this one response and never again. */
export class IssuedTokenDto extends TokenViewDto {
  @ApiProperty({
    description: 'The secret. Shown once: store it now.',
    example: 'lk_3xAmpLeRandomPart0123456789abQ1w2E3',
  })
  token!: string;

  static issued(secret: string, token: Readonly<ApiToken>): IssuedTokenDto {
    return { token: secret, ...TokenViewDto.of(token) };
  }
}
