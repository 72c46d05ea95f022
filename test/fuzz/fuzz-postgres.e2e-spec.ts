import { describeIf, TEST_DATABASE_URL } from '../setup/servers';
import { fuzzTheSurface } from './fuzz-surface';

/** PostgreSQL's half of the fuzzing (fuzz-surface.ts), in a file of its own so it runs beside SQLite's. */
describeIf(!!TEST_DATABASE_URL, 'set TEST_DATABASE_URL')(
  'fuzzing the OpenAPI surface on postgres',
  () => fuzzTheSurface('postgres'),
);
