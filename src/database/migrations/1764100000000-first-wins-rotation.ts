import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types';

/**
 * A token's successor, set once by a conditional UPDATE when it is rotated: with a grace period
 * the old token stays unrevoked, so `revoked_at` cannot say which of two concurrent rotations
 * won; `rotated_to_id` does, and a token has at most one successor.
 */
export class FirstWinsRotation1764100000000 implements MigrationInterface {
  name = 'FirstWinsRotation1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.addColumn(
      'api_tokens',
      new TableColumn({ name: 'rotated_to_id', type: t.uuid, isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('api_tokens', 'rotated_to_id');
  }
}
