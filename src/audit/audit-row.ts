import { types } from 'pg';
import { AUDIT_COLUMNS, csvCell as cell, oneLine } from './audit-export';
import { findDuplicateKey } from '../common/json-keys';
import type { AuditEventView } from './audit-entry';
import { canonicalJson } from './canonical-json';

/**
 * An audit event as the driver returns it, without entity hydration: one value per column of
 * `AUDIT_ROW_COLUMNS`, in that order. PostgreSQL's are raw text (no type parsers); SQLite's are
 * what better-sqlite3 returns (`seq` a number, `occurred_at` TypeORM's UTC text).
 *
 * Walks of a whole chain (verify, export) read and format millions of these: building the
 * canonical form, the NDJSON line or the CSV record straight from the row skips an entity, a
 * view object and a JSON round trip per event. Each function here is byte for byte what the
 * entity path (`auditView`, then `canonicalEvent`, `ndjsonLine` or `csvLine`) writes for the same
 * row, on either driver; `audit-row.spec.ts` holds them equal.
 */
export type AuditRow = unknown[];

/** The columns of an `AuditRow`, in order: an audit event's fields in export order. */
export const AUDIT_ROW_COLUMNS = AUDIT_COLUMNS;

export const ID = 0;
export const SEQ = 1;
const BUSINESS_ID = 2;
export const OCCURRED_AT = 3;
const ACTION = 4;
const OUTCOME = 5;
const ACTOR_ID = 6;
const ACTOR_TYPE = 7;
const ACTOR_LABEL = 8;
const ACTOR_TOKEN_ID = 9;
const ISSUED_BY_ID = 10;
const ISSUED_BY_LABEL = 11;
const ORIGIN = 12;
const TARGET_TYPE = 13;
const TARGET_ID = 14;
const TARGET_LABEL = 15;
const REQUEST_ID = 16;
const IP = 17;
const USER_AGENT = 18;
const METADATA = 19;
export const PREV_HASH = 20;
export const HASH = 21;

/** Which driver a row came from: it decides how `seq` and `occurred_at` read. */
export type RowDialect = 'postgres' | 'sqlite';

const str = JSON.stringify;

/** What `JSON.stringify` escapes in a string (a lone surrogate included, so any surrogate here). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(value)`, about twice as fast for the common string that needs no escape. */
function q(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' && !NEEDS_ESCAPE.test(value)
    ? `"${value}"`
    : JSON.stringify(value);
}

/** The last text quoted per column, and its quoting: along a chain most columns repeat. */
const lastText: unknown[] = [];
const lastQuoted: string[] = [];

/** `JSON.stringify(row[column])`, remembering the column's last text. */
function qc(row: AuditRow, column: number): string {
  const value = row[column];
  if (typeof value !== 'string') return q(value);
  if (value === lastText[column]) return lastQuoted[column];
  const quoted = q(value);
  lastText[column] = value;
  lastQuoted[column] = quoted;
  return quoted;
}

/** The event's `seq`, as the entity path's `Number(seq)`. */
export function seqOf(row: AuditRow): number {
  return Number(row[SEQ]);
}

/** `occurred_at` as `toISOString()` writes it, for a row of either driver. */
export function instantOf(row: AuditRow, dialect: RowDialect): string {
  const value = row[OCCURRED_AT];
  return dialect === 'postgres' ? pgInstant(value) : sqliteInstant(value);
}

const pgTimestamptz = types.getTypeParser(types.builtins.TIMESTAMPTZ, 'text') as (
  text: string,
) => Date;

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
  return pgTimestamptz(text).toISOString();
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
 * used as it is when it cannot change under a parse and a canonical write: no whitespace, no
 * escape but the ones `JSON.stringify` writes, keys in order. Text that any of this might not
 * hold for (a row written by hand) is parsed and rewritten, as the entity path does.
 */
/**
 * True when the row's metadata holds a key twice in one object: its canonical form would keep one
 * of them, and readers disagree on which, so such a row never verifies. Metadata that passes the
 * fast path has strictly increasing keys, so only the rest is scanned.
 */
export function metadataHasDuplicateKey(row: AuditRow): boolean {
  const text = row[METADATA];
  return typeof text === 'string' && !plainCanonical(text) && findDuplicateKey(text) !== null;
}

function canonicalMetadata(value: unknown): string {
  const text = value as string;
  if (typeof text === 'string' && plainCanonical(text)) return text;
  return canonicalJson(JSON.parse(value as string));
}

