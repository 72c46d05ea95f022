import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * The resources a business registers (`resources`): each URI once per business (a unique index,
 * which settles two registrations in a race), listed by creation. Scopes are a JSON list of
 * `{name, description}`, at most 50, read and written whole.
 */
export class Resources1764850000000 implements MigrationInterface {
  name = 'Resources1764850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'resources',
        columns: [
          { name: 'id', type: t.uuid, isPrimary: true },
          { name: 'business_id', type: t.uuid },
          { name: 'uri', type: 'varchar', length: '256' },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'scopes', type: t.json },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
          { name: 'updated_by', type: 'varchar', length: '340' },
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
    await queryRunner.createIndices('resources', [
      new TableIndex({
        name: 'ux_resources_business_uri',
        columnNames: ['business_id', 'uri'],
        isUnique: true,
      }),
      new TableIndex({
        name: 'ix_resources_business_created',
        columnNames: ['business_id', 'created_at', 'id'],
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('resources');
  }
}
