import type { AuditEvent } from '../store/audit-event.entity';
import type { AuditEventView, ChainedEvent } from './audit-fields';
import { AUDIT_COLUMNS, AUDIT_FIELD_LIST } from './audit-fields';
import {
  EVENT_TREE,
  HASHED_TREE,
  isLeaf,
  JsonGroup,
  JsonPlan,
  planOf,
  rowOfJson,
  SHAPE_FIELDS,
  shapeOf,
} from './audit-json-shape';
import type { AuditRow, RowDialect } from './audit-row';
import { canonicalMetadata, pgInstant, sqliteInstant, viewMetadataJson } from './audit-row';
import { canonicalJson } from './canonical-json';
import { columnJsonString, csvCell, jsonString, oneLine } from './wire-text';

/**
 * The audit codec: every form of an event, written from one row in column order (AUDIT_FIELDS)
 * by plans derived from the table. A row comes from a driver (`postgres`, `sqlite`: raw text,
 * the way walks read millions of them) or is an `event`: a parsed NDJSON line, a page view or
 * an entity, whose `occurred_at` is already ISO text and whose `metadata` is already parsed.
 */
export type RowSource = RowDialect | 'event';

/** How a source's `occurred_at` and `metadata` read; every other column reads alike. */
interface Reading {
  instant(value: unknown): string;
  instantJson(value: unknown): string;
  canonicalMetadata(value: unknown): string;
  metadata(value: unknown): unknown;
  metadataJson(value: unknown): string;
}

const storedMetadata = {
  canonicalMetadata,
  metadata: (text: unknown) => JSON.parse(text as string) as unknown,
  // The NDJSON line and the CSV cell are the parsed metadata written out, as the view holds it.
  metadataJson: viewMetadataJson,
};

const READINGS: Record<RowSource, Reading> = {
  postgres: { ...storedMetadata, instant: pgInstant, instantJson: (v) => `"${pgInstant(v)}"` },
  sqlite: {
    ...storedMetadata,
    instant: sqliteInstant,
    instantJson: (v) => `"${sqliteInstant(v)}"`,
  },
  event: {
    instant: (value) => value as string,
    instantJson: jsonString,
    canonicalMetadata: canonicalJson,
    metadata: (value) => value,
    metadataJson: (value) => JSON.stringify(value),
  },
};

/** A writer of an event's JSON: one flat plan per shape, each built on first use. */
function jsonWriter(tree: JsonGroup, canonical: boolean) {
  const plans: JsonPlan[] = new Array<JsonPlan>(1 << SHAPE_FIELDS.length);
  return (row: AuditRow, source: RowSource): string => {
    const reading = READINGS[source];
    const shape = shapeOf(row);
    const { literals, slots, types } = (plans[shape] ??= planOf(tree, shape, canonical));
    let out = literals[0];
    for (let k = 0; k < slots.length; k++) {
      const column = slots[k];
      let value: string;
      switch (types[k]) {
        case 'integer':
          value = JSON.stringify(Number(row[column]));
          break;
        case 'instant':
          value = reading.instantJson(row[column]);
          break;
        case 'json':
          value = canonical
            ? reading.canonicalMetadata(row[column])
            : reading.metadataJson(row[column]);
          break;
        case 'uuid':
        case 'text':
        case 'sha256':
          value = columnJsonString(row, column);
      }
      out += value + literals[k + 1];
    }
    return out;
  };
}

/** What the chain hashes after `prev_hash`: RFC 8785 JSON of the hashed fields. */
export const canonicalRow = jsonWriter(HASHED_TREE, true);

const eventJson = jsonWriter(EVENT_TREE, false);

/** One NDJSON line: the whole event, hashes included, keys in the view's order. */
export function ndjsonRow(row: AuditRow, source: RowSource): string {
  return oneLine(`${eventJson(row, source)}\n`);
}

export const CSV_HEADER = `${AUDIT_COLUMNS.join(',')}\r\n`;

