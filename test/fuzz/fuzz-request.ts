import {
  AuthVariant,
  BusinessName,
  Caller,
  EmailName,
  WebhookName,
  IdentityName,
  Nested,
  Operation,
  percentEncode,
  queryPairs,
  RawMode,
  RawSegment,
  Ref,
  Repeated,
  RequestCase,
  TokenName,
  Value,
} from './openapi-fuzz';
import { tamperedSecret } from '../harness/app/token-checks';

/**
 * What fuzz-surface.ts sends: the world a request acts on, and a generated request case turned
 * into the request on the wire, its fixtures filled in.
 */

export interface Issued {
  id: string;
  secret: string;
}

/** What the requests act on: one business with its people and tokens, and a second business. */
export interface World {
  businesses: Record<BusinessName, string>;
  tokens: Record<TokenName, Issued>;
  identities: Record<IdentityName, string>;
  emails: Record<EmailName, string>;
  webhooks: Record<WebhookName, string>;
  /** The home business's custom role. */
  customRoles: { home: string };
  /** The home owner's first token: never sent by the fuzzer, it reads the audit log at the end. */
  auditor: string;
  /** Set once a request may have revoked, removed or suspended something the world holds. */
  dirty: boolean;
}

/** The token each caller sends. */
export const CALLER_TOKEN: Record<Caller, TokenName> = {
  owner: 'owner',
  admin: 'admin',
  member: 'member',
  platform: 'platform',
};

/** Body fields that hold a secret: the API never echoes them (validation.pipe.ts). */
const SECRET_FIELDS = new Set(['token', 'access_token', 'refresh_token', 'secret', 'password']);

/** A request as it went on the wire. */
export interface Sent {
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

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

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
      case 'webhook':
        return w.webhooks[value.name as WebhookName];
      case 'customRole':
        return w.customRoles.home;
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
      return `Bearer ${tamperedSecret(secret)}`;
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
export function build(op: Operation, c: RequestCase, caller: Caller, w: World): Sent {
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