/**
 * True when `text` is certainly `canonicalJson(JSON.parse(text))`: a flat object whose keys are
 * strictly increasing and hold no escape, and whose values are strings without escapes or
 * control characters, `null`, `true`, `false`, or integers without sign, leading zero or
 * exponent. That is the shape of nearly every event's metadata; the rest takes the long way.
 */
export function plainCanonical(text: string): boolean {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(n - 1) !== 125 /* } */) {
    return false;
  }
  if (n === 2) return true;
  let i = 1;
  let previousKey: string | null = null;
  for (;;) {
    // "key"
    if (text.charCodeAt(i) !== 34) return false;
    const keyEnd = plainStringEnd(text, i + 1);
    if (keyEnd < 0) return false;
    const key = text.slice(i + 1, keyEnd);
    if (previousKey !== null && !(previousKey < key)) return false;
    previousKey = key;
    i = keyEnd + 1;
    if (text.charCodeAt(i) !== 58 /* : */) return false;
    i++;
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const end = plainStringEnd(text, i + 1);
      if (end < 0) return false;
      i = end + 1;
    } else if (c === 110 /* n */ && text.startsWith('null', i)) {
      i += 4;
    } else if (c === 116 /* t */ && text.startsWith('true', i)) {
      i += 4;
    } else if (c === 102 /* f */ && text.startsWith('false', i)) {
      i += 5;
    } else if (c === 48 /* 0 */) {
      i++;
    } else if (c >= 49 && c <= 57 /* 1-9 */) {
      // At most 15 digits: every such integer is exact in a double, so it prints as written.
      const start = i;
      do i++;
      while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57);
      if (i - start > 15) return false;
    } else {
      return false;
    }
    const next = text.charCodeAt(i);
    if (next === 125 /* } */) return i === n - 1;
    if (next !== 44 /* , */) return false;
    i++;
  }
}

/**
 * The index of the quote closing a string that starts at `from`, when the string holds no
 * backslash, no control character and no surrogate (so `JSON.stringify` would write it as it
 * is); -1 otherwise.
 */
function plainStringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i;
    if (c === 92 || c < 32 || (c >= 0xd800 && c <= 0xdfff)) return -1;
  }
  return -1;
}

/** `canonicalEvent(auditView(row))`: what the chain hashes after `prev_hash`. */
export function canonicalRow(row: AuditRow, dialect: RowDialect): string {
  const tokenId = row[ACTOR_TOKEN_ID];
  let actorMiddle: string;
  let actorTail: string;
  if (tokenId === null) {
    actorMiddle = '';
    actorTail = '';
  } else {
    const label = row[ISSUED_BY_LABEL];
    actorMiddle =
      label === null
        ? '"issued_by":null,'
        : `"issued_by":{"id":${qc(row, ISSUED_BY_ID)},"label":${qc(row, ISSUED_BY_LABEL)}},`;
    actorTail = `"token_id":${qc(row, ACTOR_TOKEN_ID)},`;
  }
  const origin = row[ORIGIN];
  return (
    `{"action":${qc(row, ACTION)},` +
    `"actor":{"id":${qc(row, ACTOR_ID)},${actorMiddle}"label":${qc(row, ACTOR_LABEL)},${actorTail}` +
    `"type":${qc(row, ACTOR_TYPE)}},` +
    `"business_id":${qc(row, BUSINESS_ID)},"id":${qc(row, ID)},"ip":${qc(row, IP)},` +
    `"metadata":${canonicalMetadata(row[METADATA])},"occurred_at":"${instantOf(row, dialect)}",` +
    (origin === null ? '' : `"origin":${qc(row, ORIGIN)},`) +
    `"outcome":${qc(row, OUTCOME)},"request_id":${qc(row, REQUEST_ID)},"seq":${str(seqOf(row))},` +
    `"target":{"id":${qc(row, TARGET_ID)},"label":${qc(row, TARGET_LABEL)},` +
    `"type":${qc(row, TARGET_TYPE)}},"user_agent":${qc(row, USER_AGENT)}}`
  );
}

