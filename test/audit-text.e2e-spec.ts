import fc from 'fast-check';
import { createHash, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { AuditEntry } from '../src/audit/audit-entry';
import type { AuditEvent } from '../src/audit/audit-event.entity';
import { AuditRepository } from '../src/audit/audit.repository';
import { canonicalJson } from '../src/audit/canonical-json';
import { UnitOfWork } from '../src/database/unit-of-work';
import { createBusiness, createToken } from './factories/tenancy.factory';
import { asMember, asOwner, asPlatform } from './helpers/api';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

/**
 * Any text, through every audited field, on every driver: the chains still verify, an NDJSON
 * export still checks offline, and what the API shows of an event is what was hashed.
 *
 * Below HTTP (the CLI, a job, any later caller) the log takes whatever it is given and stores
 * it with lone surrogates and U+0000 replaced by U+FFFD. Through HTTP, text that is not
 * well-formed, holds U+0000, or does not fit is a 422 naming the field, and never a 5xx.
 *
 * Seeded, so that CI runs the same cases every time; PROPERTY_SEED picks others, and
 * PROPERTY_RUNS sets how many random cases each property runs after its named ones. A failure
 * prints the seed, the path and the shrunk counterexample.
 */
const PROPERTY_SEED = Number(process.env.PROPERTY_SEED ?? 20261114);
const PROPERTY_RUNS = Number(process.env.PROPERTY_RUNS ?? 25);

/** The named cases first, then PROPERTY_RUNS random ones (fast-check counts both in numRuns). */
function propertyParams<T>(examples: T[]): fc.Parameters<T> {
  return { seed: PROPERTY_SEED, numRuns: examples.length + PROPERTY_RUNS, examples };
}
/** Room for fast-check to shrink a failure, which replays the case many times. */
const PROPERTY_TIMEOUT_MS = 180_000;

const GENESIS = '0'.repeat(64);

// ---------------------------------------------------------------------------------------------
// Text from every corner of Unicode
// ---------------------------------------------------------------------------------------------

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
function text(maxUnits: number, edge = maxUnits): fc.Arbitrary<string> {
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
const metadataArb: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  text(40),
  fc.jsonValue({ stringUnit: anyUnit, maxDepth: 3 }),
  { maxKeys: 6 },
);

// ---------------------------------------------------------------------------------------------
// The oracle, written here from the contract (canonicalJson alone is the app's: RFC 8785)
// ---------------------------------------------------------------------------------------------

const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Well-formed Unicode without U+0000. */
const isClean = (s: string) => s.match(UNSTORABLE) === null;

/** What the log stores, hashes and shows for a text field. */
const stored = (s: string) => s.replace(UNSTORABLE, '\ufffd');
const storedOrNull = (s: string | null) => (s === null ? null : stored(s));

/** Length in code points, as JSON Schema's maxLength and PostgreSQL's varchar count it. */
const codePoints = (s: string) => [...s].length;

/** A string for a failure message: its lengths, and its code points with repeats counted. */
function described(s: string): string {
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

interface Target {
  type: string;
  id: string | null;
  label: string | null;
}

interface EventLine {
  seq: number;
  prev_hash: string;
  hash: string;
  [field: string]: unknown;
}

/** sha256(prev_hash || JCS(the line without prev_hash and hash)). */
function lineHash(line: EventLine): string {
  const event: Record<string, unknown> = { ...line };
  delete event.prev_hash;
  delete event.hash;
  return createHash('sha256')
    .update(line.prev_hash + canonicalJson(event), 'utf8')
    .digest('hex');
}

/**
 * The first line of an export that does not hold, checked offline; null when all do. From
 * `fromSeq` on, when given: the lines before it are taken as they are (they are another
 * property's, which reports its own failure).
 */
function firstBrokenLine(lines: EventLine[], fromSeq = 1): EventLine | null {
  let prev = fromSeq === 1 ? GENESIS : lines[fromSeq - 2]?.hash;
  for (const [i, line] of lines.entries()) {
    if (i + 1 < fromSeq) continue;
    if (line.seq !== i + 1 || line.prev_hash !== prev || lineHash(line) !== line.hash) return line;
    prev = line.hash;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Entries for the log, with hostile text in one field or in all
// ---------------------------------------------------------------------------------------------

/**
 * Every text field of an entry, with its column's length (audit-event.entity.ts), counted
 * here in UTF-16 units, which is never less than PostgreSQL's count in code points. The ids are
 * uuids from every caller today, but nothing below HTTP checks that they are.
 */
const ENTRY_FIELDS = {
  action: 64,
  'actor.id': 36,
  'actor.label': 340,
  'actor.token_id': 36,
  'actor.issued_by.id': 36,
  'actor.issued_by.label': 340,
  'target.type': 32,
  'target.id': 36,
  'target.label': 340,
  request_id: 128,
  ip: 64,
  user_agent: 512,
  /** A text column: no limit. */
  metadata: Infinity,
} as const;
type EntryField = keyof typeof ENTRY_FIELDS;
type Hostile = EntryField | 'every field';

interface EntryCase {
  /** Business chain or platform chain. */
  platform: boolean;
  action: string;
  outcome: AuditEntry['outcome'];
  actorType: AuditEntry['actor']['type'];
  actorId: string | null;
  actorLabel: string;
  /** Null: no acting token (the system, the CLI). */
  token: { id: string; issuedBy: { id: string | null; label: string } | null } | null;
  targetType: string;
  targetId: string | null;
  targetLabel: string | null;
  channel: AuditEntry['origin']['channel'];
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown>;
}

/**
 * Finds an appended event again through the API: a fresh uuid in `target.id`, or in `actor.id`
 * while `target.id` is the field under test.
 */
const handleIn = (hostile: Hostile): 'actor_id' | 'target_id' =>
  hostile === 'target.id' ? 'actor_id' : 'target_id';

/** `hostile` gets random text; the rest stay plain, unless `hostile` is 'every field'. */
function entryCase(hostile: Hostile): fc.Arbitrary<EntryCase> {
  const isHostile = (field: EntryField) => hostile === field || hostile === 'every field';
  const pick = (field: EntryField, plain: fc.Arbitrary<string>) =>
    isHostile(field) ? text(ENTRY_FIELDS[field]) : plain;
  const orNull = (arb: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) });
  return fc.record({
    platform: fc.boolean(),
    action: pick('action', fc.constant('text.checked')),
    outcome: fc.constantFrom('success' as const, 'failure' as const),
    actorType: fc.constantFrom('user' as const, 'machine' as const, 'system' as const),
    actorId: orNull(pick('actor.id', fc.uuid())),
    actorLabel: pick('actor.label', fc.constant('tester@example.test')),
    token: fc.oneof(
      { weight: 1, arbitrary: fc.constant(null) },
      {
        weight: 4,
        arbitrary: fc.record({
          // Never empty: an empty token id means "no token" to the log.
          id: pick('actor.token_id', fc.uuid()).filter((id) => id.length > 0),
          issuedBy: fc.oneof(
            { weight: 1, arbitrary: fc.constant(null) },
            {
              weight: 4,
              arbitrary: fc.record({
                id: orNull(pick('actor.issued_by.id', fc.uuid())),
                label: pick('actor.issued_by.label', fc.constant('maker@example.test')),
              }),
            },
          ),
        }),
      },
    ),
    targetType: pick('target.type', fc.constant('token')),
    // Replaced by the handle unless it is the field under test (see handleIn).
    targetId: hostile === 'target.id' ? orNull(text(ENTRY_FIELDS['target.id'])) : fc.constant(null),
    targetLabel: orNull(pick('target.label', fc.constant('target'))),
    channel: fc.constantFrom('api' as const, 'cli' as const, 'system' as const),
    requestId: orNull(pick('request_id', fc.constant('req-1'))),
    ip: orNull(pick('ip', fc.constant('127.0.0.1'))),
    userAgent: orNull(pick('user_agent', fc.constant('audit-text/1.0'))),
    metadata: isHostile('metadata') ? metadataArb : fc.constant({ reason: 'plain' }),
  });
}

/** Named text that runs before the random cases of each property: the known ways to break. */
const NAMED_TEXT = [
  'x\ud800y',
  '\udc00',
  '\ud800\ud800',
  'x\ud83d',
  '\0',
  'a\0b',
  '\ufffd',
  '\ufeff',
  '\u2028',
  'e\u0301',
  '\ud83d\ude00',
];

const PLAIN_CASE: EntryCase = {
  platform: false,
  action: 'text.checked',
  outcome: 'success',
  actorType: 'user',
  actorId: null,
  actorLabel: 'tester@example.test',
  token: null,
  targetType: 'token',
  targetId: null,
  targetLabel: 'target',
  channel: 'api',
  requestId: 'req-1',
  ip: '127.0.0.1',
  userAgent: 'audit-text/1.0',
  metadata: { reason: 'plain' },
};

/** The plain case with `s` in the field under test (or in every field), on either chain. */
function namedCase(hostile: Hostile, s: string, platform: boolean): EntryCase {
  const c: EntryCase = { ...PLAIN_CASE, platform };
  const fields =
    hostile === 'every field' ? (Object.keys(ENTRY_FIELDS) as EntryField[]) : [hostile];
  const token = () => c.token ?? { id: randomUUID(), issuedBy: null };
  for (const field of fields) {
    switch (field) {
      case 'action':
        c.action = s;
        break;
      case 'actor.id':
        c.actorId = s;
        break;
      case 'actor.label':
        c.actorLabel = s;
        break;
      case 'actor.token_id':
        c.token = { ...token(), id: s };
        break;
      case 'actor.issued_by.id':
        c.token = { ...token(), issuedBy: { label: 'maker', ...token().issuedBy, id: s } };
        break;
      case 'actor.issued_by.label':
        c.token = { ...token(), issuedBy: { id: null, ...token().issuedBy, label: s } };
        break;
      case 'target.type':
        c.targetType = s;
        break;
      case 'target.id':
        // In 'every field', target.id carries the handle instead.
        c.targetId = s;
        break;
      case 'target.label':
        c.targetLabel = s;
        break;
      case 'request_id':
        c.requestId = s;
        break;
      case 'ip':
        c.ip = s;
        break;
      case 'user_agent':
        c.userAgent = s;
        break;
      case 'metadata':
        c.metadata = { [s]: s, nested: [s, { [s]: null }] };
        break;
    }
  }
  return c;
}

function toEntry(c: EntryCase, hostile: Hostile, businessId: string, handle: string): AuditEntry {
  const byActor = handleIn(hostile) === 'actor_id';
  return {
    businessId: c.platform ? null : businessId,
    action: c.action,
    outcome: c.outcome,
    actor: {
      id: byActor ? handle : c.actorId,
      type: c.actorType,
      label: c.actorLabel,
      ...(c.token ? { tokenId: c.token.id, issuedBy: c.token.issuedBy } : {}),
    },
    target: { type: c.targetType, id: byActor ? c.targetId : handle, label: c.targetLabel },
    origin: { channel: c.channel, requestId: c.requestId, ip: c.ip, userAgent: c.userAgent },
    metadata: c.metadata,
  };
}

/** The event as the API must show it: the entry, with its text as stored. */
function expectedView(entry: AuditEntry, appended: AuditEvent): Record<string, unknown> {
  const { actor } = entry;
  return {
    id: appended.id,
    seq: appended.seq,
    business_id: entry.businessId,
    occurred_at: appended.occurredAt.toISOString(),
    origin: entry.origin.channel,
    action: stored(entry.action),
    outcome: entry.outcome,
    actor: {
      id: storedOrNull(actor.id),
      type: actor.type,
      label: stored(actor.label),
      ...(actor.tokenId
        ? {
            token_id: stored(actor.tokenId),
            issued_by: actor.issuedBy
              ? { id: storedOrNull(actor.issuedBy.id), label: stored(actor.issuedBy.label) }
              : null,
          }
        : {}),
    },
    target: {
      type: stored(entry.target.type),
      id: storedOrNull(entry.target.id),
      label: storedOrNull(entry.target.label),
    },
    request_id: storedOrNull(entry.origin.requestId),
    ip: storedOrNull(entry.origin.ip),
    user_agent: storedOrNull(entry.origin.userAgent),
    // Canonical JSON text: its escapes keep lone surrogates and U+0000 as they were.
    metadata: JSON.parse(JSON.stringify(entry.metadata)),
    prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    hash: expect.stringMatching(/^[0-9a-f]{64}$/),
  };
}

// ---------------------------------------------------------------------------------------------
// Fields a caller writes through HTTP
// ---------------------------------------------------------------------------------------------

interface HttpField {
  /** The body field, as `loc` names it. */
  field: string;
  trimmed: boolean;
  min: number;
  max: number;
}

/**
 * The audited text fields of requests, with the limits the API states (minLength, maxLength:
 * code points, as JSON Schema counts them). Machine names are a pattern of ASCII: left out.
 */
const HTTP_FIELDS = {
  'token name': { field: 'name', trimmed: true, min: 1, max: 100 },
  'revoke reason': { field: 'reason', trimmed: false, min: 0, max: 500 },
  'business name': { field: 'name', trimmed: true, min: 1, max: 200 },
} satisfies Record<string, HttpField>;
type HttpCase = keyof typeof HTTP_FIELDS;

/** 201 with the text as kept, or 422 for the field. */
function expectedAnswer(spec: HttpField, raw: string): { status: 201 | 422; kept?: string } {
  if (!isClean(raw)) return { status: 422 };
  const kept = spec.trimmed ? raw.trim() : raw;
  const length = codePoints(kept);
  return length >= spec.min && length <= spec.max ? { status: 201, kept } : { status: 422 };
}

/** Named raw values for a request field: each side of its limits, counted every way. */
function namedRequestText({ max }: HttpField): string[] {
  const half = Math.floor(max / 2);
  return [
    'x\ud800y',
    'x\udc00',
    '\0',
    '',
    ' ',
    '\ufeff',
    '\u180e',
    '\u2028x',
    'a'.repeat(max),
    'a'.repeat(max + 1),
    ` ${'a'.repeat(max)}\u3000`,
    // One code point over, which a validator that skips variation selectors lets through.
    `${'a'.repeat(max)}\ufe0f`,
    '\u{1f600}'.repeat(max),
    '\u{1f600}'.repeat(max + 1),
    'e\u0301'.repeat(half + 1),
    'a\ufe0f'.repeat(half),
    'a\ufe0f'.repeat(half + 1),
    '\u2764\ufe0f'.repeat(max),
  ];
}

/** The answer, short: its status, code, and the places its issues name. */
function answerOf(res: Response) {
  const detail: unknown = res.body?.detail;
  return {
    status: res.status,
    code: res.body?.code as unknown,
    locs: Array.isArray(detail) ? detail.map((issue: { loc: unknown }) => issue.loc) : [],
  };
}

let counter = 0;
const unique = (label: string) => `${label}-${process.pid}-${++counter}`;

interface Chain {
  name: string;
  base: string;
  headers: Record<string, string>;
}

describe.each(DRIVERS)('audit text on %s', (driver) => {
  let t: TestApp;
  let repo: AuditRepository;
  let uow: UnitOfWork;

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    repo = t.app.get(AuditRepository);
    uow = t.app.get(UnitOfWork);
  });

  afterAll(async () => {
    await t?.close();
  });

  const platformChain = (): Chain => ({
    name: 'platform',
    base: '/platform/v1/audit-events',
    headers: asPlatform(t),
  });
  const businessChain = (b: { id: string; ownerToken: string }): Chain => ({
    name: `business ${b.id}`,
    base: '/api/v1/audit-events',
    headers: asMember(b.ownerToken, b.id),
  });

  /** POSTs the body as raw JSON text, so that lone surrogates travel as `\uXXXX` escapes. */
  const postJson = (path: string, headers: Record<string, string>, body: unknown) =>
    t
      .http()
      .post(path)
      .set(headers)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));

  async function exportLines(chain: Chain): Promise<EventLine[]> {
    const res = await t
      .http()
      .get(`${chain.base}/export`)
      .query({ format: 'ndjson' })
      .set(chain.headers)
      .buffer(true)
      .parse((stream, done) => {
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (body += chunk));
        stream.on('end', () => done(null, body));
      });
    expect({ chain: chain.name, status: res.status }).toEqual({ chain: chain.name, status: 200 });
    // JSON escapes every newline inside a line, so "\n" alone separates them (not U+2028).
    return (res.body as string)
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as EventLine);
  }

  async function verify(chain: Chain) {
    const res = await t.http().get(`${chain.base}/verify`).set(chain.headers);
    return { chain: chain.name, status: res.status, ...res.body?.data };
  }

  /** The server verifies the chain, and its NDJSON export checks offline, line for line. */
  async function expectChainHolds(chain: Chain): Promise<void> {
    expect(await verify(chain)).toEqual({
      chain: chain.name,
      status: 200,
      valid: true,
      checked: expect.any(Number),
      first_invalid_seq: null,
    });
    const lines = await exportLines(chain);
    expect({ chain: chain.name, broken: firstBrokenLine(lines) }).toEqual({
      chain: chain.name,
      broken: null,
    });
    expect((await verify(chain)).checked).toBe(lines.length);
  }

  /** The chain's events from `fromSeq` on check offline: the platform chain is shared. */
  async function expectChainHoldsFrom(chain: Chain, fromSeq: number): Promise<void> {
    const lines = await exportLines(chain);
    expect({ chain: chain.name, broken: firstBrokenLine(lines, fromSeq) }).toEqual({
      chain: chain.name,
      broken: null,
    });
  }

  const nextSeq = async (chain: Chain) => (await exportLines(chain)).length + 1;

  /** The one event with this actor or target id, as the platform API (every chain) shows it. */
  async function eventBy(
    filter: 'actor_id' | 'target_id',
    id: string,
    action?: string,
  ): Promise<EventLine> {
    const res = await t
      .http()
      .get('/platform/v1/audit-events')
      .query({ [filter]: id, ...(action ? { action } : {}) })
      .set(asPlatform(t));
    expect({ status: res.status, found: res.body?.data?.items?.length }).toEqual({
      status: 200,
      found: 1,
    });
    return res.body.data.items[0] as EventLine;
  }

  describe('below HTTP: AuditRepository.append takes any text', () => {
    const cases: Hostile[] = [...(Object.keys(ENTRY_FIELDS) as EntryField[]), 'every field'];

    it.each(cases)(
      '%s: stored as hashed, shown as stored, and both chains hold',
      async (hostile) => {
        // A business chain of this property's own, and the platform chain from here on.
        const biz = await createBusiness(t, unique('below-http'));
        const platformFrom = await nextSeq(platformChain());
        await fc.assert(
          fc.asyncProperty(entryCase(hostile), async (c) => {
            const handle = randomUUID();
            const entry = toEntry(c, hostile, biz.id, handle);
            const appended = await uow.run((tx) => repo.append(tx.manager, entry));
            const shown = await eventBy(handleIn(hostile), handle);
            expect(shown).toEqual(expectedView(entry, appended));
            // The event's own hash, recomputed offline from what the API shows.
            expect({ hash: lineHash(shown) }).toEqual({ hash: shown.hash });
          }),
          // The named text on the two chains in turn; the random cases pick either.
          propertyParams(
            NAMED_TEXT.map((s, i): [EntryCase] => [namedCase(hostile, s, i % 2 === 1)]),
          ),
        );
        await expectChainHolds(businessChain(biz));
        await expectChainHoldsFrom(platformChain(), platformFrom);
      },
      PROPERTY_TIMEOUT_MS,
    );
  });

  describe('through HTTP: 201 for clean text that fits, 422 for the field otherwise', () => {
    it.each(Object.keys(HTTP_FIELDS) as HttpCase[])(
      '%s: never a 5xx, the text kept is the text audited, and the chains hold',
      async (which) => {
        const spec: HttpField = HTTP_FIELDS[which];
        const biz = await createBusiness(t, unique('through-http'));
        const owner = asMember(biz.ownerToken, biz.id);
        const platformFrom = await nextSeq(platformChain());
        const madeBusinesses: { id: string; ownerToken: string }[] = [];

        /** Sends `raw` in the field; returns the answer, and what its event is on. */
        async function send(raw: string): Promise<{ res: Response; on?: string; action: string }> {
          switch (which) {
            case 'token name': {
              const res = await postJson('/api/v1/tokens', owner, { name: raw });
              return { res, on: res.body?.data?.id, action: 'token.created' };
            }
            case 'revoke reason': {
              const token = await createToken(t, asOwner(biz), { name: 'to-revoke' });
              const res = await postJson(`/api/v1/tokens/${token.id}/revoke`, owner, {
                reason: raw,
              });
              return { res, on: token.id, action: 'token.revoked' };
            }
            case 'business name': {
              const res = await postJson('/platform/v1/businesses', asPlatform(t), {
                name: raw,
                owner_email: `${unique(`text-${driver}`)}@example.test`,
              });
              if (res.status === 201) {
                madeBusinesses.push({
                  id: res.body.data.business.id,
                  ownerToken: res.body.data.first_token.token,
                });
              }
              return { res, on: res.body?.data?.business?.id, action: 'business.created' };
            }
          }
        }

        /** The text as the answer shows it, and as its audit event holds it. */
        function keptIn(res: Response, event: EventLine) {
          switch (which) {
            case 'token name':
              return { answer: res.body.data.name, audited: (event.target as Target).label };
            case 'revoke reason':
              return {
                answer: res.body.data.revocation_reason,
                audited: (event.metadata as { reason?: unknown }).reason,
              };
            case 'business name':
              return {
                answer: res.body.data.business.name,
                audited: (event.target as Target).label,
              };
          }
        }

        await fc.assert(
          // Up to twice the limit in code units, and often right at it in code points.
          fc.asyncProperty(text(2 * spec.max + 8, spec.max), async (raw) => {
            const expected = expectedAnswer(spec, raw);
            const { res, on, action } = await send(raw);
            const sent = described(raw);
            if (expected.status === 422) {
              expect({ sent, ...answerOf(res) }).toEqual({
                sent,
                status: 422,
                code: 'VALIDATION_ERROR',
                locs: expect.arrayContaining([['body', spec.field]]),
              });
              return;
            }
            expect({ sent, ...answerOf(res) }).toEqual({ sent, status: 201, code: null, locs: [] });
            const event = await eventBy('target_id', on!, action);
            expect(keptIn(res, event)).toEqual({ answer: expected.kept, audited: expected.kept });
            expect({ hash: lineHash(event) }).toEqual({ hash: event.hash });
          }),
          propertyParams(namedRequestText(spec).map((raw): [string] => [raw])),
        );
        await expectChainHolds(businessChain(biz));
        await expectChainHoldsFrom(platformChain(), platformFrom);
        for (const made of madeBusinesses) {
          expect(await verify(businessChain(made))).toEqual(
            expect.objectContaining({ status: 200, valid: true, first_invalid_seq: null }),
          );
        }
      },
      PROPERTY_TIMEOUT_MS,
    );
  });

  it('leaves the platform chain whole: the server verifies it and its export checks offline', async () => {
    await expectChainHolds(platformChain());
  });
});
