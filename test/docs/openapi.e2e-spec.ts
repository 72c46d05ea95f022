import { ERROR_STATUS } from '../harness/app/error-status';
import type { Test } from 'supertest';
import {
  addMember,
  BusinessFixture,
  createBusiness,
  createToken,
} from '../factories/tenancy.factory';
import { asBearer, asMember, asOwner, asPlatform, Caller } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * The OpenAPI document at /docs-json says exactly what the API does: who may call each route,
 * which types its fields have, which bodies are optional, which codes each error answer can
 * carry, and examples that work when Swagger UI sends them as they are.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON, read by path
type Json = Record<string, any>;
interface Operation {
  key: string;
  path: string;
  method: string;
  op: Json;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const VERBS = [
  'get',
  'list',
  'create',
  'add',
  'rename',
  'rotate',
  'revoke',
  'delete',
  'remove',
  'change',
  'reissue',
  'suspend',
  'resume',
  'export',
  'verify',
  'introspect',
  'check',
  'update',
  'replace',
  'redeliver',
  'send',
  'recover',
  'disable',
  'enable',
  'start',
  'finish',
  'collect',
  'set',
  'approve',
  'deny',
  'withdraw',
];

function operations(spec: Json): Operation[] {
  return Object.entries(spec.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({
      key: `${method.toUpperCase()} ${path}`,
      path,
      method,
      op: item[method] as Json,
    })),
  );
}

function resolve(spec: Json, schema: Json): Json {
  const ref = schema.$ref as string | undefined;
  return ref ? resolve(spec, spec.components.schemas[ref.split('/').pop()!]) : schema;
}

/**
 * The body Swagger UI sends by default: the media type's example, else a value made up for every
 * property of the schema (its example, or a placeholder of its type), as Swagger UI does.
 */
function swaggerUiBody(spec: Json, op: Json): unknown {
  const media = op.requestBody?.content?.['application/json'];
  if (!media) return undefined;
  if (media.examples) return (Object.values(media.examples)[0] as Json).value;
  if (media.example !== undefined) return media.example;
  const made = (schema: Json): unknown => {
    const s = resolve(spec, schema);
    if (s.example !== undefined) return s.example;
    if (s.allOf) return Object.assign({}, ...s.allOf.map(made));
    if (s.enum) return s.enum[0];
    if (s.properties) {
      return Object.fromEntries(Object.entries(s.properties as Json).map(([k, v]) => [k, made(v)]));
    }
    if (s.type === 'array') return [made(s.items ?? {})];
    if (s.type === 'integer' || s.type === 'number') return 0;
    if (s.type === 'boolean') return true;
    if (s.format === 'date-time') return new Date().toISOString();
    if (s.format === 'uuid') return '3fa85f64-5717-4562-b3fc-2c963f66afa6';
    return 'string';
  };
  return made(media.schema);
}

/** The query Swagger UI fills in on "Try it out": each parameter's example, or its default. */
function swaggerUiQuery(op: Json): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const p of (op.parameters ?? []) as Json[]) {
    if (p.in !== 'query') continue;
    const value = p.example ?? p.schema?.example ?? p.schema?.default;
    if (value !== undefined) query[p.name] = value;
  }
  return query;
}

/** Every property schema of the document's components, named `Schema.property`. */
function properties(spec: Json): [string, Json][] {
  const out: [string, Json][] = [];
  const walk = (name: string, schema: Json) => {
    for (const [key, value] of Object.entries((schema.properties ?? {}) as Json)) {
      out.push([`${name}.${key}`, value]);
      walk(`${name}.${key}`, value);
      if (value.items) walk(`${name}.${key}[]`, value.items);
    }
  };
  for (const [name, schema] of Object.entries(spec.components.schemas as Json)) walk(name, schema);
  return out;
}

/** The error answers: (operation, status, codes listed in the description, the response). */
function errorAnswers(spec: Json): [string, number, string[], Json][] {
  return operations(spec).flatMap(({ key, op }) =>
    Object.entries(op.responses as Json).flatMap(([status, response]) => {
      const listed = /^Error codes: ([A-Z_]+(?:, [A-Z_]+)*)/.exec(response.description ?? '');
      return listed
        ? [
            [key, Number(status), listed[1].split(', '), response] as [
              string,
              number,
              string[],
              Json,
            ],
          ]
        : [];
    }),
  );
}

