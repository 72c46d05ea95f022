import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Token requests (`token_requests`): a create's body waiting for an approver, then for its
 * requester to collect the token. Listed by business in creation order, and counted while
 * pending by business and by identity.
 */
export class TokenRequests1764815000000 implements MigrationInterface {
  name = 'TokenRequests1764815000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'token_requests',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'identity_id', type: t.uuid },
          { name: 'requested_by_id', type: t.uuid },
          { name: 'requested_by', type: 'varchar', length: '340' },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'scopes', type: t.json, isNullable: true },
          { name: 'expires_at', type: t.timestamp, isNullable: true },
          { name: 'expires_in_days', type: 'integer', isNullable: true },
          { name: 'body', type: t.json },
          { name: 'justification', type: 'varchar', length: '500' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'created_at', type: t.timestamp },
          { name: 'decided_by', type: 'varchar', length: '340', isNullable: true },
          { name: 'decided_by_id', type: t.uuid, isNullable: true },
          { name: 'decided_at', type: t.timestamp, isNullable: true },
          { name: 'decision_reason', type: 'varchar', length: '500', isNullable: true },
          { name: 'closed_at', type: t.timestamp, isNullable: true },
          { name: 'token_id', type: t.uuid, isNullable: true },
        ],
        checks: [
          {
            name: 'ck_token_requests_status',
            expression: "status IN ('pending', 'approved', 'denied', 'withdrawn', 'collected')",
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
    await queryRunner.createIndices('token_requests', [
      new TableIndex({
        name: 'ix_token_requests_business_created',
        columnNames: ['business_id', 'created_at', 'id'],
      }),
      new TableIndex({
        name: 'ix_token_requests_pending',
        columnNames: ['business_id', 'status', 'identity_id'],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('token_requests');
  }
}
