import { randomUUID } from 'node:crypto';
import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/** Places in one list: `STATUS_LIST_CAPACITY` as it was when this ran (a migration never changes). */
const CAPACITY = 131_072;
const LIST_INDEX = 'ix_status_lists_business';
const TOKEN_INDEX = 'ix_api_tokens_status_list';

/**
 * Token Status Lists (draft-ietf-oauth-status-list): each token's place (`status_list_id`,
 * `status_index`) in a list of its business (platform tokens: lists with no business), and the
 * lists, whose `next_index` hands places out once each. Tokens made before get places here, in
 * the order they were made. The columns are added with SQLite's own ADD COLUMN, as
 * `1764600000000-token-constraints.ts` explains (TypeORM's copies the table and drops its triggers).
 */
export class TokenStatusLists1764700000000 implements MigrationInterface {
  name = 'TokenStatusLists1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    const pg = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.createTable(
      new Table({
        name: 'status_lists',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid, isNullable: true },
          { name: 'capacity', type: 'integer' },
          { name: 'next_index', type: 'integer' },
          { name: 'created_at', type: t.timestamp },
        ],
        indices: [{ name: LIST_INDEX, columnNames: ['business_id', 'created_at'] }],
      }),
    );
    if (pg) {
      await queryRunner.addColumns('api_tokens', [
        new TableColumn({ name: 'status_list_id', type: t.uuid, isNullable: true }),
        new TableColumn({ name: 'status_index', type: 'integer', isNullable: true }),
      ]);
    } else {
      await queryRunner.query(
        `ALTER TABLE "api_tokens" ADD COLUMN "status_list_id" ${t.uuid} NULL`,
      );
      await queryRunner.query('ALTER TABLE "api_tokens" ADD COLUMN "status_index" integer NULL');
    }
    await queryRunner.createIndex(
      'api_tokens',
      new TableIndex({
        name: TOKEN_INDEX,
        columnNames: ['status_list_id', 'status_index'],
        isUnique: true,
      }),
    );
    await placeExistingTokens(queryRunner, pg);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('api_tokens', TOKEN_INDEX);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.dropColumns('api_tokens', ['status_list_id', 'status_index']);
    } else {
      await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "status_index"');
      await queryRunner.query('ALTER TABLE "api_tokens" DROP COLUMN "status_list_id"');
    }
    await queryRunner.dropTable('status_lists');
  }
}

/** Numbers each business's tokens by creation into lists of CAPACITY places. */
async function placeExistingTokens(queryRunner: QueryRunner, pg: boolean): Promise<void> {
  // Each placeholder once, in order: better-sqlite3 numbers `?` by position only.
  const sql = (parts: TemplateStringsArray, ...values: unknown[]) => ({
    text: parts.reduce((text, part, i) => `${text}${pg ? `$${i}` : '?'}${part}`),
    values,
  });
  const run = ({ text, values }: { text: string; values: unknown[] }) =>
    queryRunner.query(text, values);
  const counts = (await queryRunner.query(
    'SELECT business_id, COUNT(*) AS n FROM api_tokens GROUP BY business_id',
  )) as { business_id: string | null; n: number | string }[];
  const now = pg ? new Date() : new Date().toISOString().replace('T', ' ').slice(0, 23);
  for (const { business_id: businessId, n } of counts) {
    const total = Number(n);
    for (let offset = 0; offset < total; offset += CAPACITY) {
      const listId = randomUUID();
      const used = Math.min(CAPACITY, total - offset);
      await run(
        sql`INSERT INTO status_lists (id, business_id, capacity, next_index, created_at) VALUES (${listId}, ${businessId}, ${CAPACITY}, ${used}, ${now})`,
      );
      const numbered =
        businessId === null
          ? sql`SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM api_tokens WHERE business_id IS NULL`
          : sql`SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM api_tokens WHERE business_id = ${businessId}`;
      const head = sql`UPDATE api_tokens SET status_list_id = ${listId}, status_index = r.n - 1 - ${offset} FROM (`;
      const tail = sql`) r WHERE api_tokens.id = r.id AND r.n > ${offset} AND r.n <= ${offset + CAPACITY}`;
      const values = [...head.values, ...numbered.values, ...tail.values];
      let i = 0;
      const renumber = (text: string) => (pg ? text.replace(/\$\d+/g, () => `$${++i}`) : text);
      await queryRunner.query(
        renumber(head.text) + renumber(numbered.text) + renumber(tail.text),
        values,
      );
    }
  }
}
