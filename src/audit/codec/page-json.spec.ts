import fc from 'fast-check';
import { rowArb } from '../../../test/fixtures/audit/rows';
import { envelope } from '../../common/http/envelope';
import { viewOfRow } from './audit-codec';
import { COLUMN } from './audit-fields';
import type { AuditRow, RowDialect } from './audit-row';
import { pageJson } from './page-json';
import { sampledCount } from '../../../test/harness/sampling';

/** What the page was before it was written from rows: its views, enveloped and stringified. */
function viaViews(items: AuditRow[], next: string | null, dialect: RowDialect) {
  try {
    const views = items.map((row) => viewOfRow(row, dialect));
    return JSON.stringify(envelope({ items: views, next_cursor: next }));
  } catch (e) {
    return { threw: (e as Error).constructor.name };
  }
}

function written(items: AuditRow[], next: string | null, dialect: RowDialect) {
  try {
    return pageJson({ items, next_cursor: next }, dialect).toString('utf8');
  } catch (e) {
    return { threw: (e as Error).constructor.name };
  }
}

describe('pageJson', () => {
  it.each(['postgres', 'sqlite'] as const)(
    'writes a page of %s rows byte for byte as JSON.stringify wrote their enveloped views',
    (dialect) => {
      fc.assert(
        fc.property(
          fc.array(rowArb(dialect), { maxLength: 8 }),
          fc.option(fc.base64String({ minLength: 4, maxLength: 80 }), { nil: null }),
          (items, next) => {
            const bytes = written(items, next, dialect);
            expect(bytes).toEqual(viaViews(items, next, dialect));
            if (typeof bytes === 'string') {
              expect(Buffer.byteLength(bytes)).toBe(
                pageJson({ items, next_cursor: next }, dialect).length,
              );
            }
          },
        ),
        { seed: 20261129, numRuns: sampledCount(`pages of ${dialect} rows`, 300, 1500) },
      );
    },
  );

  it('grows past its first guess for rows with long text', () => {
    fc.assert(
      fc.property(
        rowArb('postgres'),
        fc.string({ minLength: 2000, maxLength: 4000 }),
        (row, text) => {
          const long = [...row];
          // Several times the writer's first guess a row, with text of 1 to 4 UTF-8 bytes a unit.
          long[COLUMN.user_agent] = text + 'é€😀\u2028"'.repeat(500);
          expect(written([long, long], 'x', 'postgres')).toEqual(
            viaViews([long, long], 'x', 'postgres'),
          );
        },
      ),
      { seed: 20261129, numRuns: sampledCount('pages with long text', 30, 100) },
    );
  });
});
