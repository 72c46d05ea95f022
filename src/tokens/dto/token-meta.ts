import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { buildMessage, IsOptional, ValidateBy } from 'class-validator';
import { containsSecret } from '../../common/secrets/secret-shape';
import type { JsonObject } from '../store/entities/api-token.entity';

/** A token's `meta`: a JSON object of at most this many bytes (UTF-8, as sent compact). */
export const META_MAX_BYTES = 4096;
/** Levels of objects and arrays, the outer object included. */
export const META_MAX_DEPTH = 4;
export const META_MAX_KEY_LENGTH = 64;

export type TokenMeta = JsonObject;

const isPlainObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why `value` is no acceptable `meta`, or null when it is one. */
export function metaProblem(value: unknown): string | null {
  if (!isPlainObject(value)) return 'must be a JSON object';
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > META_MAX_BYTES) {
    return `must be at most ${META_MAX_BYTES} bytes as compact JSON (it is ${bytes})`;
  }
  return shapeProblem(value, 1);
}

function shapeProblem(value: unknown, depth: number): string | null {
  if (typeof value !== 'object' || value === null) return null;
  if (depth > META_MAX_DEPTH) return `must be at most ${META_MAX_DEPTH} levels deep`;
  const entries = Array.isArray(value) ? value.map((v) => ['', v] as const) : Object.entries(value);
  for (const [key, inner] of entries) {
    if ([...key].length > META_MAX_KEY_LENGTH) {
      return `must have keys of at most ${META_MAX_KEY_LENGTH} characters`;
    }
    const problem = shapeProblem(inner, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** Whether any key or string anywhere in `value` holds a Latchkey token. */
export function metaHoldsSecret(value: unknown): boolean {
  if (typeof value === 'string') return containsSecret(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(metaHoldsSecret);
  return Object.entries(value).some(([k, v]) => containsSecret(k) || metaHoldsSecret(v));
}

/**
 * `meta` on create and PATCH: an object within the bounds above (null clears it on PATCH), whose
 * keys and strings hold no token (422 `SECRET_IN_TEXT`, the `noSecret` constraint, so the pipe
 * neither echoes nor stores it).
 */
export const MetaProperty = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      nullable: true,
      additionalProperties: true,
      example: { team: 'payments', ticket: 'OPS-1234' },
      description:
        `${description}. A JSON object of at most ${META_MAX_BYTES} bytes and ` +
        `${META_MAX_DEPTH} levels, with keys of at most ${META_MAX_KEY_LENGTH} characters; ` +
        'shown in the view and in introspection, never written to a log line',
    }),
    IsOptional(),
    ValidateBy({
      name: 'isTokenMeta',
      validator: {
        validate: (value: unknown) => metaProblem(value) === null,
        defaultMessage: buildMessage(
          (each, args) => `${each}$property ${metaProblem(args?.value) ?? 'is invalid'}`,
        ),
      },
    }),
    ValidateBy({
      name: 'noSecret',
      validator: {
        validate: (value: unknown) => !metaHoldsSecret(value),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must not contain a token: nothing was stored. Revoke the token ` +
            'if it is real',
        ),
      },
    }),
  );
