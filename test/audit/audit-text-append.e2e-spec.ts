import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../../src/audit/audit-entry';
import type { AuditEvent } from '../../src/audit/store/audit-event.entity';
import { AuditAppender } from '../../src/audit/recording/audit-appender';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import { createBusiness } from '../factories/tenancy.factory';
import { auditChains, lineHash, unique } from './audit-text-chains';
import {
  metadataArb,
  PROPERTY_TIMEOUT_MS,
  propertyParams,
  stored,
  storedOrNull,
  text,
} from './hostile-text';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Any text, through every audited field, below HTTP (the CLI, a job, any later caller), on every
 * driver: the log takes whatever it is given and stores it with lone surrogates and U+0000
 * replaced by U+FFFD; the chains still verify, an NDJSON export still checks offline, and what
 * the API shows of an event is what was hashed. Through HTTP: audit-text-http.e2e-spec.ts.
 */

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

describe.each(DRIVERS)('audit text below HTTP on %s', (driver) => {
  let t: TestApp;
  let repo: AuditAppender;
  let uow: UnitOfWork;

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    repo = t.app.get(AuditAppender);
    uow = t.app.get(UnitOfWork);
  });

  afterAll(async () => {
    await t?.close();
  });

  const { platformChain, businessChain, expectChainHolds, expectChainHoldsFrom, nextSeq, eventBy } =
    auditChains(() => t);

  describe('below HTTP: AuditAppender.append takes any text', () => {
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
            const appended = await uow.run((tx) => repo.append(entry, tx));
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

  it('leaves the platform chain whole: the server verifies it and its export checks offline', async () => {
    await expectChainHolds(platformChain());
  });
});
