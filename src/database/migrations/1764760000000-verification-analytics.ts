import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { columnTypes } from './column-types';

/** The three granularities of verification counts, finest first. */
const TABLES = ['verification_minutes', 'verification_hours', 'verification_days'];

/**
 * Verification analytics: counts of verifications per bucket (a UTC minute, hour or day),
 * business, token, outcome and tags, one table per granularity. An absent business, token or
 * identity (an unknown token) is the nil UUID, and no tag the empty string, so that the key has
 * no NULL in it and the additive upserts meet one row. Ids as uuid (16 bytes on PostgreSQL, not
 * 37): a day of minutes for 10,000 tokens is gigabytes. Each table is kept for its own retention.
 */
export class VerificationAnalytics1764760000000 implements MigrationInterface {
  name = 'VerificationAnalytics1764760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    for (const name of TABLES) {
      await queryRunner.createTable(
        new Table({
          name,
          columns: [
            { name: 'bucket', type: t.timestamp, isPrimary: true },
            { name: 'business_id', type: t.uuid, isPrimary: true },
            { name: 'token_id', type: t.uuid, isPrimary: true },
            { name: 'outcome', type: 'varchar', length: '24', isPrimary: true },
            { name: 'tag', type: 'varchar', length: '520', isPrimary: true },
            { name: 'identity_id', type: t.uuid },
            { name: 'count', type: 'bigint' },
          ],
          // A business's buckets in a window; the key (bucket first) serves the platform's
          // reads, the roll-ups and retention.
          indices: [{ name: `ix_${name}_business`, columnNames: ['business_id', 'bucket'] }],
        }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of [...TABLES].reverse()) await queryRunner.dropTable(name);
  }
}