/**
 * For each column, the fields that must not be null for its cell to show: its object's presence
 * and nullness (`actor_issued_by_*` show only with a token and a label), -1 for none.
 */
const SHOWN_WITH = AUDIT_FIELD_LIST.map((field) => {
  const group = groupOf(EVENT_TREE, field.index);
  return [group?.presentWith ?? -1, group?.nullWhenNull ?? -1] as const;
});
const TYPES = AUDIT_FIELD_LIST.map((field) => field.type);

function groupOf(tree: JsonGroup, index: number): JsonGroup | null {
  for (const member of tree.members) {
    if (isLeaf(member)) {
      if (member.field.index === index) return tree;
    } else {
      const found = groupOf(member, index);
      if (found) return found;
    }
  }
  return null;
}

/** One RFC 4180 CSV record, a cell per column; a field its event leaves out is an empty cell. */
export function csvRow(row: AuditRow, source: RowSource): string {
  const reading = READINGS[source];
  let out = '';
  for (let i = 0; i < TYPES.length; i++) {
    const value = row[i];
    let cell: string;
    switch (TYPES[i]) {
      case 'integer':
        cell = csvCell(Number(value));
        break;
      case 'instant':
        cell = csvCell(reading.instant(value));
        break;
      case 'json':
        cell = csvCell(reading.metadataJson(value));
        break;
      case 'uuid':
      case 'text':
      case 'sha256': {
        const [presentWith, nullWhenNull] = SHOWN_WITH[i];
        const shown =
          (presentWith < 0 || row[presentWith] !== null) &&
          (nullWhenNull < 0 || row[nullWhenNull] !== null);
        cell = shown ? csvCell(value as string | null) : '';
      }
    }
    out += i === 0 ? cell : `,${cell}`;
  }
  return `${out}\r\n`;
}

/** The event as the API's pages show it: the NDJSON line's object. */
export function viewOfRow(row: AuditRow, source: RowSource): AuditEventView {
  return viewOf(EVENT_TREE, row, READINGS[source]) as AuditEventView;
}

function viewOf(group: JsonGroup, row: AuditRow, reading: Reading): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const member of group.members) {
    if (!isLeaf(member)) {
      if (member.presentWith !== null && row[member.presentWith] === null) continue;
      view[member.key] =
        member.nullWhenNull !== null && row[member.nullWhenNull] === null
          ? null
          : viewOf(member, row, reading);
      continue;
    }
    const { field } = member;
    const value = row[field.index];
    switch (field.type) {
      case 'integer':
        view[member.key] = Number(value);
        break;
      case 'instant':
        view[member.key] = reading.instant(value);
        break;
      case 'json':
        view[member.key] = reading.metadata(value);
        break;
      case 'uuid':
      case 'text':
      case 'sha256':
        if (value !== null || field.whenNull !== 'absent') view[member.key] = value;
    }
  }
  return view;
}

/** The row of an event's JSON (an `event` row), or null when the codec would not write it. */
export function rowOfEvent(event: unknown): AuditRow | null {
  return rowOfJson(event);
}

/** `rowOfEvent` for an event the code built itself, whose shape is not in doubt. */
export function rowOfView(event: AuditEventView | ChainedEvent): AuditRow {
  const row = rowOfJson(event, 'hash' in event ? EVENT_TREE : HASHED_TREE);
  if (row === null) throw new TypeError('not an audit event in the shape AUDIT_FIELDS declares');
  return row;
}

/** The stored entity as an `event` row: its time as ISO text, its metadata parsed. */
export function rowOfEntity(entity: AuditEvent): AuditRow {
  const values = entity as unknown as Record<string, unknown>;
  return AUDIT_FIELD_LIST.map((field) => {
    const value = values[field.property];
    if (value === null || value === undefined) return null;
    if (field.type === 'instant') return (value as Date).toISOString();
    return field.type === 'json' ? (JSON.parse(value as string) as unknown) : value;
  });
}
