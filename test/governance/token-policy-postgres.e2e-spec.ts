import { describeIf, TEST_DATABASE_URL } from '../setup/servers';
import { runTokenPolicy } from './token-policy-table';

/** PostgreSQL's half of the table (token-policy-table.ts), in a file of its own so it runs beside SQLite's. */
describeIf(!!TEST_DATABASE_URL, 'set TEST_DATABASE_URL')('token policy on postgres', () =>
  runTokenPolicy('postgres'),
);
