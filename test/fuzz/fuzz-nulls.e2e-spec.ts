import fc from 'fast-check';
import type { Response } from 'supertest';
import { problemWith } from './fuzz-oracle';
import { build, CALLER_TOKEN, isObject, Sent, World } from './fuzz-request';
import { FuzzWorlds } from './fuzz-fixtures';
import {
  Caller,
  OpenApiSpec,
  Operation,
  operationsOf,
  put,
  Ref,
  RequestCase,
  validRequest,
  Value,
} from './openapi-fuzz';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * `null` in each body field of every operation of the OpenAPI spec, as one table read from
 * `/docs-json`: so a route added tomorrow is in it without anyone writing a case. Each request is
 * a valid body (its required fields) with that one field null, sent by a caller who may make it.
 * The answer is never a 5xx; it is 2xx, with the field null in the answer, when the spec says the
 * field is `nullable` (a documented "no limit", "anywhere", "unrestricted"), and otherwise a 422
 * whose `detail` names the field (RFC 6749's 400 on /oauth2/*). About fifty requests.
 */

const SEED = 424242;
/** Anything shaped as a token secret, never printed in a finding. */
const SECRET = /lk_[0-9A-Za-z]{36}/g;

/** Who sends each case: one who may act, so that the answer is about the null alone. */
const CALLER_OF: Record<Operation['scope'], Caller> = {
  business: 'owner',
  platform: 'platform',
  oauth2: 'owner',
  open: 'owner',
};

/**
 * Path ids a 2xx may act on without unmaking the world's callers: a spare token (rotating it
 * revokes it), a member, the scope's own endpoint.
 */
const TARGETS = (op: Operation): Record<string, Value> => ({
  token_id: new Ref('token', 'owner-spare'),
  identity_id: new Ref('identity', 'member'),
  webhook_id: new Ref('webhook', op.scope === 'platform' ? 'platform' : 'home'),
  role_id: new Ref('customRole', 'home'),
});

/** The operations after which the world's callers and fixtures are as they were. */
const KEEPS_WORLD = new Set(['POST /api/v1/tokens', 'POST /oauth2/introspect']);

interface NullCase {
  op: Operation;
  field: string;
  /** The spec says the field takes null. */
  nullable: boolean;
  /** The request: the valid one's required fields, and this field null. */
  request: RequestCase;
}

/** A case for each field of each JSON body in the spec. */
function nullCases(ops: Operation[]): NullCase[] {
  return ops.flatMap((op) => {
    const properties = op.body?.properties ?? {};
    if (Object.keys(properties).length === 0) return [];
    const [valid] = fc.sample(validRequest(op), { seed: SEED, numRuns: 1 });
    const required = new Set(op.body?.required ?? []);
    const sample = valid.body.kind === 'json' && isObject(valid.body.value) ? valid.body.value : {};
    const targets = TARGETS(op);
    const path = Object.fromEntries(
      Object.entries(valid.path).map(([k, v]) => [k, targets[k] ?? v]),
    ) as Record<string, Value>;
    return Object.entries(properties).map(([field, schema]) => {
      const value: Record<string, Value> = {};
      for (const [k, v] of Object.entries(sample)) {
        if (required.has(k) && k !== field) put(value, k, v);
      }
      put(value, field, null);
      return {
        op,
        field,
        nullable: schema.nullable === true,
        request: {
          ...valid,
          path,
          callers: [CALLER_OF[op.scope]],
          body: { kind: 'json', contentType: 'application/json', value },
        },
      };
    });
  });
}

/** What is wrong with the answer to a null, beyond the invariants every answer keeps. */
function nullProblem(c: NullCase, res: Response): string | null {
  const body: unknown = res.body;
  if (c.nullable) {
    // A PATCH's null asks for "unrestricted", which widens a token that has a value: refused by
    // the narrowing rule, naming the field, and nothing else.
    if (res.status === 403 && isObject(body) && body.code === 'WIDENING_NOT_ALLOWED') {
      const detail = Array.isArray(body.detail) ? (body.detail as unknown[]) : [];
      const loc = JSON.stringify(['body', c.field]);
      return detail.length === 1 && isObject(detail[0]) && JSON.stringify(detail[0].loc) === loc
        ? null
        : `WIDENING_NOT_ALLOWED does not name ["body", "${c.field}"] alone`;
    }
    if (res.status < 200 || res.status >= 300) return `the spec says nullable, yet ${res.status}`;
    const data = isObject(body) ? body.data : undefined;
    if (isObject(data) && c.field in data && data[c.field] !== null) {
      return `null was taken, yet the answer holds ${JSON.stringify(data[c.field])}`;
    }
    return null;
  }
  if (c.op.scope === 'oauth2') {
    return res.status === 400 ? null : `a null on /oauth2/* must be 400, not ${res.status}`;
  }
  if (res.status !== 422) return `a null must be 422 naming the field, not ${res.status}`;
  const detail = isObject(body) && Array.isArray(body.detail) ? (body.detail as unknown[]) : [];
  const named = detail.some(
    (i) => isObject(i) && JSON.stringify(i.loc) === JSON.stringify(['body', c.field]),
  );
  return named ? null : `the 422 does not name ["body", "${c.field}"]`;
}

describe.each(DRIVERS)('null in every body field of the spec, on %s', (driver) => {
  let t: TestApp;
  let ops: Operation[];
  let worlds: FuzzWorlds;
  let world: World;

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      TOKEN_CACHE_TTL_MS: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
    });
    ops = operationsOf((await t.http().get('/docs-json').expect(200)).body as OpenApiSpec);
    worlds = new FuzzWorlds(t);
    world = await worlds.build();
  });
  afterAll(() => t?.close());

  const secretsOf = (w: World) =>
    new Map([
      ...Object.entries(w.tokens).map(([name, token]): [string, string] => [token.secret, name]),
      [t.platformToken, 'bootstrap platform token'],
    ]);

  async function send(sent: Sent): Promise<Response> {
    let req = t.http()[sent.method](sent.url).timeout(15_000);
    for (const [name, value] of Object.entries(sent.headers)) req = req.set(name, value);
    return sent.body === null ? req : req.send(sent.body);
  }

  it('is refused naming the field, or taken where the spec says nullable; never a 5xx', async () => {
    const cases = nullCases(ops);
    const keys = cases.map((c) => `${c.op.key} ${c.field}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        'PATCH /api/v1/webhooks/{webhook_id} url',
        'PATCH /platform/v1/webhooks/{webhook_id} url',
        'POST /api/v1/tokens scopes',
      ]),
    );
    expect(cases.filter((c) => c.nullable).length).toBeGreaterThan(0);
    const findings: string[] = [];
    for (const c of cases) {
      const caller = c.request.callers[0];
      const sent = build(c.op, c.request, caller, world);
      const res = await send(sent);
      const problem = problemWith(sent, res, secretsOf(world)) ?? nullProblem(c, res);
      if (problem) {
        findings.push(
          `${c.op.key}, ${c.field}: null as ${caller} (${CALLER_TOKEN[caller]}): ${problem}\n` +
            `  answer: ${res.status} ${(res.text ?? '').replace(SECRET, '<a secret>').slice(0, 400)}`,
        );
      }
      if (res.status < 300 && !KEEPS_WORLD.has(c.op.key)) world = await worlds.build();
    }
    expect(findings).toEqual([]);
  });
});
