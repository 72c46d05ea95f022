import { findDuplicateKey } from '../../common/validation/json-keys';
import { AUDIT_COLUMNS, COLUMN } from './audit-fields';
import { canonicalJson, plainCanonical } from './canonical-json';

/**
 * An audit event as the driver returns it, without entity hydration: one value per column of
 * `AUDIT_ROW_COLUMNS`, in that order. PostgreSQL's are raw text (no type parsers); SQLite's are
 * what better-sqlite3 returns (`seq` a number, `occurred_at` TypeORM's UTC text).
 *
 * Walks of a whole chain (verify, export) read and format millions of these: the codec
 * (`audit-codec.ts`) writes the canonical form, the NDJSON line or the CSV record straight from
 * the row, reading each typed column here, with no entity, view object or JSON round trip.
 */
export type AuditRow = unknown[];

/** The columns of an `AuditRow`, in order: the fields of AUDIT_FIELDS. */
export const AUDIT_ROW_COLUMNS = AUDIT_COLUMNS;

/** Which driver a row came from: it decides how `seq` and `occurred_at` read. */
export type RowDialect = 'postgres' | 'sqlite';

const SEQ = COLUMN.seq;
const OCCURRED_AT = COLUMN.occurred_at;
const METADATA = COLUMN.metadata;

/** The event's `seq`, as the entity path's `Number(seq)`. */
export function seqOf(row: AuditRow): number {
  return Number(row[SEQ]);
}

/** `occurred_at` as `toISOString()` writes it, for a row of either driver. */
export function instantOf(row: AuditRow, dialect: RowDialect): string {
  const value = row[OCCURRED_AT];
  return dialect === 'postgres' ? pgInstant(value) : sqliteInstant(value);
}

let pgTimestamptz: ((text: string) => Date) | undefined;

/**
 * node-postgres's own timestamptz parser, required on first use: only a PostgreSQL row needs it,
 * and a process on SQLite (the CLI's default) then never loads pg.
 */
function parsePgTimestamptz(text: string): Date {
  if (!pgTimestamptz) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    const { types } = require('pg') as typeof import('pg');
    pgTimestamptz = types.getTypeParser(types.builtins.TIMESTAMPTZ, 'text') as (t: string) => Date;
  }
  return pgTimestamptz(text);
}

/**
 * PostgreSQL's text of a timestamptz in the ISO DateStyle, at UTC, is
 * `YYYY-MM-DD hh:mm:ss[.f]+00`, with the trailing zeros of the fraction dropped. That shape maps
 * to the ISO string directly; anything else (another time zone, microseconds, a year outside
 * 1000 to 9999) goes through node-postgres's own parser, as the entity path does.
 */
export function pgInstant(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = value as string;
  const n = text.length;
  if (
    n >= 22 &&
    n <= 26 &&
    n !== 23 &&
    text.charCodeAt(4) === 45 /* - */ &&
    text.charCodeAt(10) === 32 /*   */ &&
    text.charCodeAt(n - 3) === 43 /* + */ &&
    text.charCodeAt(n - 2) === 48 /* 0 */ &&
    text.charCodeAt(n - 1) === 48 /* 0 */ &&
    text.charCodeAt(0) !== 48 /* a year from 1000 */
  ) {
    if (n === 22) return `${text.slice(0, 10)}T${text.slice(11, 19)}.000Z`;
    if (text.charCodeAt(19) === 46 /* . */) {
      const fraction = text.slice(20, n - 3);
      return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction.padEnd(3, '0')}Z`;
    }
  }
  return parsePgTimestamptz(text).toISOString();
}

/** The last calendar date that `sqliteInstant` found real, so most rows skip the check. */
let knownDate = '';

/**
 * TypeORM writes a date to SQLite as UTC text, `YYYY-MM-DD hh:mm:ss.SSS`, which the entity path
 * reads with `new Date(text with T and Z)`. A real instant in that shape maps to the ISO string
 * directly; anything else (an impossible date, which `Date` would roll over, or another shape)
 * takes the entity path's own reading.
 */
export function sqliteInstant(value: unknown): string {
  if (typeof value === 'string' && value.length === 23 && SQLITE_TIME.test(value)) {
    const date = value.slice(0, 10);
    if (date === knownDate || realDate(date)) {
      knownDate = date;
      return `${date}T${value.slice(11)}Z`;
    }
  }
  return sqliteDate(value).toISOString();
}

const SQLITE_TIME = /^\d{4}-\d\d-\d\d (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}$/;

function realDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00.000Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

/** PostgreSQL hands back a Date; SQLite the UTC text TypeORM wrote (`YYYY-MM-DD hh:mm:ss.SSS`). */
export function sqliteDate(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
}

/**
 * The stored metadata in canonical form. The log stores `canonicalJson(metadata)`, so the text is
 * used as it is when it cannot change under a parse and a canonical write (`plainCanonical`);
 * text that might not hold it (a row written by hand) is parsed and rewritten, as the entity path
 * does.
 */
export function canonicalMetadata(text: unknown): string {
  if (typeof text === 'string' && plainCanonical(text)) return text;
  return canonicalJson(JSON.parse(text as string));
}

/** A key that may be an array index: an object lists those first, in numeric order. */
const INDEX_KEY = /[{,]"\d/;

/**
 * The stored metadata as the event's view writes it, `JSON.stringify(JSON.parse(text))`, with no
 * parse when that would give the text back: plain canonical text whose keys cannot be array
 * indexes. JSON.parse internalizes short string values, and V8 makes internalized strings in
 * the old space, where they stay until a full collection: a million exported events with one
 * short unique value each grew the heap by about 40 MB (docs/performance.md).
 */
export function viewMetadataJson(text: unknown): string {
  if (typeof text === 'string' && plainCanonical(text) && !INDEX_KEY.test(text)) return text;
  return JSON.stringify(JSON.parse(text as string));
}

/**
 * True when the row's metadata holds a key twice in one object: its canonical form would keep one
 * of them, and readers disagree on which, so such a row never verifies. Metadata that passes the
 * fast path has strictly increasing keys, so only the rest is scanned.
 */
export function metadataHasDuplicateKey(row: AuditRow): boolean {
  const text = row[METADATA];
  return typeof text === 'string' && !plainCanonical(text) && findDuplicateKey(text) !== null;
}
