import fc from 'fast-check';
import type { Response } from 'supertest';
import { addMember, asMember, createBusiness, createMachine } from './factories/tenancy.factory';
import {
  allFieldNames,
  AuthVariant,
  BusinessName,
  Caller,
  CALLERS,
  EmailName,
  IdentityName,
  OpenApiSpec,
  Operation,
  operationsOf,
  percentEncode,
  queryPairs,
  RAW_BODIES,
  rawBody,
  rawBodyStatus,
  RawMode,
  Nested,
  RawSegment,
  Ref,
  Repeated,
  RequestCase,
  requestCase,
  TokenName,
  validRequest,
  Value,
} from './helpers/openapi-fuzz';
import { bootTestApp, TestApp } from './helpers/test-app';
import { DRIVERS } from './setup/servers';

/**
 * Hostile input at the boundary: every operation of the OpenAPI spec, with requests built from
 * its schemas and then broken (wrong types, missing and extra fields, bounds, ill-formed
 * Unicode, NUL, huge numbers, tampered cursors, deep nesting, each field in every place, raw
 * bodies), sent as an owner, an admin, a member and a platform admin. Whatever comes in, the
 * answer is never a 5xx, every 4xx has the error shape (RFC 6749's on /oauth2/*), and every
 * audit chain still verifies afterwards.
 *
 * Bounded and reproducible: a fixed seed (FUZZ_SEED overrides it) and FUZZ_RUNS runs. A failure
 * names the seed and the exact request, without any secret.
 */

const intFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be an integer, not ${raw}`);
  return n;
};

const SEED = intFromEnv('FUZZ_SEED', 424242);
/** fast-check's `path` of a reported counterexample, to replay that one case. */
const REPLAY_PATH = process.env.FUZZ_PATH || undefined;
/** Runs of the property; each sends one request as all four callers. */
const RUNS = intFromEnv('FUZZ_RUNS', 400);
const REQUEST_TIMEOUT_MS = 15_000;
const PROPERTY_TIMEOUT_MS = 120_000 + RUNS * 250;
/** The share of 2xx answers below which the run says too little: a broken setup answers 4xx. */
const MIN_SUCCESS_SHARE = 0.2;

/** Every raw body of the helper, each sent to every operation that reads one. */
const RAW_MODES = Object.keys(RAW_BODIES) as RawMode[];

/** Anything shaped as a token secret (DESIGN, "Token secret"). */
const SECRET_TEXT = /lk_[0-9A-Za-z]{36}/g;

/** Body fields that hold a secret: the API never echoes them (validation.pipe.ts). */
const SECRET_FIELDS = new Set(['token', 'access_token', 'refresh_token', 'secret', 'password']);

/** Auth variants that are no credential: a closed route answers them 401, or a step-0 error. */
const NOT_A_CREDENTIAL = new Set<AuthVariant>([
  'missing',
  'in-query',
  'tampered',
  'basic',
  'bearer-empty',
]);

/** The operations after which the world is as it was: reads, creates, renames, resumes. */
const KEEPS_WORLD = new Set([
  'POST /api/v1/tokens',
  'PATCH /api/v1/tokens/{token_id}',
  'POST /api/v1/members',
  'POST /api/v1/members/{identity_id}/token',
  'POST /api/v1/machine-identities',
  'POST /platform/v1/businesses',
  'POST /platform/v1/businesses/{business_id}/resume',
  'POST /platform/v1/admins',
  'POST /oauth2/introspect',
]);

const EXPORT_PATHS = new Set(['/api/v1/audit-events/export', '/platform/v1/audit-events/export']);

interface Issued {
  id: string;
  secret: string;
}

/** What the requests act on: one business with its people and tokens, and a second business. */
interface World {
  businesses: Record<BusinessName, string>;
  tokens: Record<TokenName, Issued>;
  identities: Record<IdentityName, string>;
  emails: Record<EmailName, string>;
  /** The home owner's first token: never sent by the fuzzer, it reads the audit log at the end. */
  auditor: string;
  /** Set once a request may have revoked, removed or suspended something the world holds. */
  dirty: boolean;
}

/** The token each caller sends. */
const CALLER_TOKEN: Record<Caller, TokenName> = {
  owner: 'owner',
  admin: 'admin',
  member: 'member',
  platform: 'platform',
};

/** A request as it went on the wire. */
interface Sent {
  op: Operation;
  caller: Caller;
  auth: AuthVariant;
  method: Operation['method'];
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /** Secrets the request carried in a field the API may echo (not a secret field). */
  echoable: Set<string>;
  rawMode: RawMode | null;
}

/** An answer that breaks an invariant: what, on which operation and caller, and the replay. */
interface Finding {
  problem: string;
  op: string;
  caller: Caller;
  /** The request and its answer, to replay by hand. */
  replay: string;
}

/** What one phase sent and got: the sweep of fixed cases, or the property's runs. */
interface Tally {
  requests: number;
  ok: number;
  clientErrors: number;
}

const newTally = (): Tally => ({ requests: 0, ok: 0, clientErrors: 0 });

const percent = (n: number, of: number) => `${((100 * n) / Math.max(of, 1)).toFixed(1)}%`;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The problem with an answer, or null: the invariants every response must keep. */
function problemWith(sent: Sent, res: Response, knownSecrets: Map<string, string>): string | null {
  const { op } = sent;
  const body: unknown = res.body;
  const oauth = op.scope === 'oauth2';
  if (res.status >= 500) return `a ${res.status}: no input may cause a server error`;
  if (res.status < 200 || (res.status >= 300 && res.status < 400)) {
    return `an unexpected status ${res.status}`;
  }
  // A later mutation may have changed the content type: the expectation is for the pair.
  if (
    sent.rawMode &&
    sent.method !== 'get' &&
    sent.headers['content-type'] === RAW_BODIES[sent.rawMode].contentType
  ) {
    const expected = rawBodyStatus(sent.rawMode, op.path);
    // A URL that does not decode is refused by the router, and a request line or headers past
    // Node's 16 KiB limit by Node's parser (431): both before the body is read.
    const malformedUrl = res.status === 400 && isObject(body) && body.message === 'Malformed URL';
    const tooLarge = res.status === 431 && isObject(body) && body.code === 'HEADERS_TOO_LARGE';
    if (expected !== null && res.status !== expected && !malformedUrl && !tooLarge) {
      return `a ${sent.rawMode} body must be ${expected} before anything else, not ${res.status}`;
    }
  }
  // 400, 413, 415 and 431 come before authentication (parsing); anything else needs a credential.
  if (
    op.closed &&
    NOT_A_CREDENTIAL.has(sent.auth) &&
    ![400, 401, 413, 415, 431].includes(res.status)
  ) {
    return `a closed route answered ${res.status} to a request with no valid Authorization header`;
  }
  if (res.status >= 400) {
    if (oauth && res.status !== 429) {
      if (!isObject(body) || typeof body.error !== 'string' || 'success' in body) {
        return `a ${res.status} on /oauth2/* must be RFC 6749's {error, error_description}`;
      }
      if (res.status === 400 && body.error !== 'invalid_request') {
        return "a 400 on /oauth2/* must be RFC 6749's {error: 'invalid_request', ...}";
      }
    } else {
      const shape = errorShapeProblem(body);
      if (shape) return `a ${res.status} without the error shape: ${shape}`;
    }
    if (res.status === 401 && !/^Bearer /.test(String(res.headers['www-authenticate']))) {
      return 'a 401 without a Bearer WWW-Authenticate challenge';
    }
    for (const [secret, name] of knownSecrets) {
      if (res.text.includes(secret) && !sent.echoable.has(secret)) {
        return `the error body carries the secret of ${name}`;
      }
    }
    return null;
  }
  if (oauth) {
    if (isObject(body) && 'success' in body) return 'a 2xx on /oauth2/* must not be enveloped';
    if (op.path === '/oauth2/introspect' && !(isObject(body) && typeof body.active === 'boolean')) {
      return 'an introspection answer must hold a boolean `active` (RFC 7662)';
    }
    return null;
  }
  if (EXPORT_PATHS.has(op.path)) {
    return /^(text\/csv|application\/x-ndjson)/.test(String(res.headers['content-type']))
      ? null
      : `an export answered ${String(res.headers['content-type'])}`;
  }
  if (op.path.startsWith('/health/')) return null;
  if (op.path === '/metrics') {
    // Prometheus's text exposition, outside the envelope (and outside the token guard).
    return /^text\/plain/.test(String(res.headers['content-type'])) && res.text.includes('# TYPE ')
      ? null
      : `/metrics answered ${String(res.headers['content-type'])}, not Prometheus's text format`;
  }
  if (
    !isObject(body) ||
    body.success !== true ||
    !('data' in body) ||
    !(body.message === null || typeof body.message === 'string') ||
    !(body.code === null || typeof body.code === 'string')
  ) {
    return 'a 2xx without the success envelope';
  }
  return null;
}

/** What is wrong with an error body, or null for `{success, message, code, detail, request_id}`. */
function errorShapeProblem(body: unknown): string | null {
  if (!isObject(body)) return 'not a JSON object';
  const keys = Object.keys(body).sort().join(',');
  if (keys !== 'code,detail,message,request_id,success') return `keys ${keys}`;
  if (body.success !== false) return 'success is not false';
  if (typeof body.message !== 'string') return 'message is not a string';
  if (typeof body.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(body.code)) return 'bad code';
  if (typeof body.request_id !== 'string' || body.request_id === '') return 'no request_id';
  const detail = body.detail;
  if (typeof detail === 'string') return null;
  if (!Array.isArray(detail)) return 'detail is neither a string nor a list';
  for (const issue of detail as unknown[]) {
    if (
      !isObject(issue) ||
      !Array.isArray(issue.loc) ||
      !['body', 'query', 'path', 'header'].includes(issue.loc[0] as string) ||
      typeof issue.msg !== 'string' ||
      typeof issue.type !== 'string'
    ) {
      // Its loc only: an item's `input` may hold what the request sent.
      return `a detail item is not {loc, msg, type}, at ${JSON.stringify(isObject(issue) ? issue.loc : null)}`;
    }
  }
  return null;
}

