import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  buildMessage,
  IsInt,
  IsOptional,
  isEmail,
  isUUID,
  Max,
  Min,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import type { IsEmailOptions } from 'validator/lib/isEmail';
import { containsSecret } from './secret-shape';

/**
 * A validator from validator.js that answers false where the library would throw (isEmail
 * throws a URIError on some ill-formed text), so odd input is a 422 for its field, never a 500.
 * The name is class-validator's own, so the 422's `type` stays the same.
 */
function neverThrowing(
  name: string,
  check: (value: unknown) => boolean,
  message: string,
  options?: ValidationOptions,
) {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => {
          try {
            return check(value);
          } catch {
            return false;
          }
        },
        defaultMessage: buildMessage((each) => `${each}$property ${message}`, options),
      },
    },
    options,
  );
}

/** The length PostgreSQL's varchar and JSON Schema count: code points, not UTF-16 units. */
export const codePoints = (text: string): number => [...text].length;

/**
 * `@MaxLength(n)` counted in code points. validator.js's own count skips U+FE0E and U+FE0F,
 * so text past a column's length would pass validation and fail the insert (a 500 on
 * PostgreSQL). The name is class-validator's, so the 422's `type` stays `string_too_long`.
 */
export const MaxLength = (max: number, options?: ValidationOptions) =>
  neverThrowing(
    'maxLength',
    (v) => typeof v === 'string' && codePoints(v) <= max,
    `must be shorter than or equal to ${max} characters`,
    options,
  );

/** `@MinLength(n)` counted in code points. */
export const MinLength = (min: number, options?: ValidationOptions) =>
  neverThrowing(
    'minLength',
    (v) => typeof v === 'string' && codePoints(v) >= min,
    `must be longer than or equal to ${min} characters`,
    options,
  );

/**
 * Free text that is stored (a name, a reason) must not hold a Latchkey token with a valid
 * checksum: the text would sit in the row, the append-only audit log and every export for good.
 * The pipe answers it 422 `SECRET_IN_TEXT`, without echoing the value.
 */
export const NoSecret = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'noSecret',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !containsSecret(value),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must not contain a token: nothing was stored. Revoke the token ` +
            'if it is real, and name it by its id or preview instead',
          options,
        ),
      },
    },
    options,
  );

/** `@IsEmail()`, refusing instead of throwing. */
export const SafeIsEmail = (emailOptions?: IsEmailOptions, options?: ValidationOptions) =>
  neverThrowing('isEmail', (v) => isEmail(v, emailOptions), 'must be an email', options);

/** `@IsUUID()`, refusing instead of throwing. */
export const SafeIsUUID = (options?: ValidationOptions) =>
  neverThrowing('isUuid', (v) => isUUID(v), 'must be a UUID', options);

/** Trims surrounding whitespace from a string field; other values are left for validation. */
export const Trim = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** `expires_in_days`: an optional token lifetime of 1 to 365 days. */
export const ExpiresInDaysProperty = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: 365, example: 30, description }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(365),
  );

/** Turns an ISO 8601 date-time string into a Date; anything else is left for `@IsDate` to refuse. */
export const ToDate = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return value;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date;
  });
