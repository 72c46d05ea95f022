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
import { containsSecret } from '../secrets/secret-shape';

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

/**
 * Characters that end a line, or a cell, for some reader: the C0 and C1 controls (CR, LF, tab,
 * ESC…), DEL, and Unicode's line and paragraph separators. Text a caller writes and others read
 * (in the console, a CSV export, a log line, a consent screen) holds none of them.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Plain single-line text: no control character, no line or paragraph separator. */
export const SingleLine = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'singleLine',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !LINE_BREAKING.test(value),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be one line of plain text, without control characters ` +
            'or line separators',
          options,
        ),
      },
    },
    options,
  );

/** At most `max` bytes once written in UTF-8, as a column that counts bytes stores it. */
export const MaxBytes = (max: number, options?: ValidationOptions) =>
  neverThrowing(
    'maxBytes',
    (v) => typeof v === 'string' && Buffer.byteLength(v, 'utf8') <= max,
    `must be at most ${max} bytes in UTF-8`,
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
    // No example: Swagger UI would send it, and a maker that expires sooner refuses it (a token
    // never outlives the token that makes it).
    ApiPropertyOptional({ minimum: 1, maximum: 365, description }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(365),
  );

/**
 * RFC 3339's date-time, offset required (`Z` or `±hh:mm`): never a bare date, nor a local time
 * that each server would read in its own zone.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** The instant an RFC 3339 date-time with an offset names, or null: a day that does not exist
 * (2027-02-30) is null, where `Date` would roll it over into March. */
export function parseDateTime(text: string): Date | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return null;
  }
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The message of a date-time field that is not one. */
export const dateTimeMessage = (field: string) =>
  `${field} must be an RFC 3339 date-time with an offset (Z or ±hh:mm), such as ` +
  '2027-01-31T12:00:00Z, on a day that exists';

/** Turns an RFC 3339 date-time string into a Date; anything else is left for `@IsDate` to refuse. */
export const ToDate = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    return parseDateTime(value) ?? value;
  });