describe.each(DRIVERS)('fuzzing the OpenAPI surface on %s', (driver) => {
  let t: TestApp;
  let ops: Operation[];
  let fieldNames: string[];
  let world: World;
  /** Every business the worlds made, with a token of its owner, for the final verify. */
  const chains: { id: string; ownerToken: string }[] = [];
  const tallies = { sweep: newTally(), property: newTally() };
  let tally = tallies.sweep;
  /** The operations that got at least one request. */
  const reached = new Set<string>();
  let worlds = 0;
  /** Chains the final check read with their owner's token; the platform admin read the rest. */
  let verifiedByOwner = 0;

  beforeAll(async () => {
    t = await bootTestApp(driver, {
      TOKEN_CACHE_TTL_MS: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      RATE_LIMIT_OAUTH_PER_MINUTE: '0',
      MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
    });
    const res = await t.http().get('/docs-json').expect(200);
    ops = operationsOf(res.body as OpenApiSpec);
    fieldNames = allFieldNames(ops);
    world = await buildWorld();
  }, 60_000);
  afterAll(async () => {
    const { sweep, property } = tallies;
    process.stdout.write(
      `fuzz on ${driver}: seed ${SEED}, ${RUNS} runs; property ${property.requests} requests ` +
        `(2xx ${percent(property.ok, property.requests)}, ` +
        `4xx ${percent(property.clientErrors, property.requests)}); ` +
        `sweep ${sweep.requests} requests; ${worlds} worlds; ` +
        `${chains.length} business chains (${verifiedByOwner} verified as their owner)\n`,
    );
    await t?.close();
  });

  const platform = () => ({ authorization: `Bearer ${t.platformToken}` });

  /** A token made by `secret`'s holder in `businessId`; its id and secret. */
  async function issue(secret: string, businessId: string, body: object): Promise<Issued> {
    const res = await t
      .http()
      .post('/api/v1/tokens')
      .set(asMember(secret, businessId))
      .send(body)
      .expect(201);
    return { id: res.body.data.id as string, secret: res.body.data.token as string };
  }

  /** The id of the token `secret`, read from `GET /me`. */
  async function idOf(secret: string, businessId: string): Promise<Issued> {
    const res = await t.http().get('/api/v1/me').set(asMember(secret, businessId)).expect(200);
    return { id: res.body.data.token.id as string, secret };
  }

  async function addPlatformAdmin(
    label: string,
  ): Promise<{ identityId: string; email: string; token: Issued }> {
    const email = `${label}-${Math.random().toString(36).slice(2, 10)}@example.test`;
    const res = await t
      .http()
      .post('/platform/v1/admins')
      .set(platform())
      .send({ email })
      .expect(201);
    const data = res.body.data;
    return {
      identityId: data.admin.identity_id,
      email,
      token: { id: data.first_token.id, secret: data.first_token.token },
    };
  }

  /**
   * A fresh world: its own businesses, people, machine, tokens and platform admins. The
   * fuzzer's platform caller is a platform admin of its own, not the bootstrap admin: a platform
   * token may revoke itself (`POST /api/v1/tokens/self/revoke`), and `t.platformToken` has to
   * last the whole run to set worlds up and to verify the platform chain.
   */
  async function buildWorld(): Promise<World> {
    const other = await createBusiness(t);
    const home = await createBusiness(t);
    const owner = await issue(home.ownerToken, home.id, { name: 'fuzz-owner' });
    const admin = await addMember(t, home, 'admin');
    const member = await addMember(t, home, 'member');
    const machine = await createMachine(t, home, 'member');
    const platformCaller = await addPlatformAdmin('fuzz-platform');
    const platformVictim = await addPlatformAdmin('fuzz-victim');
    const tokens: Record<TokenName, Issued> = {
      owner,
      admin: await idOf(admin.token, home.id),
      member: await idOf(member.token, home.id),
      machine: await issue(owner.secret, home.id, { name: 'fuzz-ci', identity_id: machine.id }),
      'owner-spare': await issue(owner.secret, home.id, { name: 'spare', scopes: ['audit:read'] }),
      // Within its maker's life: the admin's first token expires in 7 days.
      'admin-spare': await issue(admin.token, home.id, { name: 'spare', expires_in_days: 3 }),
      'member-spare': await issue(member.token, home.id, { name: 'spare', scopes: [] }),
      'other-owner': await idOf(other.ownerToken, other.id),
      platform: platformCaller.token,
      'platform-victim': platformVictim.token,
    };
    chains.push({ id: home.id, ownerToken: home.ownerToken });
    chains.push({ id: other.id, ownerToken: other.ownerToken });
    worlds++;
    return {
      businesses: { home: home.id, other: other.id },
      tokens,
      identities: {
        owner: home.ownerId,
        admin: admin.identityId,
        member: member.identityId,
        machine: machine.id,
        'other-owner': other.ownerId,
        platform: platformCaller.identityId,
        'platform-victim': platformVictim.identityId,
      },
      emails: {
        owner: home.ownerEmail,
        admin: admin.email,
        member: member.email,
        'other-owner': other.ownerEmail,
        'platform-victim': platformVictim.email,
      },
      auditor: home.ownerToken,
      dirty: false,
    };
  }

  /**
   * True while every caller still acts as itself: its token works, the business is active, and
   * each person has the role their name says. Spare tokens and machines may be gone: asking
   * about them is fuzzing too. Four reads, where a new world takes seventeen writes.
   */
  async function stillWhole(w: World): Promise<boolean> {
    for (const caller of ['owner', 'admin', 'member'] as const) {
      const res = await t
        .http()
        .get('/api/v1/me')
        .set(asMember(w.tokens[caller].secret, w.businesses.home))
        .timeout(REQUEST_TIMEOUT_MS);
      if (res.status !== 200 || res.body.data.role !== caller) return false;
    }
    const res = await t
      .http()
      .get('/platform/v1/admins')
      .query({ limit: 1 })
      .set({ authorization: `Bearer ${w.tokens.platform.secret}` })
      .timeout(REQUEST_TIMEOUT_MS);
    return res.status === 200;
  }

  /** Every secret the run knows, named, so that none is ever printed. */
  function knownSecrets(w: World): Map<string, string> {
    const secrets = new Map<string, string>();
    for (const [name, token] of Object.entries(w.tokens))
      secrets.set(token.secret, `${name} token`);
    secrets.set(w.auditor, 'auditor token');
    secrets.set(t.platformToken, 'bootstrap platform token');
    return secrets;
  }

  /** A value with its fixtures filled in. */
  function resolve(value: Value, w: World): unknown {
    if (value instanceof Ref) {
      switch (value.kind) {
        case 'token':
          return w.tokens[value.name as TokenName].id;
        case 'secret':
          return w.tokens[value.name as TokenName].secret;
        case 'identity':
          return w.identities[value.name as IdentityName];
        case 'business':
          return w.businesses[value.name as BusinessName];
        case 'email':
          return w.emails[value.name as EmailName];
      }
    }
    if (value instanceof RawSegment) return value.text;
    if (value instanceof Repeated || value instanceof Nested) return value.value;
    if (Array.isArray(value)) return value.map((v) => resolve(v, w));
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, k, {
          value: resolve(v, w),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }

  /** The secrets `value` carries under a key that is not a secret field, so may be echoed. */
  function echoableSecrets(value: unknown, key: string, into: Set<string>): void {
    if (typeof value === 'string') {
      if (!SECRET_FIELDS.has(key)) into.add(value);
    } else if (Array.isArray(value)) {
      value.forEach((v) => echoableSecrets(v, key, into));
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) echoableSecrets(v, k, into);
    }
  }

  const pathSegment = (value: unknown, raw: boolean): string =>
    raw
      ? String(value)
      : percentEncode(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));

  function authorization(auth: AuthVariant, secret: string): string | null {
    switch (auth) {
      case 'bearer':
        return `Bearer ${secret}`;
      case 'bearer-lowercase':
        return `bearer ${secret}`;
      case 'tampered':
        return `Bearer ${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`;
      case 'basic':
        return `Basic ${Buffer.from(`${secret}:`).toString('base64')}`;
      case 'bearer-empty':
        return 'Bearer ';
      case 'missing':
      case 'in-query':
        return null;
    }
  }

  /** The request `c` as `caller` sends it in world `w`. */
  function build(op: Operation, c: RequestCase, caller: Caller, w: World): Sent {
    const secret = w.tokens[CALLER_TOKEN[caller]].secret;
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = c.path[name];
      return pathSegment(resolve(value, w), value instanceof RawSegment);
    });
    const echoable = new Set<string>();
    const query = c.query.flatMap(([k, v]) => {
      const resolved = resolve(v, w);
      echoableSecrets(resolved, k, echoable);
      return queryPairs(k, resolved);
    });
    if (c.auth === 'in-query') query.push(`access_token=${secret}`);
    const headers: Record<string, string> = {};
    const auth = authorization(c.auth, secret);
    if (auth !== null) headers.authorization = auth;
    if (c.businessId !== null) {
      const id = resolve(c.businessId, w);
      headers['x-business-id'] = typeof id === 'string' ? id : JSON.stringify(id);
    }
    let body: string | null = null;
    let rawMode: RawMode | null = null;
    if (c.body.kind === 'json') {
      const resolved = resolve(c.body.value, w);
      echoableSecrets(resolved, '', echoable);
      headers['content-type'] = c.body.contentType;
      body = JSON.stringify(resolved);
    } else if (c.body.kind === 'raw') {
      headers['content-type'] = c.body.contentType;
      body = c.body.text;
      rawMode = c.body.mode;
    }
    return {
      op,
      caller,
      auth: c.auth,
      method: op.method,
      url: query.length > 0 ? `${path}?${query.join('&')}` : path,
      headers,
      body,
      echoable,
      rawMode,
    };
  }

  async function send(sent: Sent): Promise<Response> {
    let req = t.http()[sent.method](sent.url).timeout(REQUEST_TIMEOUT_MS);
    for (const [name, value] of Object.entries(sent.headers)) req = req.set(name, value);
    const res = await (sent.body === null ? req : req.send(sent.body));
    tally.requests++;
    if (res.status >= 200 && res.status < 300) tally.ok++;
    if (res.status >= 400 && res.status < 500) tally.clientErrors++;
    reached.add(sent.op.key);
    return res;
  }

  /** The request and answer, to replay by hand: no Authorization value, no secret. */
  function replay(sent: Sent, res: Response, w: World): string {
    const redact = (text: string) => {
      let out = text;
      for (const [secret, name] of knownSecrets(w)) out = out.split(secret).join(`<${name}>`);
      // Secrets made by the request itself (a create, a rotation) are no less secret.
      return out.replace(SECRET_TEXT, '<a new secret>');
    };
    const clip = (text: string) =>
      text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text;
    const headers = { ...sent.headers };
    if (headers.authorization !== undefined) {
      headers.authorization = `<${sent.auth}: ${sent.caller}'s token>`;
    }
    return [
      `  driver: ${driver}; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}, or FUZZ_PATH=<path> for this case alone`,
      `  caller: ${sent.caller}; auth: ${sent.auth}${sent.auth === 'in-query' ? ' (access_token=<token> in the query)' : ''}`,
      `  request: ${sent.method.toUpperCase()} ${clip(redact(sent.url))}`,
      `  headers: ${JSON.stringify(headers)}`,
      `  body (exact text, as a JSON string): ${sent.body === null ? '(none)' : clip(redact(JSON.stringify(sent.body)))}`,
      `  answer: ${res.status} ${clip(redact(res.text ?? ''))}`,
    ].join('\n');
  }

  /**
   * Sends `c` as each of its callers, in a world that still holds, and returns what is wrong
   * with the answers (each a printable report).
   */
  async function exchange(c: RequestCase, firstOnly: boolean): Promise<Finding[]> {
    const op = ops.find((o) => o.key === c.op)!;
    if (world.dirty && !(await stillWhole(world))) world = await buildWorld();
    world.dirty = false;
    const w = world;
    const findings: Finding[] = [];
    for (const caller of c.callers) {
      const sent = build(op, c, caller, w);
      const res = await send(sent);
      const problem = problemWith(sent, res, knownSecrets(w));
      if (problem) {
        findings.push({ problem, op: op.key, caller, replay: replay(sent, res, w) });
        if (firstOnly) break;
      }
      if (res.status < 300 && !(op.method === 'get' || KEEPS_WORLD.has(op.key))) w.dirty = true;
    }
    return findings;
  }

  it('reads every operation of the spec, and can build requests for each', () => {
    expect(ops.length).toBeGreaterThanOrEqual(30);
    for (const op of ops) {
      expect(fc.sample(requestCase(op, fieldNames), { seed: SEED, numRuns: 3 })).toHaveLength(3);
    }
    expect(ops.map((o) => o.key)).toEqual(
      expect.arrayContaining([
        'POST /api/v1/tokens',
        'POST /api/v1/tokens/{token_id}/rotate',
        'GET /platform/v1/tokens',
        'POST /oauth2/revoke',
        'GET /api/v1/audit-events/verify',
      ]),
    );
  });

  it(
    'answers a valid request on every operation, and raw bodies before the token: 415 for ' +
      'forms (outside /oauth2) and text, 400 for malformed or deep JSON, 413 past 1 MiB',
    async () => {
      tally = tallies.sweep;
      /** Findings by problem and case, so that one cause reads as one entry. */
      const findings = new Map<string, Finding[]>();
      const sweep = async (label: string, c: RequestCase) => {
        for (const finding of await exchange(c, false)) {
          const key = `${finding.problem} (${label})`;
          findings.set(key, [...(findings.get(key) ?? []), finding]);
        }
      };
      for (const [i, op] of ops.entries()) {
        const [valid] = fc.sample(validRequest(op), { seed: SEED, numRuns: 1 });
        await sweep('a valid request', valid);
        // A request line past Node's 16 KiB header limit, refused before any route is chosen,
        // so one caller is enough (and each such answer costs a connection).
        const pad: [string, Value] = ['pad', new Repeated('a', 20_000)];
        await sweep('a URL past 16 KiB', {
          ...valid,
          query: [...valid.query, pad],
          callers: [CALLERS[i % CALLERS.length]],
        });
        // Fastify does not read a GET's body, so the order of checks says nothing there.
        if (op.method === 'get') continue;
        for (const mode of RAW_MODES) {
          // Past the body limit, Fastify answers before routing too: one caller, for 1 MiB each.
          const callers = mode === 'huge' ? [CALLERS[i % CALLERS.length]] : valid.callers;
          await sweep(`a ${mode} body`, { ...valid, body: rawBody(mode), callers });
        }
      }
      expect(reached).toEqual(new Set(ops.map((o) => o.key)));
      // Every finding at once, each with one request in full: one must not hide the others.
      const text = [...findings].map(([key, all]) => {
        const opKeys = [...new Set(all.map((f) => f.op))];
        const callers = [...new Set(all.map((f) => f.caller))];
        return `${key}\n  on ${opKeys.join(', ')}\n  as ${callers.join(', ')}; the first:\n${all[0].replay}`;
      });
      if (text.length > 0) throw new Error(`${text.length} findings:\n\n${text.join('\n\n')}`);
    },
    120_000,
  );

  it(
    'answers valid and broken requests on every operation, as every caller, without a 5xx ' +
      'and in the error shape',
    async () => {
      tally = tallies.property;
      const cases = fc.constantFrom(...ops).chain((op) => requestCase(op, fieldNames));
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          const [finding] = await exchange(c, true);
          if (finding) throw new Error(`${finding.problem}\n${finding.replay}`);
        }),
        { seed: SEED, numRuns: RUNS, path: REPLAY_PATH },
      );
      if (REPLAY_PATH) return; // one case replayed: no share to speak of
      const { requests, ok } = tallies.property;
      expect(requests).toBeGreaterThanOrEqual(RUNS * CALLERS.length);
      // A run whose setup broke early (a suspended business, a revoked token) answers only 4xx.
      expect(ok / requests).toBeGreaterThanOrEqual(MIN_SUCCESS_SHARE);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'leaves every audit chain valid',
    async () => {
      const verify = (headers: Record<string, string>) =>
        t.http().get('/api/v1/audit-events/verify').set(headers).timeout(REQUEST_TIMEOUT_MS);
      for (const chain of chains) {
        let res = await verify(asMember(chain.ownerToken, chain.id));
        if (res.status === 403 && res.body.code === 'BUSINESS_SUSPENDED') {
          await t
            .http()
            .post(`/platform/v1/businesses/${chain.id}/resume`)
            .set(platform())
            .expect(200);
          res = await verify(asMember(chain.ownerToken, chain.id));
        }
        if (res.status === 200) {
          verifiedByOwner++;
        } else {
          // The fuzzer revoked the owner's token, removed the owner or demoted them: a platform
          // admin reads any business's chain.
          res = await verify({ ...platform(), 'x-business-id': chain.id });
        }
        expect({ business: chain.id, status: res.status, code: res.body.code }).toEqual({
          business: chain.id,
          status: 200,
          code: null,
        });
        expect(res.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
      }
      const res = await t
        .http()
        .get('/platform/v1/audit-events/verify')
        .set(platform())
        .expect(200);
      expect(res.body.data).toMatchObject({ valid: true, first_invalid_seq: null });
    },
    60_000 + RUNS * 25,
  );
});
