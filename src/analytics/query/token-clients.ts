import type { Reader } from '../../database/units/reader';
import { OAUTH_CLIENT, type ReadGroupKey } from '../dto/analytics.dto';
import type { CountSum, GroupKey } from '../store/verification-counts.repository';

export type { ReadGroupKey } from '../dto/analytics.dto';

/** A read's row, its groups by `ReadGroupKey`. */
export interface ReadSum extends Omit<CountSum, 'groups'> {
  groups: Partial<Record<ReadGroupKey, string | null>>;
}

/**
 * The authorization server's answer of which client each token was issued to (a connected app's
 * access tokens), which `GrantsService` gives: the counts store tokens, not clients.
 */
export abstract class TokenClients {
  abstract clientsOfTokens(
    businessId: string | null,
    tokenIds: readonly string[],
    db: Reader,
  ): Promise<Map<string, string>>;
}

/** The stored columns a read of `groupBy` sums by: `oauth_client` needs each row's token. */
export function storedKeys(groupBy: readonly ReadGroupKey[]): GroupKey[] {
  const keys = groupBy.filter((k): k is GroupKey => k !== OAUTH_CLIENT);
  if (groupBy.includes(OAUTH_CLIENT) && !keys.includes('token')) keys.push('token');
  return keys;
}

/**
 * Rows summed by token, summed again by the client each token was issued to (null: a token of
 * no connected app), the token dropped unless asked for. Rows come ordered by bucket, and stay so.
 */
export async function byClient(
  rows: readonly CountSum[],
  groupBy: readonly ReadGroupKey[],
  clientsOf: (tokenIds: string[]) => Promise<Map<string, string>>,
): Promise<ReadSum[]> {
  if (!groupBy.includes(OAUTH_CLIENT)) return rows as ReadSum[];
  const ids = [...new Set(rows.flatMap((r) => (r.groups.token ? [r.groups.token] : [])))];
  const clients = await clientsOf(ids);
  const keepToken = groupBy.includes('token');
  const out: ReadSum[] = [];
  const at = new Map<string, ReadSum>();
  for (const row of rows) {
    const { token, ...rest } = row.groups;
    const groups: ReadSum['groups'] = {
      ...rest,
      ...(keepToken ? { token } : {}),
      oauth_client: (token && clients.get(token)) ?? null,
    };
    const key = `${row.bucket.getTime()} ${JSON.stringify(groups)}`;
    const same = at.get(key);
    if (same) {
      same.count += row.count;
      continue;
    }
    const sum = { ...row, groups };
    at.set(key, sum);
    out.push(sum);
  }
  return out;
}
