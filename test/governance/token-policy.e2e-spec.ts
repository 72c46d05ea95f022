import { runTokenPolicy } from './token-policy-table';

/** SQLite's half of the table (token-policy-table.ts); token-policy-postgres.e2e-spec.ts runs beside it. */
describe('token policy on sqlite', () => runTokenPolicy('sqlite'));
