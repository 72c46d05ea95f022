import fc from 'fast-check';
import type { Response } from 'supertest';
import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asMember, asOwner, asPlatform } from '../harness/app/api';
import { EventLine } from './audit-chain';
import { auditChains, lineHash, Target, unique } from './audit-text-chains';
import {
  codePoints,
  described,
  isClean,
  PROPERTY_TIMEOUT_MS,
  propertyParams,
  text,
} from './hostile-text';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Any text, through every audited field a caller writes over HTTP, on every driver: text that is
 * not well-formed, holds U+0000, or does not fit is a 422 naming the field, and never a 5xx; the
 * text kept is the text audited, and the chains still verify. Below HTTP:
 * audit-text-append.e2e-spec.ts.
 */

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

describe.each(DRIVERS)('audit text through HTTP on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
  });

  afterAll(async () => {
    await t?.close();
  });

  const {
    platformChain,
    businessChain,
    verify,
    expectChainHolds,
    expectChainHoldsFrom,
    nextSeq,
    eventBy,
  } = auditChains(() => t);

  /** POSTs the body as raw JSON text, so that lone surrogates travel as `\uXXXX` escapes. */
  const postJson = (path: string, headers: Record<string, string>, body: unknown) =>
    t
      .http()
      .post(path)
      .set(headers)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));

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
});
