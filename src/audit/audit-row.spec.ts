import fc from 'fast-check';
import { types } from 'pg';
import { hash } from 'node:crypto';
import { canonicalEvent, ChainWalker, GENESIS_HASH } from './audit-chain';
import { auditView } from './audit-entry';
import type { AuditEvent } from './audit-event.entity';
import { csvLine, ndjsonLine } from './audit-export';
import {
  AUDIT_ROW_COLUMNS,
  AuditRow,
  canonicalRow,
  csvRow,
  ndjsonRow,
  plainCanonical,
  RowDialect,
  sqliteDate,
  viewOfRow,
} from './audit-row';
import { canonicalJson } from './canonical-json';
import { joinSegments, SegmentWalker, seqRanges } from './chain-segment';

/**
 * The entity the repository built before walks read raw rows: each column's value as the driver
 * returned it (PostgreSQL with its type parsers), `seq` a number, `occurred_at` a Date.
 */
function entityOf(row: AuditRow, dialect: RowDialect): AuditEvent {
  const entity: Record<string, unknown> = {};
  AUDIT_ROW_COLUMNS.forEach((column, i) => {
    entity[column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = row[i];
  });
  const at = row[3] as string;
  entity.occurredAt =
    dialect === 'postgres'
      ? (types.getTypeParser(types.builtins.TIMESTAMPTZ, 'text') as (t: string) => Date)(at)
      : sqliteDate(at);
  entity.seq = Number(entity.seq);
  return entity as unknown as AuditEvent;
}

/** The three ways out of the entity path, or the error it throws. */
function viaEntity(row: AuditRow, dialect: RowDialect) {
  try {
    const view = auditView(entityOf(row, dialect));
    return {
      canonical: canonicalEvent(view),
      view: JSON.stringify(view),
      ndjson: ndjsonLine(view),
      csv: csvLine(view),
    };
  } catch (e) {
    return { threw: (e as Error).constructor.name };
  }
}

function viaRow(row: AuditRow, dialect: RowDialect) {
  try {
    return {
      canonical: canonicalRow(row, dialect),
      view: JSON.stringify(viewOfRow(row, dialect)),
      ndjson: ndjsonRow(row, dialect),
      csv: csvRow(row, dialect),
    };
  } catch (e) {
    return { threw: (e as Error).constructor.name };
  }
}

function expectSame(row: AuditRow, dialect: RowDialect) {
  const expected = viaEntity(row, dialect);
  const actual = viaRow(row, dialect);
  if ('threw' in expected || 'threw' in actual) {
    expect(actual).toEqual(expected);
    return;
  }
  expect(actual.canonical).toBe(expected.canonical);
  expect(actual.view).toBe(expected.view);
  expect(actual.ndjson).toBe(expected.ndjson);
  expect(actual.csv).toBe(expected.csv);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** How PostgreSQL writes a timestamptz at UTC in the ISO DateStyle (trailing zeros dropped). */
function pgText(ms: number): string {
  const d = new Date(ms);
  const fraction = pad(d.getUTCMilliseconds(), 3).replace(/0+$/, '');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
    `${fraction ? `.${fraction}` : ''}+00`
  );
}

/** How TypeORM writes a Date to SQLite. */
function sqliteText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** Any text, lone surrogates, NUL, quotes, backslashes, controls and formula starts included. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\r', '\0', '\ud800', '\udc00', '=', '-') }),
  fc.constantFrom('', '=SUM(A1)', '\u2028', 'zoë', '\ud83d\ude00', 'a,b'),
);
const nullableText = fc.option(hostileText, { nil: null });
const instant = fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59) });

