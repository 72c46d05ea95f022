import fc from 'fast-check';
import { randomUUID } from 'node:crypto';

/**
 * The generators of the spec-driven fuzz suite (test/fuzz/fuzz-surface.ts): the operations read
 * from `/docs-json`, a valid request built from each operation's schemas, and the ways to
 * break one. A request names the fixtures it uses (ids, secrets, emails) symbolically, as
 * `Ref`s resolved when it is sent: so a counterexample prints no secret, and replays against
 * fixtures made afresh.
 */

export type Method = 'get' | 'post' | 'patch' | 'delete';

export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
}

export interface Param {
  name: string;
  required: boolean;
  schema: Schema;
}

/** Where the route is: which headers it needs, and which error shape it answers with. */
export type RouteScope = 'business' | 'platform' | 'oauth2' | 'open';

export interface Operation {
  /** `POST /api/v1/tokens/{token_id}/revoke`, as the spec writes it. */
  key: string;
  method: Method;
  path: string;
  pathParams: Param[];
  query: Param[];
  /** The request body's object schema, references resolved; null when the route takes none. */
  body: Schema | null;
  scope: RouteScope;
  /** False for `@Public()` routes (the spec lists no security) and for routes that allow anonymous. */
  closed: boolean;
}

interface SpecParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

interface SpecOperation {
  parameters?: SpecParameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: Record<string, unknown>[];
}

export interface OpenApiSpec {
  paths: Record<string, Partial<Record<string, SpecOperation>>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS: readonly Method[] = ['get', 'post', 'patch', 'delete'];

/** Resolves `$ref` and single `allOf` wrappers, to the schema that describes a value. */
export function resolveSchema(spec: OpenApiSpec, schema: Schema): Schema {
  let current = schema;
  for (let hops = 0; hops < 16; hops++) {
    if (current.$ref) {
      const name = current.$ref.replace('#/components/schemas/', '');
      const target = spec.components?.schemas?.[name];
      if (!target) throw new Error(`the spec has no schema ${current.$ref}`);
      current = target;
    } else if (current.allOf?.length === 1) {
      current = current.allOf[0];
    } else {
      return current;
    }
  }
  throw new Error('schema references loop');
}

/** Every operation in the spec, in the spec's order. */
export function operationsOf(spec: OpenApiSpec): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? []).map((p) => ({
        in: p.in,
        name: p.name,
        required: p.required ?? false,
        schema: resolveSchema(spec, p.schema ?? { type: 'string' }),
      }));
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method,
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        query: params.filter((p) => p.in === 'query'),
        body: bodySchema ? resolveSchema(spec, bodySchema) : null,
        scope: path.startsWith('/api/v1/')
          ? 'business'
          : path.startsWith('/platform/v1/')
            ? 'platform'
            : path.startsWith('/oauth2/')
              ? 'oauth2'
              : 'open',
        // Closed unless a requirement is empty: `{}` among the alternatives means anonymous is
        // allowed.
        closed:
          (op.security ?? []).length > 0 &&
          !(op.security ?? []).some((r) => Object.keys(r).length === 0),
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Symbolic values

/** The fixtures a request may name. The fuzz suite's world holds one of each. */
export const TOKEN_NAMES = [
  'owner',
  'admin',
  'member',
  'machine',
  'owner-spare',
  'admin-spare',
  'member-spare',
  'other-owner',
  'platform',
  'platform-victim',
] as const;
export type TokenName = (typeof TOKEN_NAMES)[number];

export const IDENTITY_NAMES = [
  'owner',
  'admin',
  'member',
  'machine',
  'other-owner',
  'platform',
  'platform-victim',
] as const;
export type IdentityName = (typeof IDENTITY_NAMES)[number];

export const BUSINESS_NAMES = ['home', 'other'] as const;
export type BusinessName = (typeof BUSINESS_NAMES)[number];

export const EMAIL_NAMES = ['owner', 'admin', 'member', 'other-owner', 'platform-victim'] as const;
export type EmailName = (typeof EMAIL_NAMES)[number];

