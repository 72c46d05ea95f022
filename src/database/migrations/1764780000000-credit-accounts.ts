import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/** The most a balance or a refill holds (`CREDITS_MAX`). */
const MAX = 1_000_000_000;

/**
 * Credit balances (`credit_accounts`): one per business that holds one, and one per identity
 * with its own. Bounded in the database too, whatever path writes.
 */
export class CreditAccounts1764780000000 implements MigrationInterface {
  name = 'CreditAccounts1764780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'credit_accounts',
        columns: [
          { name: 'business_id', type: t.uuid, isPrimary: true },
          { name: 'holder', type: 'varchar', length: '36', isPrimary: true },
          { name: 'balance', type: 'integer' },
          { name: 'leased', type: 'integer', default: 0 },
          { name: 'leased_at', type: t.timestamp, isNullable: true },
          { name: 'refill_amount', type: 'integer', isNullable: true },
          { name: 'refill_interval', type: 'varchar', length: '8', isNullable: true },
          { name: 'period', type: 'integer', default: 0 },
          { name: 'epoch', type: 'integer', default: 0 },
          { name: 'updated_at', type: t.timestamp },
          { name: 'updated_by', type: 'varchar', length: '340' },
          { name: 'updated_by_id', type: t.uuid, isNullable: true },
        ],
        checks: [
          { name: 'ck_credit_accounts_balance', expression: `balance >= 0 AND balance <= ${MAX}` },
          { name: 'ck_credit_accounts_leased', expression: 'leased >= 0' },
          {
            name: 'ck_credit_accounts_refill',
            expression:
              `(refill_amount IS NULL AND refill_interval IS NULL) OR (refill_amount >= 1 AND ` +
              `refill_amount <= ${MAX} AND refill_interval IN ('daily', 'monthly'))`,
          },
        ],
        foreignKeys: [
          {
            columnNames: ['business_id'],
            referencedTableName: 'businesses',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('credit_accounts');
  }
}
