import { fuzzTheSurface } from './fuzz-surface';

/** SQLite's half of the fuzzing (fuzz-surface.ts); fuzz-postgres.e2e-spec.ts runs beside it. */
describe('fuzzing the OpenAPI surface on sqlite', () => fuzzTheSurface('sqlite'));
