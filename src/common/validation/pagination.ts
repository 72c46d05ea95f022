import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { RequestValidationError } from '../errors/domain-error';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50, example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page', example: undefined })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** A keyset position: the sort key and the id of the last row of the previous page. */
export interface Keyset {
  at: string;
  id: string;
}

export function encodeCursor(key: Keyset): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

/** Every list keys its rows by a uuid. */
const CURSOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/**
 * `Date.toISOString()` of a year 1 to 9999, as `encodeCursor` writes it: within what both
 * databases store (PostgreSQL's timestamptz starts at 4713 BC), and round-trip exact.
 */
const CURSOR_AT = /^(?!0000)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** True for a real instant written as `toISOString()` writes it (no 2026-02-31). */
function roundTrips(iso: string): boolean {
  const time = Date.parse(iso);
  return !Number.isNaN(time) && new Date(time).toISOString() === iso;
}

/**
 * The keyset a cursor holds. A cursor that does not decode to exactly what `encodeCursor`
 * wrote (two strings: an ISO timestamp and a uuid) is 422 INVALID_CURSOR, before any query:
 * a tampered one must not reach the database, whose errors differ by driver.
 */
export function decodeCursor(cursor: string | undefined): Keyset | null {
  if (cursor === undefined) return null;
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // not JSON: refused below
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    typeof parsed[1] === 'string' &&
    CURSOR_AT.test(parsed[0]) &&
    roundTrips(parsed[0]) &&
    CURSOR_ID.test(parsed[1]) &&
    encodeCursor({ at: parsed[0], id: parsed[1] }) === cursor
  ) {
    return { at: parsed[0], id: parsed[1] };
  }
  throw invalidCursor();
}

/** The 422 of a cursor that does not decode to what its list wrote. */
export function invalidCursor(): RequestValidationError {
  return new RequestValidationError(
    [{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }],
    'INVALID_CURSOR',
  );
}

/** True for a cursor's instant as `encodeCursor` writes it, and a uuid as the lists key rows. */
export const isCursorInstant = (text: string): boolean => CURSOR_AT.test(text) && roundTrips(text);
export const isCursorId = (text: string): boolean => CURSOR_ID.test(text);

/** How a list writes and reads its cursors; `decode` throws INVALID_CURSOR for anything else. */
export interface CursorCodec<K> {
  encode(key: K): string;
  decode(cursor: string | undefined): K | null;
}

/** The cursor of the lists in creation order (and any other keyed by a non-null instant). */
export const KEYSET_CURSOR: CursorCodec<Keyset> = { encode: encodeCursor, decode: decodeCursor };

/** A keyset position whose sort key may be null: rows without one sort first. */
export interface NullableKeyset {
  at: string | null;
  id: string;
}

/**
 * The cursor of a list sorted by a nullable instant, named by its sort: three elements where the
 * creation-order cursor has two, and the sort's name first, so a cursor of one sort given to
 * another is INVALID_CURSOR, never a page from the wrong place.
 */
export function nullableKeysetCursor(sort: string): CursorCodec<NullableKeyset> {
  const encode = (key: NullableKeyset) =>
    Buffer.from(JSON.stringify([sort, key.at, key.id])).toString('base64url');
  return {
    encode,
    decode(cursor) {
      if (cursor === undefined) return null;
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        // not JSON: refused below
      }
      if (
        Array.isArray(parsed) &&
        parsed.length === 3 &&
        parsed[0] === sort &&
        (parsed[1] === null || (typeof parsed[1] === 'string' && isCursorInstant(parsed[1]))) &&
        typeof parsed[2] === 'string' &&
        isCursorId(parsed[2])
      ) {
        const key = { at: parsed[1] as string | null, id: parsed[2] };
        if (encode(key) === cursor) return key;
      }
      throw invalidCursor();
    },
  };
}

/** The keyset of a row listed in creation order. */
export function createdKey(row: { createdAt: Date; id: string }): Keyset {
  return { at: row.createdAt.toISOString(), id: row.id };
}

/**
 * One page of a keyset list: `fetch` reads `limit + 1` rows after the cursor's position, and
 * the extra row, when there is one, says a next page exists.
 */
export function paginate<R, T>(
  query: PageQueryDto,
  fetch: (limit: number, after: Keyset | null) => Promise<R[]>,
  keyOf: (row: R) => Keyset,
  view: (row: R) => T,
): Promise<Page<T>> {
  return paginateWith(KEYSET_CURSOR, query, fetch, keyOf, view);
}

/** `paginate` with a cursor of another shape: a list that sorts by another key. */
export async function paginateWith<K, R, T>(
  codec: CursorCodec<K>,
  query: PageQueryDto,
  fetch: (limit: number, after: K | null) => Promise<R[]>,
  keyOf: (row: R) => K,
  view: (row: R) => T,
): Promise<Page<T>> {
  const limit = query.limit ?? 50;
  const rows = await fetch(limit, codec.decode(query.cursor));
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return {
    items: items.map(view),
    next_cursor: more ? codec.encode(keyOf(items[items.length - 1])) : null,
  };
}