/** Metadata as the log stores it, and text written by hand that is not canonical. */
const metadataText = fc.oneof(
  fc.jsonValue().map((v) => canonicalJson(v && typeof v === 'object' ? v : { v })),
  fc
    .dictionary(hostileText, fc.oneof(hostileText, fc.integer(), fc.constant(null)))
    .map((v) => canonicalJson(v)),
  fc.constantFrom(
    '{}',
    '{"b":1,"a":2}',
    '{ "a": 1 }',
    '{"10":1,"9":2}',
    '{"a":1.0}',
    '{"a":1e3}',
    '{"a":-0}',
    '{"__proto__":{"x":1}}',
    '{"a":"\\u0041"}',
    '[1,2]',
    '"text"',
    '{"a":12345678901234567890}',
  ),
);

function rowArb(dialect: RowDialect) {
  return fc
    .record({
      id: fc.uuid(),
      seq: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      business_id: fc.option(fc.uuid(), { nil: null }),
      at: instant,
      action: hostileText,
      outcome: fc.constantFrom('success', 'failure'),
      actor_id: nullableText,
      actor_type: hostileText,
      actor_label: hostileText,
      actor_token_id: nullableText,
      actor_issued_by_id: nullableText,
      actor_issued_by_label: nullableText,
      origin: fc.option(fc.constantFrom('api', 'cli', 'system', '=x'), { nil: null }),
      target_type: hostileText,
      target_id: nullableText,
      target_label: nullableText,
      request_id: nullableText,
      ip: nullableText,
      user_agent: nullableText,
      metadata: metadataText,
      prev_hash: fc.string({ minLength: 64, maxLength: 64, unit: fc.constantFrom('0', 'a', 'f') }),
      hash: fc.constant('f'.repeat(64)),
    })
    .map((r): AuditRow => {
      const row: AuditRow = AUDIT_ROW_COLUMNS.map((c) =>
        c === 'occurred_at' ? null : (r as Record<string, unknown>)[c],
      );
      row[3] = dialect === 'postgres' ? pgText(r.at) : sqliteText(r.at);
      if (dialect === 'postgres') row[1] = String(r.seq);
      return row;
    });
}