/** Webhook endpoints: one of the home business, one of the platform chain. */
export const WEBHOOK_NAMES = ['home', 'platform'] as const;
export type WebhookName = (typeof WEBHOOK_NAMES)[number];

export type RefKind =
  'token' | 'identity' | 'business' | 'secret' | 'email' | 'webhook' | 'customRole';

/** A fixture named by kind and name: a token id, an identity id, a secret... */
export class Ref {
  constructor(
    readonly kind: RefKind,
    readonly name: string,
  ) {}

  [fc.toStringMethod](): string {
    return `<${this.kind}:${this.name}>`;
  }
}

/** A path segment sent exactly as written: already escaped, or deliberately not. */
export class RawSegment {
  constructor(readonly text: string) {}

  [fc.toStringMethod](): string {
    return `raw(${JSON.stringify(this.text)})`;
  }
}

/**
 * `unit` repeated `count` times, as one string or as a list: a long value that prints short in
 * a counterexample.
 */
export class Repeated {
  constructor(
    readonly unit: string,
    readonly count: number,
    readonly list = false,
  ) {}

  get value(): string | string[] {
    return this.list ? new Array<string>(this.count).fill(this.unit) : this.unit.repeat(this.count);
  }

  [fc.toStringMethod](): string {
    return `${this.list ? `[${JSON.stringify(this.unit)}]` : JSON.stringify(this.unit)}×${this.count}`;
  }
}

/** `levels` arrays nested in each other: `[[[…]]]`. */
export class Nested {
  constructor(readonly levels: number) {}

  get value(): unknown[] {
    let v: unknown[] = [];
    for (let i = 1; i < this.levels; i++) v = [v];
    return v;
  }

  [fc.toStringMethod](): string {
    return `${this.levels} nested arrays`;
  }
}

/** A JSON value whose leaves may name fixtures, or stand for long or deep values. */
export type Value =
  | string
  | number
  | boolean
  | null
  | Ref
  | RawSegment
  | Repeated
  | Nested
  | Value[]
  | { [key: string]: Value };

/** Sets an own property, even `__proto__`, as JSON.parse would. */
export function put(target: Record<string, Value>, key: string, value: Value): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const entriesToObject = (entries: [string, Value][]): Record<string, Value> => {
  const o: Record<string, Value> = {};
  for (const [k, v] of entries) put(o, k, v);
  return o;
};

/** A body as sent: none, a JSON value, or text with its content type. */
export type Body =
  | { kind: 'none' }
  | { kind: 'json'; contentType: string; value: Value }
  | { kind: 'raw'; mode: RawMode; contentType: string; text: string };

export type RawMode =
  | 'empty-json'
  | 'form'
  | 'text'
  | 'xml'
  | 'malformed'
  | 'deep'
  | 'huge'
  | 'nul-bytes'
  | 'big-numbers'
  | 'bom'
  | 'duplicate-keys';

/** How the caller's token is presented. Only `bearer` is a well-formed credential. */
export type AuthVariant =
  'bearer' | 'bearer-lowercase' | 'missing' | 'in-query' | 'tampered' | 'basic' | 'bearer-empty';

export const CALLERS = ['owner', 'admin', 'member', 'platform'] as const;
export type Caller = (typeof CALLERS)[number];

/** One request, sent once as each caller in `callers`. */
export interface RequestCase {
  op: string;
  callers: Caller[];
  path: Record<string, Value>;
  /** Ordered pairs; a key may repeat. */
  query: [string, Value][];
  body: Body;
  /** The `x-business-id` header: absent when null. */
  businessId: Value;
  auth: AuthVariant;
}

// ---------------------------------------------------------------------------------------------
// Raw bodies

const MIB = 1024 * 1024;

