import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/**
 * Matrices and fuzzing take a seeded sample in `npm test` and run whole in `npm run test:full`
 * (`TEST_FULL=1`), as docs/testing.md says. The sample is the same in every worker and every run
 * of one seed: `TEST_SEED`, which global setup fills in when it is unset and prints, so a failure
 * replays with `TEST_SEED=<n> npx jest <suite>`. Each call is written down
 * (`LATCHKEY_SAMPLES_FILE`), and the run's summary counts the rows each matrix left out.
 */
export const TEST_FULL = process.env.TEST_FULL === '1';

/** The seed a run samples with when TEST_SEED is unset: fixed, so two runs sample alike. */
export const DEFAULT_TEST_SEED = 20261129;

/** The run's seed: TEST_SEED, or the default. */
export function testSeed(): number {
  const raw = process.env.TEST_SEED;
  if (raw === undefined || raw === '') return DEFAULT_TEST_SEED;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`TEST_SEED must be a non-negative integer, not ${raw}`);
  }
  return seed;
}

/** What one call of `sample` kept, as the run's summary reads it (test/setup/run-summary.js). */
export interface SampleRecord {
  suite: string;
  matrix: string;
  kept: number;
  rows: number;
  /** Tests each row makes, so the summary can say how many tests the sample left out. */
  testsPerRow: number;
  seed: number;
  /** What a row is, in the summary: `rows` for a table, `runs` or `tokens` for a count. */
  unit?: string;
}

export interface SampleOptions<T> {
  /** Tests each row makes (a row that is a describe of several); 1 by default, 0 for checks. */
  testsPerRow?: number;
  /** What a row is, in the summary: `rows` by default. */
  unit?: string;
  /** Rows kept whatever the seed: the cases a reader would look for first. */
  always?: (row: T) => boolean;
  /** False for a second call over the same rows (one walk in two halves): counted once. */
  counted?: boolean;
}

/** A 32-bit generator seeded from the run's seed and the matrix's name (mulberry32). */
function generator(seed: number, matrix: string): () => number {
  let state = createHash('sha256').update(`${seed}\0${matrix}`).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function record(entry: SampleRecord): void {
  const file = process.env.LATCHKEY_SAMPLES_FILE;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** The suite being loaded, relative to the repository, for the summary. */
function currentSuite(): string {
  const path = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState()
    .testPath;
  return path ? path.slice(process.cwd().length + 1) : '';
}

/**
 * `keep` rows of `rows`, chosen by the run's seed and the matrix's name, in their own order (a
 * matrix whose rows build on one another keeps its order); every row under `TEST_FULL=1`, or
 * when `keep` is not less than the rows. `matrix` names the table within its suite: two calls
 * with the same name and seed choose alike.
 */
export function sample<T>(
  matrix: string,
  rows: readonly T[],
  keep: number,
  options: SampleOptions<T> = {},
): T[] {
  const seed = testSeed();
  const all = [...rows];
  let chosen = all;
  if (!TEST_FULL && keep < all.length) {
    const always = options.always ?? (() => false);
    const picked = new Set(all.filter(always));
    const rest = all.filter((row) => !picked.has(row));
    const next = generator(seed, matrix);
    // A partial Fisher-Yates shuffle: the first `keep - picked` places are the sample.
    for (let i = 0; i < rest.length && picked.size < keep; i++) {
      const j = i + Math.floor(next() * (rest.length - i));
      [rest[i], rest[j]] = [rest[j], rest[i]];
      picked.add(rest[i]);
    }
    chosen = all.filter((row) => picked.has(row));
  }
  if (options.counted === false) return chosen;
  record({
    suite: currentSuite(),
    matrix,
    kept: chosen.length,
    rows: all.length,
    testsPerRow: options.testsPerRow ?? 1,
    seed,
    unit: options.unit,
  });
  return chosen;
}

/**
 * A count for a bounded loop (fuzz runs, rows seeded): `sampled` in `npm test`, `full` in
 * `npm run test:full`. `unit` names what is counted in the run's summary.
 */
export function sampledCount(matrix: string, sampled: number, full: number, unit = 'runs'): number {
  const count = TEST_FULL ? full : Math.min(sampled, full);
  record({
    suite: currentSuite(),
    matrix,
    kept: count,
    rows: full,
    testsPerRow: 0,
    seed: testSeed(),
    unit,
  });
  return count;
}
