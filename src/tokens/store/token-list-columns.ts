import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { ApiToken } from './api-token.entity';

/**
 * The columns a light page reads: what the console's token tables show (name, preview, state,
 * holder, scopes, binding, dates) and the keysets. A list asked for fields within these reads
 * them alone; any other reads every column but the hash. Two fixed choices, not one per set of
 * fields, so the statements kept per SQL text stay few whatever a caller asks for.
 */
export const SUMMARY_COLUMNS: ReadonlySet<keyof ApiToken> = new Set<keyof ApiToken>([
  'id',
  'name',
  'preview',
  'scopes',
  'revokedAt',
  'expiresAt',
  'disabledAt',
  'businessId',
  'identityId',
  'createdAt',
  'lastUsedAt',
  'rotatedToId',
  'dpopJkt',
  'audiences',
]);

/** Which columns a list page reads: `summary` (`SUMMARY_COLUMNS`) or every one but the hash. */
export type TokenListColumns = 'summary' | 'all';

interface SelectedColumns {
  select: string;
  columns: { column: ColumnMetadata; plain: boolean }[];
}

const selected = new WeakMap<DataSource, Map<TokenListColumns, SelectedColumns>>();

/**
 * The columns a list page reads (`which`), from the entity's metadata once each per data source,
 * in SELECT order. Text and uuid columns come from both drivers as they are; the rest (dates,
 * JSON) are hydrated by the driver, as TypeORM would.
 */
export function listColumns(dataSource: DataSource, which: TokenListColumns): SelectedColumns {
  let memo = selected.get(dataSource);
  if (!memo) selected.set(dataSource, (memo = new Map<TokenListColumns, SelectedColumns>()));
  let columns = memo.get(which);
  if (!columns) {
    const chosen = dataSource
      .getMetadata(ApiToken)
      .columns.filter((c) =>
        which === 'summary'
          ? SUMMARY_COLUMNS.has(c.propertyName as keyof ApiToken)
          : c.propertyName !== 'tokenHash',
      );
    columns = {
      columns: chosen.map((column) => ({
        column,
        plain: column.type === 'varchar' || column.type === 'uuid',
      })),
      select: chosen.map((c) => dataSource.driver.escape(c.databaseName)).join(', '),
    };
    memo.set(which, columns);
  }
  return columns;
}
