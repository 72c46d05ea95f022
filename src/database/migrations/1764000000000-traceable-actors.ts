import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * Makes every token traceable to its maker, and every audit event to the token that acted and
 * the way in (api, cli, system). Rows written before this migration keep these columns null,
 * and their hashes, which never covered them, still verify.
 */
export class TraceableActors1764000000000 implements MigrationInterface {
  name = 'TraceableActors1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.addColumn(
      'api_tokens',
      new TableColumn({ name: 'created_by_id', type: t.uuid, isNullable: true }),
    );
    await queryRunner.addColumns('audit_events', [
      new TableColumn({ name: 'origin', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'actor_token_id', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({
        name: 'actor_issued_by_id',
        type: 'varchar',
        length: '36',
        isNullable: true,
      }),
      new TableColumn({
        name: 'actor_issued_by_label',
        type: 'varchar',
        length: '340',
        isNullable: true,
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of [
      'actor_issued_by_label',
      'actor_issued_by_id',
      'actor_token_id',
      'origin',
    ]) {
      await queryRunner.dropColumn('audit_events', column);
    }
    await queryRunner.dropColumn('api_tokens', 'created_by_id');
  }
}
