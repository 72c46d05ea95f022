import fc from 'fast-check';
import { metadataText } from '../../../test/fixtures/audit/rows';
import { pgInstant, sqliteDate, sqliteInstant, viewMetadataJson } from './audit-row';
import { canonicalJson, plainCanonical } from './canonical-json';

describe('audit rows', () => {
  it('read PostgreSQL timestamptz text as node-postgres’s parser does', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)) }),
        (date) => {
          const iso = date.toISOString();
          const fraction = iso.slice(20, 23).replace(/0+$/, '');
          const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
          expect(pgInstant(text)).toBe(iso);
        },
      ),
      { seed: 1123, numRuns: 2000 },
    );
  });

  it('read SQLite text as the entity path’s Date does, impossible dates included', () => {
    for (const text of [
      '2026-11-22 10:00:00.123',
      '2024-02-29 23:59:59.999',
      '2026-02-31 10:00:00.123',
    ]) {
      expect(sqliteInstant(text)).toBe(sqliteDate(text).toISOString());
    }
  });

  it('take metadata text as it is only when a parse and a canonical write keep it', () => {
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

  it('write metadata for the view as a parse and JSON.stringify do, index keys included', () => {
    fc.assert(
      fc.property(fc.oneof(metadataText, fc.string()), (text) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return;
        }
        expect(viewMetadataJson(text)).toBe(JSON.stringify(parsed));
      }),
      { seed: 1124, numRuns: 5000 },
    );
    for (const text of ['{"10":1,"9":2}', '{"-":1,"7":2}', '{"a":"1","b":{"2":1,"10":0}}']) {
      expect(viewMetadataJson(text)).toBe(JSON.stringify(JSON.parse(text)));
    }
  });
});