describe('audit rows', () => {
  it.each(['postgres', 'sqlite'] as const)(
    'write on %s the canonical form, page view, NDJSON line and CSV record the entity path writes',
    (dialect) => {
      fc.assert(
        fc.property(rowArb(dialect), (row) => expectSame(row, dialect)),
        { seed: 20261122, numRuns: 3000 },
      );
    },
  );

  it.each([
    ['postgres', '2026-11-22 10:00:00+00'],
    ['postgres', '2026-11-22 10:00:00.1+00'],
    ['postgres', '2026-11-22 10:00:00.12+00'],
    ['postgres', '2026-11-22 10:00:00.123456+00'],
    ['postgres', '2026-11-22 11:00:00.123+01'],
    ['postgres', '2026-11-22 04:30:00.5-05:30'],
    ['postgres', '0099-01-01 00:00:00+00'],
    ['postgres', '0999-12-31 23:59:59.999+00'],
    ['postgres', '10000-01-01 00:00:00+00'],
    ['postgres', '2000-01-01 00:00:00+00 BC'],
    ['sqlite', '2026-11-22 10:00:00.123'],
    ['sqlite', '2026-02-31 10:00:00.123'],
    ['sqlite', '2024-02-29 23:59:59.999'],
    ['sqlite', '2023-02-29 00:00:00.000'],
    ['sqlite', '2026-11-22 24:00:00.000'],
    ['sqlite', '2026-11-22 10:00:60.000'],
    ['sqlite', '2026-11-22T10:00:00.123'],
    ['sqlite', '2026-11-22 10:00:00'],
    ['sqlite', 'not a time'],
    ['sqlite', '0000-01-01 00:00:00.000'],
  ] as const)('reads %s occurred_at %j as the entity path does', (dialect, at) => {
    const [row] = fc.sample(rowArb(dialect), { seed: 7, numRuns: 1 });
    row[3] = at;
    expectSame(row, dialect);
  });

  it('reads numbers SQLite may hold in seq as the entity path does', () => {
    const [row] = fc.sample(rowArb('sqlite'), { seed: 8, numRuns: 1 });
    for (const seq of [7, 7.5, '007', '7', Number.NaN, null]) {
      row[1] = seq;
      expectSame(row, 'sqlite');
    }
  });

  it('takes metadata text as it is only when a parse and a canonical write keep it', () => {
    fc.assert(
      fc.property(fc.oneof(metadataText, fc.string()), (text) => {
        if (!plainCanonical(text)) return;
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { seed: 1122, numRuns: 5000 },
    );
    expect(plainCanonical('{"a":null,"b":"x","c":12,"d":true,"e":false}')).toBe(true);
    for (const text of ['{"b":1,"a":2}', '{"a":1,"a":2}', '{ "a":1}', '{"a":01}', '{"a":"\\n"}']) {
      expect(plainCanonical(text)).toBe(false);
    }
  });
});

describe(joinSegments.name, () => {
  /** A valid chain of raw SQLite rows, and its head. */
  function chainOf(length: number) {
    const [template] = fc.sample(rowArb('sqlite'), { seed: 9, numRuns: 1 });
    let prev = GENESIS_HASH;
    const rows = Array.from({ length }, (_, i): AuditRow => {
      const row = [...template];
      row[0] = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      row[1] = i + 1;
      row[3] = sqliteText(Date.UTC(2026, 10, 22) + i);
      row[20] = prev;
      row[21] = hash('sha256', prev + canonicalRow(row, 'sqlite'), 'hex');
      prev = row[21] as string;
      return row;
    });
    return { rows, head: { seq: length, hash: prev } };
  }

  const tampering = fc.record({
    length: fc.integer({ min: 0, max: 40 }),
    edit: fc.constantFrom('none', 'action', 'delete', 'swap seq', 'drop tail', 'move head', 'seq'),
    at: fc.nat(),
    parts: fc.integer({ min: 1, max: 7 }),
  });

  it('joins stretches walked apart into the verdict of one walk, checked count included', () => {
    fc.assert(
      fc.property(tampering, ({ length, edit, at, parts }) => {
        const { rows, head } = chainOf(length);
        let stored = rows.map((r) => [...r]);
        let storedHead: { seq: number; hash: string } | null = length ? head : null;
        const i = length ? at % length : 0;
        if (length && edit === 'action') stored[i][4] = 'token.created!';
        if (length && edit === 'delete') stored.splice(i, 1);
        if (length && edit === 'seq') stored[i][1] = (stored[i][1] as number) + 1000;
        if (length > 1 && edit === 'swap seq') {
          const j = (i + 1) % length;
          [stored[i][1], stored[j][1]] = [stored[j][1], stored[i][1]];
        }
        if (edit === 'drop tail') stored = stored.slice(0, i);
        if (edit === 'move head') storedHead = { seq: head.seq + 1, hash: head.hash };
        // What the database returns for (0, head]: rows in seq order.
        const lastSeq = storedHead?.seq ?? 0;
        const read = stored
          .filter((r) => (r[1] as number) > 0 && (r[1] as number) <= lastSeq)
          .sort((a, b) => (a[1] as number) - (b[1] as number));

        const oneWalk = new ChainWalker();
        oneWalk.feed(read.map((r) => auditView(entityOf(r, 'sqlite'))));
        const expected = oneWalk.finish(storedHead);

        const segments = seqRanges(lastSeq, parts).map(({ afterSeq, upToSeq }) => {
          const sut = new SegmentWalker('sqlite');
          const slice = read.filter(
            (r) => (r[1] as number) > afterSeq && (r[1] as number) <= upToSeq,
          );
          // Fed in uneven batches, as a walk reads them.
          sut.feed(slice.slice(0, 3));
          sut.feed(slice.slice(3));
          return sut.finish();
        });
        expect(joinSegments(segments, storedHead)).toEqual(expected);
      }),
      { seed: 42, numRuns: 1500 },
    );
  });
});
