import type { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { ApiToken } from '../entities/api-token.entity';

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

/** How a column's value comes from the driver into the entity: null, as it is. */
type Read = ((value: unknown) => unknown) | null;

interface SelectedColumns {
  select: string;
  /** A row of the SELECT as an entity, each value read as its column's driver would. */
  entityOf: (row: unknown[]) => ApiToken;
}

/** A property name that can be written after a dot: what `entityMaker` writes into code. */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A function that makes an entity of a row, one statement a property: `t.name = …`. A loop's
 * `token[properties[i]] = …` is one store that sees every name, which V8 makes megamorphic: 900
 * a page of 20, 0.22 M instructions (callgrind, docs/performance.md). The code is
 * made once per column set from the entity's own property names, each checked to be a name.
 */
export function entityMaker(properties: string[], reads: Read[]): (row: unknown[]) => ApiToken {
  const bad = properties.find((p) => !IDENTIFIER.test(p));
  if (bad !== undefined) throw new Error(`ApiToken's property ${JSON.stringify(bad)} is no name`);
  const body = properties
    .map((p, i) => `t.${p} = ${reads[i] === null ? `row[${i}]` : `reads[${i}](row[${i}])`};`)
    .join(' ');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- names checked above
  const make = new Function(
    'ApiToken',
    'reads',
    `return (row) => { const t = new ApiToken(); ${body} return t; };`,
  ) as (entity: typeof ApiToken, readers: Read[]) => (row: unknown[]) => ApiToken;
  return make(ApiToken, reads);
}

const selected = new WeakMap<DataSource, Map<TokenListColumns, SelectedColumns>>();

/** A datetime as TypeORM writes it to SQLite, in UTC: `YYYY-MM-DD HH:MM:SS.SSS`. */
const SQLITE_DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

/**
 * How the list reads `column` from `dataSource`'s driver: what the driver's own hydration
 * (`prepareHydratedValue`) makes of it, chosen once rather than per value. Text, uuids and
 * integers come from both drivers as they are; node-postgres makes a timestamptz a Date; a
 * simple-json column is parsed. SQLite's datetimes in the form TypeORM writes them are read as
 * TypeORM reads them (made ISO 8601 with a Z); anything else goes to the driver.
 */
function readerOf(dataSource: DataSource, column: ColumnMetadata): Read {
  const driver = dataSource.driver;
  const hydrate = (value: unknown): unknown => driver.prepareHydratedValue(value, column);
  if (column.transformer) return hydrate;
  const { type } = column;
  if (type === 'varchar' || type === 'uuid' || type === 'integer') return null;
  if (type === 'simple-json')
    return (value) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);
  if (type !== Date) return hydrate;
  if (dataSource.options.type === 'postgres')
    return (value) => (value === null || value instanceof Date ? value : hydrate(value));
  return (value) =>
    typeof value === 'string' && SQLITE_DATETIME.test(value)
      ? new Date(`${value.slice(0, 10)}T${value.slice(11)}Z`)
      : value === null
        ? null
        : hydrate(value);
}

/**
 * The columns a list page reads (`which`), from the entity's metadata once each per data source:
 * the SELECT list, and the maker of an entity from a row of it, each column read by `readerOf`.
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
    const properties = chosen.map((c) => c.propertyName);
    const reads = chosen.map((c) => readerOf(dataSource, c));
    columns = {
      entityOf: entityMaker(properties, reads),
      select: chosen.map((c) => dataSource.driver.escape(c.databaseName)).join(', '),
    };
    memo.set(which, columns);
  }
  return columns;
}