describe.each(DRIVERS)('the OpenAPI document on %s', (driver) => {
  let t: TestApp;
  let spec: Json;
  let ops: Operation[];
  beforeAll(async () => {
    t = await bootTestApp(driver);
    spec = (await t.http().get('/docs-json').expect(200)).body;
    ops = operations(spec);
  });
  afterAll(() => t?.close());

  const find = (key: string) => {
    const found = ops.find((o) => o.key === key);
    if (!found) throw new Error(`no operation ${key}`);
    return found.op;
  };

  it('stays on OpenAPI 3.0', () => {
    expect(spec.openapi).toMatch(/^3\.0\./);
  });

  describe('security', () => {
    it('needs the bearer and x-business-id together on a business-scoped route', () => {
      expect(find('POST /api/v1/tokens').security).toEqual([{ bearer: [], 'business-id': [] }]);
    });

    it('needs the bearer alone on a platform route and on introspection', () => {
      expect(find('GET /platform/v1/tokens').security).toEqual([{ bearer: [] }]);
      expect(find('POST /oauth2/introspect').security).toEqual([{ bearer: [] }]);
    });

    it('needs nothing on the public routes', () => {
      for (const key of [
        'GET /',
        'GET /health/live',
        'GET /health/ready',
        'POST /oauth2/revoke',
        'GET /status-lists/{list_id}',
        'GET /.well-known/jwks.json',
      ]) {
        expect([key, find(key).security]).toEqual([key, []]);
      }
    });

    it('needs the bearer alone on GET /api/v1/whoami, which takes no business', () => {
      expect(find('GET /api/v1/whoami').security).toEqual([{ bearer: [] }]);
      const parameters = (find('GET /api/v1/whoami').parameters ?? []) as Json[];
      expect(parameters.filter((p) => p.name === 'x-business-id')).toEqual([]);
    });

    it('states it on every operation, by where the route is', () => {
      const wrong = ops.filter(({ key, path, op }) => {
        if (key === 'GET /api/v1/whoami') return false;
        if (path.startsWith('/api/v1/')) {
          return (
            JSON.stringify(op.security) !== JSON.stringify([{ bearer: [], 'business-id': [] }])
          );
        }
        if (path.startsWith('/platform/v1/')) {
          return JSON.stringify(op.security) !== JSON.stringify([{ bearer: [] }]);
        }
        return !Array.isArray(op.security);
      });
      expect(wrong.map((o) => o.key)).toEqual([]);
    });

    it('does not call the opaque lk_ bearer a JWT', () => {
      const bearer = spec.components.securitySchemes.bearer;
      expect(bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(JSON.stringify(bearer)).not.toMatch(/jwt/i);
    });
  });

  describe('types', () => {
    it.each([
      ['expires_at', 'date-time'],
      ['last_used_at', 'date-time'],
      ['revoked_at', 'date-time'],
      ['business_id', 'uuid'],
      ['rotated_from_id', 'uuid'],
      ['revoked_by', undefined],
      ['revocation_reason', undefined],
    ])('types the token view nullable %s as a string', (field, format) => {
      const property = spec.components.schemas.TokenViewDto.properties[field];
      expect(property).toMatchObject({ type: 'string', nullable: true });
      expect(property.format).toBe(format);
    });

    it('has no field typed as a bare object', () => {
      const bare = properties(spec).filter(
        ([, s]) =>
          s.type === 'object' && !s.properties && !s.additionalProperties && !s.allOf && !s.$ref,
      );
      expect(bare.map(([name]) => name)).toEqual([]);
    });

    it('gives every nullable field a type', () => {
      const untyped = properties(spec).filter(([, s]) => s.nullable && !s.type && !s.$ref);
      expect(untyped.map(([name]) => name)).toEqual([]);
    });
  });

  describe('success answers', () => {
    it('name the outcome codes a success can carry, null otherwise', () => {
      const code = (key: string, status: string) =>
        find(key).responses[status].content['application/json'].schema.properties.code;
      expect(code('POST /api/v1/tokens/{token_id}/revoke', '201')).toMatchObject({
        nullable: true,
        enum: ['ALREADY_REVOKED', null],
      });
      expect(code('POST /platform/v1/businesses/{business_id}/suspend', '200').enum).toEqual([
        'ALREADY_SUSPENDED',
        null,
      ]);
      expect(code('GET /api/v1/tokens/{token_id}', '200')).toEqual({
        type: 'string',
        nullable: true,
        example: null,
      });
    });
  });

  describe('request bodies', () => {
    it.each([
      'POST /api/v1/tokens/{token_id}/revoke',
      'DELETE /api/v1/tokens/{token_id}',
      'POST /api/v1/tokens/self/revoke',
      'POST /api/v1/tokens/{token_id}/rotate',
      'POST /platform/v1/tokens/{token_id}/revoke',
      'POST /api/v1/members/{identity_id}/token',
    ])('does not require the optional body of %s', (key) => {
      const body = find(key).requestBody;
      expect(body.content['application/json'].schema).toBeDefined();
      expect(body.required).toBe(false);
    });

    it('requires a body that has required fields', () => {
      expect(find('POST /api/v1/tokens').requestBody.required).toBe(true);
      expect(find('POST /platform/v1/tokens/revoke').requestBody.required).toBe(true);
    });
  });

  describe('error answers', () => {
    let answers: [string, number, string[], Json][];
    beforeAll(() => {
      answers = errorAnswers(spec);
    });

    it('narrow code to exactly the codes the description lists', () => {
      const wrong = answers.filter(([, , codes, response]) => {
        const schema = response.content['application/json'].schema;
        const narrowed = schema.allOf?.find((s: Json) => s.properties?.code)?.properties.code;
        return JSON.stringify(narrowed?.enum) !== JSON.stringify(codes);
      });
      expect(wrong.map(([key, status]) => `${key} ${status}`)).toEqual([]);
    });

    it('lists each code under a status it answers with', () => {
      const wrong = answers.flatMap(([key, status, codes]) =>
        codes
          .filter((c) => !(ERROR_STATUS as Record<string, readonly number[]>)[c]?.includes(status))
          .map((c) => `${key} ${status} ${c}`),
      );
      expect(wrong).toEqual([]);
    });

    it('have an example of their own: one of their codes, with its message', () => {
      const wrong = answers.filter(([, , codes, response]) => {
        const example = response.content['application/json'].example;
        return (
          !example ||
          example.success !== false ||
          !codes.includes(example.code) ||
          typeof example.message !== 'string' ||
          example.message.length === 0
        );
      });
      expect(wrong.map(([key, status]) => `${key} ${status}`)).toEqual([]);
      const unauthorized = find('GET /api/v1/tokens/{token_id}').responses['401'];
      expect(unauthorized.content['application/json'].example).toMatchObject({
        code: 'INVALID_TOKEN',
        message: 'Invalid token',
      });
    });

    it('name the headers that come with them: the bearer challenge and Retry-After', () => {
      const missing = answers.flatMap(([key, status, , response]) => {
        const header = { 401: 'WWW-Authenticate', 429: 'Retry-After', 503: 'Retry-After' }[status];
        return header && !response.headers?.[header] ? [`${key} ${status} ${header}`] : [];
      });
      expect(missing).toEqual([]);
    });

    it('are JSON, even where the success is NDJSON or CSV', () => {
      const forbidden = find('GET /api/v1/audit-events/export').responses['403'];
      expect(Object.keys(forbidden.content)).toEqual(['application/json']);
    });

    it("add a controller's codes to a handler's for the same status", () => {
      const forbidden = find('POST /api/v1/tokens/bulk-revoke').responses['403'];
      const codes = forbidden.content['application/json'].schema.allOf[1].properties.code.enum;
      expect(codes).toEqual(
        expect.arrayContaining([
          'BUSINESS_MISMATCH',
          'BUSINESS_SUSPENDED',
          'INSUFFICIENT_ROLE',
          'INSUFFICIENT_SCOPE',
        ]),
      );
      const notFound = find('GET /api/v1/tokens/{token_id}').responses['404'];
      expect(notFound.content['application/json'].schema.allOf[1].properties.code.enum).toEqual(
        expect.arrayContaining(['TOKEN_NOT_FOUND', 'BUSINESS_NOT_FOUND']),
      );
    });
  });

  describe('real error answers', () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    let business: BusinessFixture;
    let other: BusinessFixture;
    let member: Caller;
    let revokedId: string;
    beforeAll(async () => {
      business = await createBusiness(t);
      other = await createBusiness(t);
      member = asMember((await addMember(t, business)).token, business.id);
      revokedId = (await createToken(t, asOwner(business))).id;
      await t.http().post(`/api/v1/tokens/${revokedId}/revoke`).set(asOwner(business)).expect(201);
    });

    /** [operation, the request, its status, its code]: each code must be one the answer lists. */
    const cases: [string, () => Test, number, string][] = [
      ['GET /api/v1/tokens', () => t.http().get('/api/v1/tokens'), 401, 'INVALID_TOKEN'],
      [
        'GET /api/v1/tokens',
        () => t.http().get('/api/v1/tokens').set(asBearer(business.ownerToken)),
        422,
        'VALIDATION_ERROR',
      ],
      [
        'GET /api/v1/tokens',
        () => t.http().get('/api/v1/tokens?cursor=nope').set(asOwner(business)),
        422,
        'INVALID_CURSOR',
      ],
      [
        'GET /api/v1/me',
        () => t.http().get('/api/v1/me').set(asMember(business.ownerToken, other.id)),
        403,
        'BUSINESS_MISMATCH',
      ],
      [
        'GET /api/v1/me',
        () => t.http().get('/api/v1/me').set(asMember(t.platformToken, missing)),
        404,
        'BUSINESS_NOT_FOUND',
      ],
      [
        'GET /api/v1/tokens/{token_id}',
        () => t.http().get(`/api/v1/tokens/${missing}`).set(asOwner(business)),
        404,
        'TOKEN_NOT_FOUND',
      ],
      [
        'POST /api/v1/tokens',
        () =>
          t
            .http()
            .post('/api/v1/tokens')
            .set(asOwner(business))
            .send({ name: 'both', expires_at: '2099-01-01T00:00:00Z', expires_in_days: 30 }),
        422,
        'VALIDATION_ERROR',
      ],
      [
        'POST /api/v1/tokens/bulk-revoke',
        () =>
          t.http().post('/api/v1/tokens/bulk-revoke').set(member).send({ all: true, reason: 'x' }),
        403,
        'INSUFFICIENT_ROLE',
      ],
      [
        'POST /api/v1/tokens/{token_id}/rotate',
        () => t.http().post(`/api/v1/tokens/${revokedId}/rotate`).set(asOwner(business)),
        409,
        'TOKEN_NOT_ACTIVE',
      ],
      [
        'GET /platform/v1/tokens',
        () => t.http().get('/platform/v1/tokens').set(asBearer(business.ownerToken)),
        403,
        'PLATFORM_ADMIN_REQUIRED',
      ],
      [
        'POST /platform/v1/tokens/revoke',
        () =>
          t
            .http()
            .post('/platform/v1/tokens/revoke')
            .set(asPlatform(t))
            .send({ token: 'lk_unknown' }),
        422,
        'INVALID_TOKEN',
      ],
      ...(
        [
          ['application/json', '{"name": ', 400, 'BAD_REQUEST'],
          ['text/plain', 'ci-deploy', 415, 'UNSUPPORTED_MEDIA_TYPE'],
          ['application/json', `"${'a'.repeat(1024 * 1024)}"`, 413, 'PAYLOAD_TOO_LARGE'],
        ] as const
      ).map(([type, body, status, code]): [string, () => Test, number, string] => [
        'POST /api/v1/tokens',
        () => t.http().post('/api/v1/tokens').set(asOwner(business)).type(type).send(body),
        status,
        code,
      ]),
    ];

    it.each(cases)(
      '%s (case %#) answers a status and code its document lists',
      async (key, send, status, code) => {
        const res = await send();
        expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
        const answer = find(key).responses[String(status)];
        const schema = answer?.content?.['application/json']?.schema;
        expect(schema?.allOf?.[1]?.properties?.code?.enum).toContain(code);
      },
    );
  });

  describe('operations', () => {
    it('have unique operationIds that start with a verb', () => {
      const ids = ops.map((o) => o.op.operationId as string);
      expect(new Set(ids).size).toBe(ids.length);
      const wrong = ids.filter(
        (id) => !/^[a-z]+[A-Z][A-Za-z]*$/.test(id) || !VERBS.includes(id.match(/^[a-z]+/)![0]),
      );
      expect(wrong).toEqual([]);
      expect(find('POST /api/v1/tokens/{token_id}/revoke').operationId).toBe('revokeToken');
    });

    it('use only declared tags, each with a description', () => {
      const declared = new Map(
        (spec.tags as Json[]).map((tag) => [tag.name as string, tag.description as string]),
      );
      for (const tag of declared.values()) expect(tag).toEqual(expect.any(String));
      const undeclared = ops.flatMap((o) =>
        ((o.op.tags ?? []) as string[]).filter((tag) => !declared.get(tag)),
      );
      expect(undeclared).toEqual([]);
    });
  });

  describe('examples, sent as Swagger UI sends them', () => {
    it('creates a token with the create example, and lists it with the list example', async () => {
      const business = await createBusiness(t);
      const body = swaggerUiBody(spec, find('POST /api/v1/tokens'));
      const created = await t
        .http()
        .post('/api/v1/tokens')
        .set(asOwner(business))
        .send(body as object)
        .expect(201);
      const listed = await t
        .http()
        .get('/api/v1/tokens')
        .query(swaggerUiQuery(find('GET /api/v1/tokens')))
        .set(asOwner(business))
        .expect(200);
      expect(listed.body.data.items.map((i: Json) => i.id)).toContain(created.body.data.id);
    });

    it('fills in no filter on a list: only the page size', () => {
      const filled = ops.flatMap(({ key, op }) =>
        ((op.parameters ?? []) as Json[])
          .filter((p) => p.in === 'query' && p.name !== 'limit')
          .filter((p) => p.example !== undefined || p.schema?.example !== undefined)
          .map((p) => `${key} ?${p.name}`),
      );
      expect(filled).toEqual([]);
    });
  });
});
