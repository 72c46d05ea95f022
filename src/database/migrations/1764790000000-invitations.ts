import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/** Where a link may still be used, and a person may hold only one invitation per business. */
const OPEN = "status IN ('pending', 'send_failed')";

/**
 * Invitations by email (`invitations`): the link's secret only as its SHA-256, unique; one open
 * invitation per business and address (a partial unique index, on both databases); the list of
 * a business's open ones by creation.
 */
export class Invitations1764790000000 implements MigrationInterface {
  name = 'Invitations1764790000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'invitations',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'email', type: 'varchar', length: '254' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'expires_in_hours', type: 'integer' },
          { name: 'expires_at', type: t.timestamp },
          { name: 'created_at', type: t.timestamp },
          { name: 'last_sent_at', type: t.timestamp },
          { name: 'invited_by', type: 'varchar', length: '340' },
          { name: 'invited_by_id', type: t.uuid, isNullable: true },
          { name: 'maker', type: t.json },
          { name: 'accepted_at', type: t.timestamp, isNullable: true },
          { name: 'accepted_identity_id', type: t.uuid, isNullable: true },
          { name: 'revoked_at', type: t.timestamp, isNullable: true },
        ],
        checks: [
          {
            name: 'ck_invitations_status',
            expression: "status IN ('pending', 'send_failed', 'accepted', 'revoked')",
          },
          { name: 'ck_invitations_role', expression: "role IN ('owner', 'admin', 'member')" },
          {
            name: 'ck_invitations_hours',
            expression: 'expires_in_hours >= 1 AND expires_in_hours <= 168',
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
    await queryRunner.createIndices('invitations', [
      new TableIndex({
        name: 'ux_invitations_token_hash',
        columnNames: ['token_hash'],
        isUnique: true,
      }),
      new TableIndex({
        name: 'ux_invitations_open_email',
        columnNames: ['business_id', 'email'],
        isUnique: true,
        where: OPEN,
      }),
      new TableIndex({
        name: 'ix_invitations_business_created',
        columnNames: ['business_id', 'status', 'created_at', 'id'],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('invitations');
  }
}
