import fc from 'fast-check';
import * as before from '../../../test/fixtures/audit/before-codec';
import { entityOf, hostileText, rowArb } from '../../../test/fixtures/audit/rows';
import {
  canonicalRow,
  csvRow,
  ndjsonRow,
  rowOfEntity,
  rowOfEvent,
  RowSource,
  viewOfRow,
} from './audit-codec';
import { COLUMN } from './audit-fields';
import type { AuditRow, RowDialect } from './audit-row';
import { canonicalJson } from './canonical-json';
import { sampledCount } from '../../../test/harness/sampling';

/** Every form of the row's event, or the error its writing throws. */
function written(write: () => { canonical: string; view: string; ndjson: string; csv: string }) {
  try {
    return write();
  } catch (e) {
    return { threw: (e as Error).constructor.name };
  }
}

/** What the hand-written entity path wrote before the codec, for the entity of this row. */
const writtenBefore = (row: AuditRow, dialect: RowDialect) =>
  written(() => {
    const view = before.auditView(entityOf(row, dialect));
    return {
      canonical: before.canonicalEvent(view),
      view: JSON.stringify(view),
      ndjson: before.ndjsonLine(view),
      csv: before.csvLine(view),
    };
  });

const writtenNow = (row: AuditRow, source: RowSource) =>
  written(() => ({
    canonical: canonicalRow(row, source),
    view: JSON.stringify(viewOfRow(row, source)),
    ndjson: ndjsonRow(row, source),
    csv: csvRow(row, source),
  }));

const dialects = ['postgres', 'sqlite'] as const;

/** A parsed line, to tamper with at will. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

describe('the audit codec', () => {
  it.each(dialects)(
    'writes a %s row as the entity path wrote it before: hashed bytes, view, NDJSON, CSV',
    (dialect) => {
      fc.assert(
        fc.property(rowArb(dialect), (row) => {
          const expected = writtenBefore(row, dialect);
          expect(writtenNow(row, dialect)).toEqual(expected);
          // The entity, as the repository hashes it on append, writes the same.
          if (!('threw' in expected)) {
            expect(writtenNow(rowOfEntity(entityOf(row, dialect)), 'event')).toEqual(expected);
          }
        }),
        {
          seed: 20261122,
          numRuns: sampledCount(`${dialect} rows against the entity path`, 600, 3000),
        },
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
  ] as const)('reads %s occurred_at %j as the entity path did', (dialect, at) => {
    const [row] = fc.sample(rowArb(dialect), { seed: 7, numRuns: 1 });
    row[COLUMN.occurred_at] = at;
    expect(writtenNow(row, dialect)).toEqual(writtenBefore(row, dialect));
  });

  it('reads numbers SQLite may hold in seq as the entity path did', () => {
    const [row] = fc.sample(rowArb('sqlite'), { seed: 8, numRuns: 1 });
    for (const seq of [7, 7.5, '007', '7', Number.NaN, null]) {
      row[COLUMN.seq] = seq;
      expect(writtenNow(row, 'sqlite')).toEqual(writtenBefore(row, 'sqlite'));
    }
  });

  describe('round trips', () => {
    /** Rows whose every form can be written (a stored row might hold an impossible time). */
    const writable = (dialect: RowDialect) =>
      rowArb(dialect).filter((row) => !('threw' in writtenNow(row, dialect)));

    it.each(dialects)(
      'reads a %s row’s NDJSON line back to an event that writes every form the same',
      (dialect) => {
        fc.assert(
          fc.property(writable(dialect), (row) => {
            const line = ndjsonRow(row, dialect);
            const event = rowOfEvent(JSON.parse(line));
            expect(event).not.toBeNull();
            expect(writtenNow(event as AuditRow, 'event')).toEqual(writtenNow(row, dialect));
            // And through the page view, as a client holding a page would.
            const viewed = rowOfEvent(viewOfRow(row, dialect)) as AuditRow;
            expect(ndjsonRow(viewed, 'event')).toBe(line);
          }),
          { seed: 1124, numRuns: sampledCount(`${dialect} NDJSON round trips`, 400, 2000) },
        );
      },
    );

    it.each(dialects)(
      'hashes a %s row’s event exactly as RFC 8785 writes its line without the hashes',
      (dialect) => {
        fc.assert(
          fc.property(writable(dialect), (row) => {
            const hashed = JSON.parse(ndjsonRow(row, dialect)) as Record<string, unknown>;
            delete hashed.prev_hash;
            delete hashed.hash;
            expect(canonicalRow(row, dialect)).toBe(canonicalJson(hashed));
          }),
          { seed: 1125, numRuns: sampledCount(`${dialect} hashes against RFC 8785`, 400, 2000) },
        );
      },
    );
  });

  describe(rowOfEvent.name, () => {
    const [row] = fc.sample(
      rowArb('sqlite').filter((r) => r[COLUMN.actor_token_id] !== null),
      { seed: 3, numRuns: 1 },
    );
    row[COLUMN.actor_issued_by_label] = 'maker@example.test';
    row[COLUMN.origin] = 'api';
    const event = () => JSON.parse(ndjsonRow(row, 'sqlite')) as Json;

    it('reads every line the codec writes', () => {
      expect(rowOfEvent(event())).not.toBeNull();
    });

    it.each([
      ['an added key', (e: Json) => (e.extra = 1)],
      ['an added key in actor', (e) => (e.actor.extra = 1)],
      ['a missing key', (e) => delete e.user_agent],
      ['a missing hash', (e) => delete e.hash],
      ['origin as null', (e) => (e.origin = null)],
      ['token_id as null', (e) => (e.actor.token_id = null)],
      ['issued_by without token_id', (e) => delete e.actor.token_id],
      ['token_id without issued_by', (e) => delete e.actor.issued_by],
      ['issued_by without its label', (e) => (e.actor.issued_by = { id: null, label: null })],
      ['target as null', (e) => (e.target = null)],
      ['seq as text', (e) => (e.seq = '1')],
      ['seq beyond a double', (e) => (e.seq = Infinity)],
      ['a label as a number', (e) => (e.actor.label = 7)],
      ['an action as null', (e) => (e.action = null)],
      ['an array for the event', () => []],
    ] as [string, (e: Json) => unknown][])(
      'refuses %s: the codec never writes it',
      (_what, tamper) => {
        const e = event();
        const result = tamper(e);
        expect(rowOfEvent(Array.isArray(result) ? result : e)).toBeNull();
      },
    );

    it('reads any text, and events written before origin and the acting token were kept', () => {
      fc.assert(
        fc.property(hostileText, hostileText, (label, agent) => {
          const e = event();
          delete e.origin;
          delete e.actor.token_id;
          delete e.actor.issued_by;
          e.actor.label = label;
          e.user_agent = agent;
          const read = rowOfEvent(e) as AuditRow;
          expect(read[COLUMN.origin]).toBeNull();
          expect(JSON.parse(ndjsonRow(read, 'event'))).toEqual(e);
        }),
        { seed: 1126, numRuns: sampledCount('old events of any text', 200, 500) },
      );
    });
  });
});
