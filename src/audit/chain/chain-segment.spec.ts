import fc from 'fast-check';
import { hash } from 'node:crypto';
import * as before from '../../../test/fixtures/audit/before-codec';
import { entityOf, rowArb, sqliteText } from '../../../test/fixtures/audit/rows';
import { ChainWalker, GENESIS_HASH } from './audit-chain';
import { canonicalRow } from '../codec/audit-codec';
import { COLUMN } from '../codec/audit-fields';
import type { AuditRow } from '../codec/audit-row';
import { joinSegments, SegmentWalker, seqRanges } from './chain-segment';

const { seq: SEQ, action: ACTION, prev_hash: PREV_HASH, hash: HASH } = COLUMN;

describe(joinSegments.name, () => {
  /** A valid chain of raw SQLite rows, and its head. */
  function chainOf(length: number) {
    const [template] = fc.sample(rowArb('sqlite'), { seed: 9, numRuns: 1 });
    let prev = GENESIS_HASH;
    const rows = Array.from({ length }, (_, i): AuditRow => {
      const row = [...template];
      row[COLUMN.id] = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      row[SEQ] = i + 1;
      row[COLUMN.occurred_at] = sqliteText(Date.UTC(2026, 10, 22) + i);
      row[PREV_HASH] = prev;
      row[HASH] = hash('sha256', prev + canonicalRow(row, 'sqlite'), 'hex');
      prev = row[HASH] as string;
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
        if (length && edit === 'action') stored[i][ACTION] = 'token.created!';
        if (length && edit === 'delete') stored.splice(i, 1);
        if (length && edit === 'seq') stored[i][SEQ] = (stored[i][SEQ] as number) + 1000;
        if (length > 1 && edit === 'swap seq') {
          const j = (i + 1) % length;
          [stored[i][SEQ], stored[j][SEQ]] = [stored[j][SEQ], stored[i][SEQ]];
        }
        if (edit === 'drop tail') stored = stored.slice(0, i);
        if (edit === 'move head') storedHead = { seq: head.seq + 1, hash: head.hash };
        // What the database returns for (0, head]: rows in seq order.
        const lastSeq = storedHead?.seq ?? 0;
        const read = stored
          .filter((r) => (r[SEQ] as number) > 0 && (r[SEQ] as number) <= lastSeq)
          .sort((a, b) => (a[SEQ] as number) - (b[SEQ] as number));

        const oneWalk = new ChainWalker();
        // The walk of the entity path as it was, over the same rows.
        oneWalk.feed(read.map((r) => before.auditView(entityOf(r, 'sqlite'))));
        const expected = oneWalk.finish(storedHead);

        const segments = seqRanges(lastSeq, parts).map(({ afterSeq, upToSeq }) => {
          const sut = new SegmentWalker('sqlite');
          const slice = read.filter(
            (r) => (r[SEQ] as number) > afterSeq && (r[SEQ] as number) <= upToSeq,
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
