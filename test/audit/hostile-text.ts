import fc from 'fast-check';

/**
 * Text from every corner of Unicode, for property tests: fast-check arbitraries, and the oracle
 * of what the audit log stores for a text field.
 *
 * Seeded, so that CI runs the same cases every time; PROPERTY_SEED picks others, and
 * PROPERTY_RUNS sets how many random cases each property runs after its named ones. A failure
 * prints the seed, the path and the shrunk counterexample.
 */
const PROPERTY_SEED = Number(process.env.PROPERTY_SEED ?? 20261114);
const PROPERTY_RUNS = Number(process.env.PROPERTY_RUNS ?? 25);

/** The named cases first, then PROPERTY_RUNS random ones (fast-check counts both in numRuns). */
export function propertyParams<T>(examples: T[]): fc.Parameters<T> {
  return { seed: PROPERTY_SEED, numRuns: examples.length + PROPERTY_RUNS, examples };
}
/** Room for fast-check to shrink a failure, which replays the case many times. */
export const PROPERTY_TIMEOUT_MS = 180_000;

/** The characters that break things: each is a unit of its own, and often repeated. */
const HOSTILE_UNITS = [
  '\0',
  '\ud800', // lone high surrogates
  '\udbff',
  '\ud83d',
  '\udc00', // lone low surrogates
  '\udfff',
  '\ude00',
  '\ud83d\ude00', // a well-formed pair
  '\ufffd',
  '\ufeff',
  '\ufffe',
  '\uffff',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u00a0',
  '\u3000',
  '\u180e',
  ' ',
  '\t',
  '\n',
  '\r',
  '\x01',
  '\x1b',
  '\x1f',
  '\x7f',
  '\u0301', // combining marks, on nothing or on a letter
  'e\u0301',
  '\u200b',
  '\u200d',
  '\u202e',
  '\ufe0e', // variation selectors, alone and after a character
  '\ufe0f',
  'a\ufe0f',
  '\u2764\ufe0f',
  '\u{1f600}',
  '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
  '\u{1f1eb}\u{1f1f7}',
  '\u{e0041}',
  '\u{10ffff}',
  '"',
  '\\',
  '=',
  '\u0130',
  '\ufb03',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** One piece of text: a hostile unit, any code point, any UTF-16 unit, or any grapheme. */
const anyUnit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_UNITS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 1, arbitrary: codeUnit },
);

/**
 * Text of at most `maxUnits` UTF-16 code units (a cut may leave a lone high surrogate at the
 * end, which is one more case). Often it sits at `edge` code points, counted either way: one
 * unit repeated `edge - 1`, `edge` or `edge + 1` times, or half as many (two-unit characters),
 * with a short tail before or after (whitespace there tests trimming at the limit).
 */
export function text(maxUnits: number, edge = maxUnits): fc.Arbitrary<string> {
  const half = Math.floor(edge / 2);
  const nearEdge = fc
    .tuple(
      anyUnit,
      fc.constantFrom(edge - 1, edge, edge + 1, half, half + 1),
      fc.string({ unit: anyUnit, maxLength: 3 }),
      fc.boolean(),
    )
    .map(([unit, times, tail, tailFirst]) =>
      tailFirst ? tail + unit.repeat(times) : unit.repeat(times) + tail,
    );
  return fc
    .oneof(
      fc.string({ unit: anyUnit, maxLength: maxUnits }),
      fc.string({ unit: anyUnit, maxLength: maxUnits, size: 'max' }),
      fc.string({ unit: 'binary', maxLength: maxUnits, size: 'medium' }),
      fc.string({ unit: 'grapheme', maxLength: maxUnits, size: 'medium' }),
      fc.string({ unit: 'binary-ascii', maxLength: maxUnits }),
      nearEdge,
    )
    .map((s) => s.slice(0, maxUnits));
}

/** Random JSON for `metadata`: random keys, random text in the strings, a few levels deep. */
export const metadataArb: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  text(40),
  fc.jsonValue({ stringUnit: anyUnit, maxDepth: 3 }),
  { maxKeys: 6 },
);

// ---------------------------------------------------------------------------------------------
// The oracle, written here from the contract (canonicalJson alone is the app's: RFC 8785)
// ---------------------------------------------------------------------------------------------

const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Well-formed Unicode without U+0000. */
export const isClean = (s: string) => s.match(UNSTORABLE) === null;

/** What the log stores, hashes and shows for a text field. */
export const stored = (s: string) => s.replace(UNSTORABLE, '\ufffd');
export const storedOrNull = (s: string | null) => (s === null ? null : stored(s));

/** Length in code points, as JSON Schema's maxLength and PostgreSQL's varchar count it. */
export const codePoints = (s: string) => [...s].length;

/** A string for a failure message: its lengths, and its code points with repeats counted. */
export function described(s: string): string {
  const runs: [string, number][] = [];
  for (const c of s) {
    const code = `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    const last = runs.at(-1);
    if (last?.[0] === code) last[1]++;
    else runs.push([code, 1]);
  }
  const shown = runs.map(([code, n]) => (n > 1 ? `${code}x${n}` : code));
  const points = shown.length > 16 ? [...shown.slice(0, 12), '…', ...shown.slice(-3)] : shown;
  return `${codePoints(s)} code points, ${s.length} UTF-16 units: ${points.join(' ')}`;
}
