import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional } from 'class-validator';
import type { ApiToken } from '../store/entities/api-token.entity';
import type { TokenViewDto } from './token-view.dto';

/**
 * The stored columns each field of a token view is read from: what a list asked for some fields
 * (`?fields=`) must read. The compiler holds it to the view: a field added to `TokenViewDto`
 * and not here fails the typecheck.
 */
export const TOKEN_VIEW_COLUMNS = {
  id: ['id'],
  jti: ['jti'],
  name: ['name'],
  preview: ['preview'],
  scopes: ['scopes'],
  status: ['revokedAt', 'expiresAt', 'disabledAt'],
  business_id: ['businessId'],
  identity_id: ['identityId'],
  created_at: ['createdAt'],
  created_by: ['createdBy'],
  expires_at: ['expiresAt'],
  last_used_at: ['lastUsedAt'],
  revoked_at: ['revokedAt'],
  revoked_by: ['revokedBy'],
  revocation_reason: ['revocationReason'],
  rotated_from_id: ['rotatedFromId'],
  rotated_to_id: ['rotatedToId'],
  dpop_jkt: ['dpopJkt'],
  audiences: ['audiences'],
  allowed_cidrs: ['allowedCidrs'],
  rate_limit_per_minute: ['rateLimitPerMinute'],
  shared_rate_limit: ['sharedLimitId', 'sharedLimitPerMinute'],
  disabled_at: ['disabledAt'],
  disabled_by: ['disabledBy'],
  disabled_reason: ['disabledReason'],
  meta: ['meta'],
  origin: ['origin'],
  uses_limit: ['usesLimit'],
  uses_remaining: [
    'id',
    'usesLimit',
    'usesRemaining',
    'usesPeriod',
    'refillInterval',
    'refillAmount',
  ],
  refill: ['refillInterval', 'refillAmount'],
} as const satisfies Record<keyof TokenViewDto, readonly (keyof ApiToken)[]>;

export type TokenViewField = keyof typeof TOKEN_VIEW_COLUMNS;
export const TOKEN_VIEW_FIELDS = Object.keys(TOKEN_VIEW_COLUMNS) as readonly TokenViewField[];

/** A view with only the fields asked for, and its `id` always: what a sparse list item is. */
export type SparseTokenView = Partial<TokenViewDto> & Pick<TokenViewDto, 'id'>;

/** The fields of `view` that were asked for, in the view's own order, `id` first. */
export function pickTokenFields(
  view: TokenViewDto,
  fields: readonly TokenViewField[],
): SparseTokenView {
  const sparse: Record<string, unknown> = { id: view.id };
  for (const field of fields) sparse[field] = view[field];
  return sparse as SparseTokenView;
}

/** The columns the fields are read from, with the list's keyset columns, which every page reads. */
export function columnsOfFields(fields: readonly TokenViewField[]): Set<keyof ApiToken> {
  const columns = new Set<keyof ApiToken>(['id', 'createdAt', 'lastUsedAt']);
  for (const field of fields) for (const column of TOKEN_VIEW_COLUMNS[field]) columns.add(column);
  return columns;
}

/**
 * `?fields=name,status` (or the parameter repeated): the field names, each once, in the view's
 * own order, so that two spellings of one set read and answer alike. Anything else (an unknown
 * name, an empty entry) is left in the list for `@IsIn` to refuse with the field's location.
 */
export const ToTokenFields = () =>
  Transform(({ value }: { value: unknown }) => {
    const text = Array.isArray(value) ? value.join(',') : value;
    return typeof text === 'string'
      ? (tokenFieldsOf(text) ?? text.split(',').map((f) => f.trim()))
      : text;
  });

const KNOWN_FIELDS = new Set<string>(TOKEN_VIEW_FIELDS);

/** `fields=` text as the view's fields in its own order, each once; undefined if one is unknown. */
export function tokenFieldsOf(text: string): TokenViewField[] | undefined {
  const asked = text.split(',').map((f) => f.trim());
  if (!asked.every((f) => KNOWN_FIELDS.has(f))) return undefined;
  return TOKEN_VIEW_FIELDS.filter((f) => asked.includes(f));
}

/**
 * A list's `fields` parameter: the view's fields to answer with (`id` always among them), read
 * from the columns they need alone when the list can (docs/tokens.md). Repeated or
 * comma-separated; an unknown name is 422.
 */
export const TokenFieldsParam = () =>
  applyDecorators(
    // No example: Swagger UI would send it, and a reader would see a list cut short.
    ApiPropertyOptional({
      type: [String],
      enum: TOKEN_VIEW_FIELDS,
      description:
        'Only these fields of each token (`id` always), e.g. `fields=name,status,last_used_at`: ' +
        'a lighter page, as the console asks for its tables. Comma-separated or repeated',
    }),
    IsOptional(),
    ToTokenFields(),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(TOKEN_VIEW_FIELDS.length),
    IsIn(TOKEN_VIEW_FIELDS, {
      each: true,
      message: `each of fields must be one of: ${TOKEN_VIEW_FIELDS.join(', ')}`,
    }),
  );