/** `ndjsonLine(auditView(row))`: the event with its hashes, keys in the view's order. */
export function ndjsonRow(row: AuditRow, dialect: RowDialect): string {
  const tokenId = row[ACTOR_TOKEN_ID];
  let actorTail = '';
  if (tokenId !== null) {
    const label = row[ISSUED_BY_LABEL];
    actorTail =
      `,"token_id":${qc(row, ACTOR_TOKEN_ID)},"issued_by":` +
      (label === null
        ? 'null'
        : `{"id":${qc(row, ISSUED_BY_ID)},"label":${qc(row, ISSUED_BY_LABEL)}}`);
  }
  const origin = row[ORIGIN];
  return oneLine(
    `{"id":${qc(row, ID)},"seq":${str(seqOf(row))},"business_id":${qc(row, BUSINESS_ID)},` +
      `"occurred_at":"${instantOf(row, dialect)}",` +
      (origin === null ? '' : `"origin":${qc(row, ORIGIN)},`) +
      `"action":${qc(row, ACTION)},"outcome":${qc(row, OUTCOME)},` +
      `"actor":{"id":${qc(row, ACTOR_ID)},"type":${qc(row, ACTOR_TYPE)},` +
      `"label":${qc(row, ACTOR_LABEL)}${actorTail}},` +
      `"target":{"type":${qc(row, TARGET_TYPE)},"id":${qc(row, TARGET_ID)},` +
      `"label":${qc(row, TARGET_LABEL)}},"request_id":${qc(row, REQUEST_ID)},` +
      `"ip":${qc(row, IP)},"user_agent":${qc(row, USER_AGENT)},` +
      `"metadata":${str(JSON.parse(row[METADATA] as string))},` +
      `"prev_hash":${qc(row, PREV_HASH)},"hash":${qc(row, HASH)}}\n`,
  );
}

const c = (value: unknown) => cell(value as string | number | null);

/** `csvLine(auditView(row))`. */
export function csvRow(row: AuditRow, dialect: RowDialect): string {
  const tokenId = row[ACTOR_TOKEN_ID];
  const issuedBy = tokenId !== null && row[ISSUED_BY_LABEL] !== null;
  return (
    `${c(row[ID])},${c(seqOf(row))},${c(row[BUSINESS_ID])},` +
    `${c(instantOf(row, dialect))},${c(row[ACTION])},${c(row[OUTCOME])},` +
    `${c(row[ACTOR_ID])},${c(row[ACTOR_TYPE])},${c(row[ACTOR_LABEL])},` +
    `${c(tokenId)},${c(issuedBy ? row[ISSUED_BY_ID] : null)},` +
    `${c(issuedBy ? row[ISSUED_BY_LABEL] : null)},${c(row[ORIGIN])},` +
    `${c(row[TARGET_TYPE])},${c(row[TARGET_ID])},${c(row[TARGET_LABEL])},` +
    `${c(row[REQUEST_ID])},${c(row[IP])},${c(row[USER_AGENT])},` +
    `${c(str(JSON.parse(row[METADATA] as string)))},${c(row[PREV_HASH])},` +
    `${c(row[HASH])}\r\n`
  );
}

/** `auditView` of the row's entity: the same values, in the same key order. */
export function viewOfRow(row: AuditRow, dialect: RowDialect): AuditEventView {
  const actor: AuditEventView['actor'] = {
    id: row[ACTOR_ID] as string | null,
    type: row[ACTOR_TYPE] as string,
    label: row[ACTOR_LABEL] as string,
  };
  const tokenId = row[ACTOR_TOKEN_ID] as string | null;
  if (tokenId !== null) {
    actor.token_id = tokenId;
    const label = row[ISSUED_BY_LABEL] as string | null;
    actor.issued_by = label === null ? null : { id: row[ISSUED_BY_ID] as string | null, label };
  }
  const origin = row[ORIGIN] as string | null;
  return {
    id: row[ID] as string,
    seq: seqOf(row),
    business_id: row[BUSINESS_ID] as string | null,
    occurred_at: instantOf(row, dialect),
    ...(origin === null ? {} : { origin }),
    action: row[ACTION] as string,
    outcome: row[OUTCOME] as string,
    actor,
    target: {
      type: row[TARGET_TYPE] as string,
      id: row[TARGET_ID] as string | null,
      label: row[TARGET_LABEL] as string | null,
    },
    request_id: row[REQUEST_ID] as string | null,
    ip: row[IP] as string | null,
    user_agent: row[USER_AGENT] as string | null,
    metadata: JSON.parse(row[METADATA] as string) as Record<string, unknown>,
    prev_hash: row[PREV_HASH] as string,
    hash: row[HASH] as string,
  };
}
