import { csvCell, oneLine } from '../../audit/codec/wire-text';
import type { ExportFormat, VerificationCountDto } from '../dto/analytics.dto';
import type { ReadGroupKey, ReadSum } from './token-clients';

const WIRE_NAME: Record<ReadGroupKey, string> = {
  outcome: 'outcome',
  tag: 'tag',
  identity: 'identity_id',
  token: 'token_id',
  oauth_client: 'oauth_client',
};

/** One slice of an export: its counts, and the names of the tokens they count (by token). */
export interface ExportSlice {
  rows: ReadSum[];
  /** Null unless the export groups by token; a token with no name here is one since deleted. */
  tokenNames: ReadonlyMap<string, string> | null;
}

/**
 * The counts as lines: NDJSON (one JSON object a line, which every reader reads as one), or CSV
 * with a header of `start`, the grouped columns (`token_name` after `token_id`, so a person
 * reading it needs no other list) and `count`, whose cells are defused against spreadsheet
 * formulas and quoted where they hold a separator (the audit export's `csvCell`). One chunk per
 * slice, so the export holds one slice at a time.
 */
export async function* exportLines(
  slices: AsyncIterable<ExportSlice>,
  groupBy: readonly ReadGroupKey[],
  format: ExportFormat,
): AsyncGenerator<string> {
  const columns = groupBy.flatMap((g) =>
    g === 'token' ? [WIRE_NAME[g], 'token_name'] : [WIRE_NAME[g]],
  );
  if (format === 'csv') yield ['start', ...columns, 'count'].join(',') + '\r\n';
  for await (const { rows, tokenNames } of slices) {
    let chunk = '';
    for (const row of rows) {
      const token = row.groups.token;
      const fields: Record<string, unknown> = {
        start: row.bucket.toISOString(),
        ...countFields(row.groups),
        ...(tokenNames ? { token_name: (token && tokenNames.get(token)) ?? null } : {}),
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
export function countFields(groups: ReadSum['groups']): Omit<VerificationCountDto, 'count'> {
  const out: Omit<VerificationCountDto, 'count'> = {};
  if (groups.outcome !== undefined) out.outcome = groups.outcome as VerificationCountDto['outcome'];
  if (groups.tag !== undefined) out.tag = groups.tag ?? '';
  if (groups.identity !== undefined) out.identity_id = groups.identity;
  if (groups.token !== undefined) out.token_id = groups.token;
  if (groups.oauth_client !== undefined) out.oauth_client = groups.oauth_client;
  return out;
}