/** Text nested `levels` deep in arrays, inside an otherwise plausible object. */
export const deepJson = (levels: number) =>
  `{"name":"deep","reason":"deep","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;

/** Raw bodies for the order of checks' step 0; `rawBodyStatus` says what each must get. */
export const RAW_BODIES: Record<RawMode, { contentType: string; text: () => string }> = {
  'empty-json': { contentType: 'application/json', text: () => '' },
  form: { contentType: 'application/x-www-form-urlencoded', text: () => 'name=x&reason=y&token=z' },
  text: { contentType: 'text/plain', text: () => '{"name":"x"}' },
  xml: { contentType: 'application/xml', text: () => '<name>x</name>' },
  malformed: { contentType: 'application/json', text: () => '{"name":' },
  deep: { contentType: 'application/json', text: () => deepJson(40) },
  huge: {
    contentType: 'application/json',
    text: () => JSON.stringify({ name: 'x'.repeat(MIB + 16), reason: 'huge' }),
  },
  'nul-bytes': { contentType: 'application/json', text: () => '{"name":"a\u0000b"}' },
  // Numbers JSON.stringify cannot write: past a double (parsed as Infinity), and 400 digits.
  'big-numbers': {
    contentType: 'application/json',
    text: () =>
      `{"name":"n","expires_in_days":1e400,"grace_period_seconds":-1e400,"limit":${'9'.repeat(400)}}`,
  },
  bom: { contentType: 'application/json', text: () => '\ufeff{"name":"bom","reason":"bom"}' },
  'duplicate-keys': {
    contentType: 'application/json',
    text: () => '{"name":"a","name":{"x":1},"reason":"a","reason":1}',
  },
};

/**
 * What step 0 (Fastify's body parsing, before any token is read) answers for a raw body on a
 * method that carries one, or null when the route decides. Forms are parsed on /oauth2/* only.
 */
export function rawBodyStatus(mode: RawMode, path: string): number | null {
  switch (mode) {
    case 'form':
      return path.startsWith('/oauth2/') ? null : 415;
    case 'text':
    case 'xml':
      return 415;
    case 'malformed':
    case 'deep':
    case 'nul-bytes':
      return 400;
    case 'huge':
      return 413;
    case 'empty-json':
    case 'big-numbers':
    case 'bom':
    case 'duplicate-keys':
      return null;
  }
}

export const rawBody = (mode: RawMode): Body => ({
  kind: 'raw',
  mode,
  contentType: RAW_BODIES[mode].contentType,
  text: RAW_BODIES[mode].text(),
});

// ---------------------------------------------------------------------------------------------
// Valid values, from the schemas

const BUILTIN_SCOPES = [
  'tokens:admin',
  'members:read',
  'members:write',
  'audit:read',
  'introspect',
];
const SCOPES = [...BUILTIN_SCOPES, 'deploy:write', 'deploy:*', 'a.b-c_d:e*'];
const AUDIT_ACTIONS = [
  'business.created',
  'business.suspended',
  'member.added',
  'identity.created',
  'token.created',
  'token.revoked',
  'token.rotated',
  'token.bulk_revoked',
  'token.rejected',
];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const ref = (kind: RefKind, names: readonly string[]) =>
  fc.constantFrom(...names).map((name) => new Ref(kind, name));

export const tokenRef = ref('token', TOKEN_NAMES);
export const identityRef = ref('identity', IDENTITY_NAMES);
export const businessRef = ref('business', BUSINESS_NAMES);
export const secretRef = ref('secret', TOKEN_NAMES);
export const emailRef = ref('email', EMAIL_NAMES);
export const webhookRef = ref('webhook', WEBHOOK_NAMES);
/** The home business's custom role, for `role_id` to name. */
export const customRoleRef = fc.constant(new Ref('customRole', 'home'));

const uuid = fc.uuid();
const asciiText = (min: number, max: number) =>
  fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max });

/** A well-formed secret that names no token: its checksum almost never holds. */
const fakeSecret = fc
  .array(fc.constantFrom(...BASE62), { minLength: 36, maxLength: 36 })
  .map((chars) => `lk_${chars.join('')}`);

const futureIso = fc
  .integer({ min: 1, max: 300 * 24 })
  .map((hours) => new Date(Date.now() + hours * 3_600_000).toISOString());
const anyIso = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') })
  .filter((d) => !Number.isNaN(d.getTime()))
  .map((d) => d.toISOString());

/** A cursor shaped as the lists write them: it decodes, and may name no row. */
export const cursorOf = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');
const wellFormedCursor = fc.tuple(anyIso, uuid).map(([at, id]) => cursorOf([at, id]));

const emailText = fc
  .stringMatching(/^[a-z0-9]{1,12}$/)
  .map((local) => `fuzz-${local}@example.test`);

/** Redirect URIs of each form a client may register. */
const REDIRECT_URIS = ['https://app.example/cb', 'http://127.0.0.1/cb', 'com.example.app:/cb'];

/** A valid value for a field, from its name (which the spec alone cannot say) and schema. */
function validValue(op: Operation, name: string, schema: Schema): fc.Arbitrary<Value> {
  switch (name) {
    case 'token_id':
      return fc.oneof({ weight: 4, arbitrary: tokenRef }, { weight: 1, arbitrary: uuid });
    case 'identity_id':
    case 'actor_id':
    case 'target_id':
      return fc.oneof({ weight: 4, arbitrary: identityRef }, { weight: 1, arbitrary: uuid });
    case 'business_id':
      return fc.oneof({ weight: 4, arbitrary: businessRef }, { weight: 1, arbitrary: uuid });
    case 'webhook_id':
      return fc.oneof({ weight: 4, arbitrary: webhookRef }, { weight: 1, arbitrary: uuid });
    case 'role_id':
      return fc.oneof({ weight: 4, arbitrary: customRoleRef }, { weight: 1, arbitrary: uuid });
    case 'token':
      return fc.oneof({ weight: 3, arbitrary: secretRef }, { weight: 1, arbitrary: fakeSecret });
    case 'email':
    case 'owner_email':
      return fc.oneof({ weight: 1, arbitrary: emailRef }, { weight: 3, arbitrary: emailText });
    case 'scope':
      return fc.constantFrom(...SCOPES);
    case 'scopes': {
      const list = fc.uniqueArray(fc.constantFrom(...SCOPES), { maxLength: 3 });
      // Null where the spec takes it (a token's "unrestricted"); a custom role's list is required.
      return schema.nullable
        ? fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: list })
        : list;
    }
    case 'cursor':
      return wellFormedCursor;
    case 'action':
      return fc.uniqueArray(fc.constantFrom(...AUDIT_ACTIONS), { minLength: 1, maxLength: 3 });
    case 'name':
      if (op.path.includes('machine-identities')) {
        return fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/);
      }
      break;
    case 'expires_at':
      return futureIso;
    // A client's redirect URIs and links (POST /oauth2/register): forms its rules take.
    case 'redirect_uris':
      return fc.uniqueArray(fc.constantFrom(...REDIRECT_URIS), { minLength: 1, maxLength: 3 });
    case 'client_uri':
    case 'logo_uri':
      return fc.constant('https://app.example/');
  }
  if (schema.enum) return fc.constantFrom(...(schema.enum as Value[]));
  switch (schema.type ?? 'any') {
    case 'string':
      if (schema.format === 'uuid') return uuid;
      if (schema.format === 'date-time') return anyIso;
      return asciiText(schema.minLength ?? 0, Math.min(schema.maxLength ?? 40, 40));
    case 'number':
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validValue(op, name, schema.items ?? { type: 'string' }), { maxLength: 3 });
    case 'object':
      return validObject(op, schema);
    default:
      return fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Value>;
  }
}

function validObject(op: Operation, schema: Schema): fc.Arbitrary<Record<string, Value>> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(properties).map(([key, s]) =>
    validValue(op, key, s).map((v): [string, Value] => [key, v]),
  );
  return fc
    .tuple(
      ...Object.keys(properties).map((key) =>
        required.has(key) ? fc.constant(true) : fc.boolean(),
      ),
    )
    .chain((present) =>
      fc.tuple(...fields.filter((_, i) => present[i])).map((entries) => entriesToObject(entries)),
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/** Text that is not well-formed Unicode, holds NUL, or is merely unusual. */
const ODD_TEXT = [
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '\u0000',
  'a\u0000b',
  '\uffff',
  '\ufeff',
  '\u202e',
  'e\u0301',
  '😀',
  '\u{10ffff}',
  ' ',
  "'; DROP TABLE api_tokens; --",
  '%00',
  '../../etc/passwd',
];

/** Values of the wrong type, or numbers past what a column or a double holds. */
const WRONG_TYPES: Value[] = [
  null,
  true,
  false,
  0,
  -1,
  -0,
  1.5,
  1e308,
  -1e308,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 31,
  2 ** 63,
  '',
  '0',
  '-1',
  '1e308',
  'true',
  'null',
  'NaN',
  'Infinity',
  '[]',
  '{}',
  [],
  {},
  [null],
  ['a', 1],
  { a: 1 },
];

const nested = (levels: number): Value => new Nested(levels);

/** Cursors that must not reach the database: each is 422 INVALID_CURSOR. */
const TAMPERED_CURSORS: string[] = [
  cursorOf(['2026-01-01T00:00:00.000Z', 'abc']),
  cursorOf(['2026-01-01T00:00:00.000Z', "x'--"]),
  cursorOf(['2026-01-01T00:00:00.000Z', 'a\u0000b']),
  cursorOf(['2026-01-01T00:00:00.000Z', '\ud800']),
  cursorOf(['-004714-01-01T00:00:00.000Z', randomUUID()]),
  cursorOf(['+275760-09-13T00:00:00.000Z', randomUUID()]),
  cursorOf(['0000-01-01T00:00:00.000Z', randomUUID()]),
  cursorOf(['2026-02-31T00:00:00.000Z', randomUUID()]),
  cursorOf(['2026-01-01', randomUUID()]),
  cursorOf(['2026-01-01T00:00:00.000Z', randomUUID(), 1]),
  cursorOf([1, 2]),
  cursorOf(null),
  cursorOf({ at: '2026-01-01T00:00:00.000Z', id: randomUUID() }),
  Buffer.from('nope').toString('base64url'),
  Buffer.from([0xff, 0xfe, 0x00]).toString('base64url'),
  '!!!',
  '',
  `${cursorOf(['2026-01-01T00:00:00.000Z', randomUUID()])}=`,
  'A'.repeat(513),
];

const anyCodeUnit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
);
const anyText = fc.string({ unit: anyCodeUnit, maxLength: 24 });

/** Strings and numbers at and across the schema's bounds. */
function boundaries(schema: Schema | undefined): fc.Arbitrary<Value> {
  const lengths = new Set<number>([0, 1]);
  if (schema?.minLength !== undefined) {
    lengths.add(schema.minLength);
    if (schema.minLength > 0) lengths.add(schema.minLength - 1);
  }
  if (schema?.maxLength !== undefined) {
    lengths.add(schema.maxLength);
    lengths.add(schema.maxLength + 1);
  } else {
    [100, 101, 255, 256, 1000, 10_000].forEach((n) => lengths.add(n));
  }
  const numbers = new Set<number>([0, -1, 1]);
  for (const bound of [schema?.minimum, schema?.maximum]) {
    if (bound === undefined) continue;
    [bound, bound - 1, bound + 1, bound + 0.5].forEach((n) => numbers.add(n));
  }
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...lengths), fc.constantFrom('a', 'é', '😀', ' '))
      .map(([n, c]): Value => new Repeated(c, c.length === 2 ? Math.ceil(n / 2) : n)),
    fc
      .tuple(fc.constantFrom(0, 1, 100, 1000, 20_000), fc.constantFrom('a', 'audit:read', ''))
      .map(([n, c]): Value => new Repeated(c, n, true)),
    fc.constantFrom(...numbers),
    // A number as the text a query string carries, in every spelling a parser might take.
    fc.constantFrom(...numbers).map(String),
    fc.constantFrom(...NUMERIC_TEXT),
    fc.constantFrom(...DATE_TIMES),
  );
}

const NUMERIC_TEXT = ['0x10', '1_000', ' 7', '7 ', '+7', '07', '1e2', '7.0', '٣', '1/0'];

/** Instants across the ranges that JavaScript, SQLite and PostgreSQL each accept. */
const DATE_TIMES = [
  '-004714-01-01T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '10000-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2026-02-31T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-01-01T00:00:60Z',
  '2026-01-01T00:00:00.123456789Z',
  '2026-01-01T00:00:00+14:00',
  '2026-01-01T00:00:00-23:59',
  '2026-01-01',
  '2026-W01',
  '2026-001',
];

/** A hostile value for a field: across bounds, of the wrong type, ill-formed, deep, or any. */
function hostileValue(
  op: Operation,
  name: string,
  schema: Schema | undefined,
): fc.Arbitrary<Value> {
  const base: fc.Arbitrary<Value> = schema ? validValue(op, name, schema) : fc.constant('x');
  const odd = fc.constantFrom(...ODD_TEXT);
  return fc.oneof(
    { weight: 3, arbitrary: boundaries(schema) },
    { weight: 3, arbitrary: fc.constantFrom(...WRONG_TYPES) },
    { weight: 2, arbitrary: odd },
    {
      weight: 2,
      arbitrary: fc
        .tuple(base, odd, fc.boolean())
        .map(([v, o, before]) =>
          typeof v === 'string' ? (before ? o + v : v + o) : ([v, o] as Value),
        ),
    },
    { weight: 1, arbitrary: fc.constantFrom(31, 32, 33, 40).map(nested) },
    { weight: 1, arbitrary: fc.constantFrom(...TAMPERED_CURSORS) },
    {
      weight: 2,
      arbitrary: fc.oneof(tokenRef, identityRef, businessRef, secretRef, emailRef, uuid),
    },
    { weight: 1, arbitrary: fc.constantFrom('self', 'SELF', 'null', 'undefined', '*') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Value> },
    { weight: 2, arbitrary: anyText },
  );
}

/** Odd keys: prototype names, ill-formed text, case and space variants of real ones. */
const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '',
  ' name',
  'Name',
  'NAME',
  'x-business-id',
  'authorization',
  'access_token',
  '\ud800',
  'a\u0000b',
  'name[]',
  'a.b',
  '$where',
];

/** Path segments sent as written: not a uuid, broken escapes, and other routes' words. */
const RAW_SEGMENTS = [
  'not-a-uuid',
  'self',
  'bulk-revoke',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '%00',
  '%zz',
  '%',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%80',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a%20b',
  "'",
  '%27%20OR%201%3D1--',
  'x'.repeat(300),
  '1e308',
  '-1',
  '%F0%9F%98%80',
];

/** `x-business-id` values: another business, none, or not a uuid. */
const businessHeader: fc.Arbitrary<Value> = fc.oneof(
  businessRef,
  uuid,
  fc.constant(null),
  fc.constantFrom(
    '',
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    ' 00000000-0000-4000-8000-000000000000',
    "' OR 1=1 --",
    'null',
  ),
);

type Place = 'body' | 'query';

/** One way to break a valid request. */
type Mutation =
  | { kind: 'set'; place: Place; key: string; value: Value }
  | { kind: 'drop'; place: Place; key: string }
  | { kind: 'path'; key: string; value: Value }
  | { kind: 'body'; body: Body }
  | { kind: 'header'; value: Value }
  | { kind: 'auth'; auth: AuthVariant }
  | { kind: 'content-type'; contentType: string };

/** Every field name the spec knows, so that each parameter is tried in every place. */
export function allFieldNames(ops: Operation[]): string[] {
  const names = new Set<string>();
  for (const op of ops) {
    op.pathParams.forEach((p) => names.add(p.name));
    op.query.forEach((p) => names.add(p.name));
    Object.keys(op.body?.properties ?? {}).forEach((k) => names.add(k));
  }
  return [...names].sort();
}

function schemaOf(op: Operation, key: string): Schema | undefined {
  return (
    op.body?.properties?.[key] ??
    op.query.find((p) => p.name === key)?.schema ??
    op.pathParams.find((p) => p.name === key)?.schema
  );
}

function mutation(op: Operation, fieldNames: string[]): fc.Arbitrary<Mutation> {
  const own = [
    ...op.pathParams.map((p) => p.name),
    ...op.query.map((p) => p.name),
    ...Object.keys(op.body?.properties ?? {}),
  ];
  const key = fc.oneof(
    { weight: 4, arbitrary: own.length > 0 ? fc.constantFrom(...own) : fc.constant('name') },
    { weight: 2, arbitrary: fc.constantFrom(...fieldNames) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_KEYS) },
  );
  const place = fc.constantFrom<Place>('body', 'query');
  const set = fc.tuple(place, key).chain(([p, k]) =>
    hostileValue(op, k, schemaOf(op, k)).map((value): Mutation => ({
      kind: 'set',
      place: p,
      key: k,
      value,
    })),
  );
  // A field, valid for where it belongs, put somewhere else.
  const misplaced = fc.tuple(place, fc.constantFrom(...fieldNames)).chain(([p, k]) => {
    const schema = schemaOf(op, k) ?? { type: 'string' };
    return validValue(op, k, schema).map((value): Mutation => ({
      kind: 'set',
      place: p,
      key: k,
      value,
    }));
  });
  const drop = fc.tuple(place, key).map(([p, k]): Mutation => ({ kind: 'drop', place: p, key: k }));
  const options: fc.WeightedArbitrary<Mutation>[] = [
    { weight: 6, arbitrary: set },
    { weight: 2, arbitrary: misplaced },
    { weight: 2, arbitrary: drop },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(...WRONG_TYPES),
          fc.constantFrom(31, 33, 40).map(nested),
          fc.constantFrom(...ODD_TEXT),
        )
        .map((value): Mutation => ({
          kind: 'body',
          body: { kind: 'json', contentType: 'application/json', value },
        })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<RawMode>(
          'empty-json',
          'form',
          'text',
          'xml',
          'malformed',
          'deep',
          'nul-bytes',
          'big-numbers',
          'bom',
          'duplicate-keys',
        )
        .map((mode): Mutation => ({ kind: 'body', body: rawBody(mode) })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          'application/json; charset=utf-8',
          'application/json; charset=latin1',
          'Application/JSON',
          'application/vnd.api+json',
          'application/json-patch+json',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
        )
        .map((contentType): Mutation => ({ kind: 'content-type', contentType })),
    },
    { weight: 1, arbitrary: businessHeader.map((value): Mutation => ({ kind: 'header', value })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<AuthVariant>(
          'bearer-lowercase',
          'missing',
          'in-query',
          'tampered',
          'basic',
          'bearer-empty',
        )
        .map((auth): Mutation => ({ kind: 'auth', auth })),
    },
  ];
  if (op.pathParams.length > 0) {
    const names = op.pathParams.map((p) => p.name);
    options.push({
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...names),
          fc.oneof(
            fc.constantFrom(...RAW_SEGMENTS).map((s) => new RawSegment(s)),
            hostileValue(op, names[0], { type: 'string' }),
          ),
        )
        .map(([k, value]): Mutation => ({ kind: 'path', key: k, value })),
    });
  }
  return fc.oneof(...options);
}

function apply(c: RequestCase, m: Mutation): RequestCase {
  switch (m.kind) {
    case 'set':
      if (m.place === 'query') {
        return { ...c, query: [...c.query.filter(([k]) => k !== m.key), [m.key, m.value]] };
      }
      return { ...c, body: withBodyField(c.body, m.key, m.value) };
    case 'drop':
      if (m.place === 'query') return { ...c, query: c.query.filter(([k]) => k !== m.key) };
      return { ...c, body: withBodyField(c.body, m.key, undefined) };
    case 'path':
      return { ...c, path: { ...c.path, [m.key]: m.value } };
    case 'body':
      return { ...c, body: m.body };
    case 'header':
      return { ...c, businessId: m.value };
    case 'auth':
      return { ...c, auth: m.auth };
    case 'content-type':
      if (c.body.kind === 'none') {
        return { ...c, body: { kind: 'json', contentType: m.contentType, value: {} } };
      }
      return { ...c, body: { ...c.body, contentType: m.contentType } };
  }
}

/** The body with `key` set (or removed, for undefined); a body that is not an object becomes one. */
function withBodyField(body: Body, key: string, value: Value | undefined): Body {
  const current =
    body.kind === 'json' &&
    body.value !== null &&
    typeof body.value === 'object' &&
    !Array.isArray(body.value) &&
    !(body.value instanceof Ref) &&
    !(body.value instanceof RawSegment) &&
    !(body.value instanceof Repeated) &&
    !(body.value instanceof Nested)
      ? body.value
      : {};
  const next: Record<string, Value> = {};
  for (const [k, v] of Object.entries(current)) if (k !== key) put(next, k, v);
  if (value !== undefined) put(next, key, value);
  return {
    kind: 'json',
    contentType: body.kind === 'none' ? 'application/json' : body.contentType,
    value: next,
  };
}

/** A request as the spec describes it: every required field, some optional ones. */
export function validRequest(op: Operation): fc.Arbitrary<RequestCase> {
  const path = fc.tuple(...op.pathParams.map((p) => validValue(op, p.name, p.schema)));
  const query = fc.tuple(
    ...op.query.map((p) => {
      const pair = validValue(op, p.name, p.schema).map((v): [string, Value] => [p.name, v]);
      return p.required ? pair : fc.option(pair, { nil: undefined, freq: 2 });
    }),
  );
  const body: fc.Arbitrary<Body> = op.body
    ? validObject(op, op.body).map((value): Body => ({
        kind: 'json',
        contentType: 'application/json',
        value,
      }))
    : fc.constant({ kind: 'none' });
  return fc.tuple(path, query, body).map(([pathValues, queryPairs, b]) => ({
    op: op.key,
    callers: [...CALLERS],
    path: entriesToObject(op.pathParams.map((p, i): [string, Value] => [p.name, pathValues[i]])),
    query: queryPairs.filter((q): q is [string, Value] => q !== undefined),
    body: b,
    businessId: op.scope === 'business' ? new Ref('business', 'home') : null,
    auth: 'bearer',
  }));
}

/**
 * A request for `op`: valid, or broken by one to three mutations, sent as every caller in an
 * order of their own.
 */
export function requestCase(op: Operation, fieldNames: string[]): fc.Arbitrary<RequestCase> {
  const mutations = fc.oneof(
    { weight: 2, arbitrary: fc.constant<Mutation[]>([]) },
    { weight: 3, arbitrary: fc.array(mutation(op, fieldNames), { minLength: 1, maxLength: 3 }) },
  );
  const callers = fc.shuffledSubarray([...CALLERS], {
    minLength: CALLERS.length,
    maxLength: CALLERS.length,
  });
  return fc
    .tuple(validRequest(op), mutations, callers)
    .map(([valid, ms, order]) => ({ ...ms.reduce(apply, valid), callers: order }));
}

// ---------------------------------------------------------------------------------------------
// On the wire

/**
 * Percent-encodes every UTF-16 unit of `text` outside the unreserved set, as UTF-8. A lone
 * surrogate is written as the three bytes of its code point (WTF-8), which is as close as a URL
 * can carry it: `encodeURIComponent` would throw.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (cp >= 0xd800 && cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(cp)) && cp < 0x80) {
      out += String.fromCharCode(cp);
      continue;
    }
    const bytes =
      cp < 0x80
        ? [cp]
        : cp < 0x800
          ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
          : cp < 0x10000
            ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
            : [
                0xf0 | (cp >> 18),
                0x80 | ((cp >> 12) & 63),
                0x80 | ((cp >> 6) & 63),
                0x80 | (cp & 63),
              ];
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

/** A resolved value as query text: a list repeats its key, an object uses `key[sub]`. */
export function queryPairs(key: string, value: unknown): string[] {
  if (value === null || value === undefined) return [percentEncode(key)];
  if (Array.isArray(value)) return value.flatMap((v) => queryPairs(key, v));
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => queryPairs(`${key}[${k}]`, v));
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return [`${percentEncode(key)}=${percentEncode(text)}`];
}
