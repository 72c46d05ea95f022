import {
  BoundedPgClient,
  BoundedPgClientConfig,
} from '../../src/database/connection/bounded-pg-client';
import { describeIf, TEST_DATABASE_URL } from '../setup/servers';

/**
 * The app's PostgreSQL client sends a transaction's START ahead of its first statements, one
 * round trip fewer per transaction. What follows the START must still run inside that
 * transaction, on a direct connection and through a transaction pooler (where a statement seen
 * outside a transaction gets a BEGIN and COMMIT of its own), and a START that failed must never
 * be acknowledged by a COMMIT.
 */
const suite = describeIf(!!TEST_DATABASE_URL, 'set TEST_DATABASE_URL');

const POOLER = { local_timeouts: { statementMs: 5000, idleInTransactionMs: 5000 } };

suite('a transaction START sent ahead (BoundedPgClient)', () => {
  const clients: BoundedPgClient[] = [];
  const table = `start_ahead_${process.pid}`;

  const connect = async (config: Partial<BoundedPgClientConfig> = {}) => {
    const client = new BoundedPgClient({ connectionString: TEST_DATABASE_URL, ...config });
    await client.connect();
    clients.push(client);
    return client;
  };
  const count = async () => {
    const reader = await connect();
    const { rows } = await reader.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(rows[0].n);
  };

  beforeAll(async () => {
    const admin = await connect();
    await admin.query(`CREATE TABLE ${table} (n int)`);
  });
  afterAll(async () => {
    await clients[0].query(`DROP TABLE IF EXISTS ${table}`);
    await Promise.all(clients.map((c) => c.end()));
  });
  beforeEach(() => clients[0].query(`DELETE FROM ${table}`));

  it.each([
    ['direct', {}],
    ['through a transaction pooler (SET LOCAL timeouts)', POOLER],
  ])(
    '%s: START is answered before the server answers it, and what follows runs inside the transaction',
    async (_how, config) => {
      const client = await connect(config);
      await client.query('START TRANSACTION');
      // Answered at once: the server has not said so yet (its status comes with its answer).
      expect(client.getTransactionStatus()).toBe('I');
      await client.query(`INSERT INTO ${table} VALUES (1)`);
      expect(client.getTransactionStatus()).toBe('T');
      await client.query('ROLLBACK');
      expect(await count()).toBe(0);

      await client.query('START TRANSACTION');
      await client.query(`INSERT INTO ${table} VALUES (2)`);
      await client.query('COMMIT');
      expect(await count()).toBe(1);
      // A statement outside any transaction still commits on its own.
      await client.query(`INSERT INTO ${table} VALUES (3)`);
      expect(client.getTransactionStatus()).toBe('I');
      expect(await count()).toBe(2);
    },
  );

  it('a START that failed: what follows fails, the COMMIT is refused with its error, and nothing is kept', async () => {
    // A SET LOCAL the server refuses makes the START's message fail after it opened the
    // transaction, as any failure of it would leave the transaction aborted.
    const client = await connect({
      local_timeouts: { statementMs: Number.NaN, idleInTransactionMs: 5000 },
    });
    await client.query('START TRANSACTION');
    await expect(client.query(`INSERT INTO ${table} VALUES (1)`)).rejects.toMatchObject({
      code: '25P02',
    });
    await expect(client.query('COMMIT')).rejects.toThrow(/statement_timeout/);
    await client.query('ROLLBACK');
    expect(await count()).toBe(0);
    // The connection is clean again: the next transaction commits.
    const healthy = await connect();
    await healthy.query('START TRANSACTION');
    await healthy.query(`INSERT INTO ${table} VALUES (4)`);
    await healthy.query('COMMIT');
    expect(await count()).toBe(1);
  });
});
