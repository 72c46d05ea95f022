import { csvCell, oneLine } from '../../audit/codec/wire-text';
import type { ExportFormat, VerificationCountDto } from '../dto/analytics.dto';
import type { CountSum, GroupKey } from '../store/verification-counts.repository';

const WIRE_NAME: Record<GroupKey, string> = {
  outcome: 'outcome',
  tag: 'tag',
  identity: 'identity_id',
  token: 'token_id',
};

/**
 * The counts as lines: NDJSON (one JSON object a line, which every reader reads as one), or CSV
 * with a header of `start`, the grouped columns and `count`, whose cells are defused against
 * spreadsheet formulas and quoted where they hold a separator (the audit export's `csvCell`).
 * One chunk per slice, so the export holds one slice at a time.
 */
export async function* exportLines(
  slices: AsyncIterable<CountSum[]>,
  groupBy: readonly GroupKey[],
  format: ExportFormat,
): AsyncGenerator<string> {
  const columns = groupBy.map((g) => WIRE_NAME[g]);
  if (format === 'csv') yield ['start', ...columns, 'count'].join(',') + '\r\n';
  for await (const rows of slices) {
    let chunk = '';
    for (const row of rows) {
      const fields: Record<string, unknown> = {
        start: row.bucket.toISOString(),
        ...countFields(row.groups),
        count: row.count,
      };
      chunk +=
        format === 'csv'
          ? ['start', ...columns, 'count']
              .map((c) => csvCell(fields[c] as string | number | null))
              .join(',') + '\r\n'
          : oneLine(JSON.stringify(fields)) + '\n';
    }
    if (chunk !== '') yield chunk;
  }
}

/** The grouped columns as the wire names them; no identity or token (an unknown one) is null. */
export function countFields(groups: CountSum['groups']): Omit<VerificationCountDto, 'count'> {
  const out: Omit<VerificationCountDto, 'count'> = {};
  if (groups.outcome !== undefined) out.outcome = groups.outcome as VerificationCountDto['outcome'];
  if (groups.tag !== undefined) out.tag = groups.tag ?? '';
  if (groups.identity !== undefined) out.identity_id = groups.identity;
  if (groups.token !== undefined) out.token_id = groups.token;
  return out;
}
