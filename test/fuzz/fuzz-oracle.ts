import type { Response } from 'supertest';
import { isObject, Sent } from './fuzz-request';
import { AuthVariant, RAW_BODIES, rawBodyStatus } from './openapi-fuzz';

/** RFC 6749 §5.2, RFC 8693 §2.2.2 and RFC 9449 §5, §8 codes, as the token endpoints answer them. */
const TOKEN_ENDPOINT_ERRORS = [
  'invalid_request',
  'invalid_grant',
  'invalid_scope',
  'invalid_target',
  'unsupported_grant_type',
  'invalid_client',
  'invalid_dpop_proof',
  'use_dpop_nonce',
];

/**
 * RFC 7591 §3.2.2's codes, as `POST /oauth2/register` answers them, and the body parser's
 * invalid_request for what is not JSON at all, as on every /oauth2 route (§3.2.2 lets other
 * codes be used).
 */
const REGISTRATION_ERRORS = ['invalid_redirect_uri', 'invalid_client_metadata', 'invalid_request'];

/**
 * The invariants every answer of fuzz-surface.ts must keep, whatever was sent: no 5xx, the
 * error shape (RFC 6749's on /oauth2/*), a Bearer challenge on a 401, no secret echoed, and the
 * success envelope on a 2xx.
 */

/** Auth variants that are no credential: a closed route answers them 401, or a step-0 error. */
const NOT_A_CREDENTIAL = new Set<AuthVariant>([
  'missing',
  'in-query',
  'tampered',
  'basic',
  'bearer-empty',
]);

const EXPORT_PATHS = new Set([
  '/api/v1/audit-events/export',
  '/platform/v1/audit-events/export',
  '/api/v1/analytics/verifications/export',
  '/platform/v1/analytics/verifications/export',
]);
/** The identity provider's return, which answers a browser by sending it to the console. */
const REDIRECT_PATHS = new Set(['/auth/sso/callback']);
/**
 * A business's authorization endpoint answers a browser: an HTML error page while the client or
 * its redirect URI cannot be trusted (RFC 6749 §4.1.2.1), else a redirect.
 */
const AUTHORIZE_PATH = '/oauth2/businesses/{business_id}/authorize';
/** A business's token endpoint (RFC 6749 §5.2), with RFC 9449's DPoP errors. */
const GRANT_TOKEN_PATH = '/oauth2/businesses/{business_id}/token';
/** The audit log's signed notes, proofs and key: `text/plain`, outside the envelope (C2SP). */
const PLAIN_TEXT_PATHS = new Set(
  ['/api/v1', '/platform/v1']
    .flatMap((base) =>
      ['checkpoint', '{seq}/inclusion', 'consistency'].map((p) => `${base}/audit-events/${p}`),
    )
    .concat('/.well-known/latchkey-audit-key'),
);

/** The problem with an answer, or null: the invariants every response must keep. */
export function problemWith(
  sent: Sent,
  res: Response,
  knownSecrets: Map<string, string>,
): string | null {
  const { op } = sent;
  const body: unknown = res.body;
  const oauth = op.scope === 'oauth2';
  if (res.status >= 500) return `a ${res.status}: no input may cause a server error`;
  if (op.path === AUTHORIZE_PATH) return authorizeProblem(res);
  if (res.status === 302 && REDIRECT_PATHS.has(op.path)) {
    return String(res.headers.location).startsWith('/admin/sso#')
      ? null
      : `${op.path} redirected off the console: ${String(res.headers.location)}`;
  }
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
      // The token endpoint (RFC 8693) answers each of RFC 6749 §5.2's codes it can meet;
      // registration RFC 7591 §3.2.2's; the RFC 7009 and 7662 endpoints only a bad request.
      const codes =
        op.path === '/oauth2/token' || op.path === GRANT_TOKEN_PATH
          ? TOKEN_ENDPOINT_ERRORS
          : op.path === '/oauth2/register'
            ? REGISTRATION_ERRORS
            : ['invalid_request'];
      if (res.status === 400 && !codes.includes(String(body.error))) {
        return `a 400 on ${op.path} must be RFC 6749's {error: ${codes.join(' | ')}, ...}`;
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
  if (PLAIN_TEXT_PATHS.has(op.path)) {
    return /^text\/plain/.test(String(res.headers['content-type'])) && res.text.endsWith('\n')
      ? null
      : `${op.path} answered ${String(res.headers['content-type'])}, not a text note`;
  }
  if (op.path === '/.well-known/latchkey-webhook-keys') {
    // A key set, as JWKS-like documents are served: outside the envelope.
    const keys = isObject(body) ? body.keys : undefined;
    return Array.isArray(keys) && keys.length > 0 && !('success' in (body as object))
      ? null
      : 'the webhook keys answered without a key set';
  }
  if (op.path === '/.well-known/jwks.json') {
    // RFC 7517's key set, outside the envelope, and public keys only.
    const keys = isObject(body) ? body.keys : undefined;
    return Array.isArray(keys) &&
      keys.length > 0 &&
      keys.every((k) => isObject(k) && !('d' in k)) &&
      !('success' in (body as object))
      ? null
      : 'the JWKS answered without a key set of public keys';
  }
  if (op.path === '/status-lists/{list_id}') {
    // A Token Status List: the signed JWT, or its JSON form, outside the envelope.
    return /^application\/statuslist\+(jwt|json)/.test(String(res.headers['content-type']))
      ? null
      : `a status list answered ${String(res.headers['content-type'])}`;
  }
  if (op.path === '/.well-known/oauth-protected-resource') {
    // RFC 9728's metadata, outside the envelope, naming its resource.
    return isObject(body) && typeof body.resource === 'string' && !('success' in body)
      ? null
      : 'the protected resource metadata answered without its resource';
  }
  if (op.path === '/.well-known/oauth-authorization-server/oauth2/businesses/{business_id}') {
    // RFC 8414's metadata, outside the envelope: the business's issuer and its endpoints.
    return isObject(body) && typeof body.issuer === 'string' && !('success' in body)
      ? null
      : 'the authorization server metadata answered without its issuer';
  }
  if (op.path === '/.well-known/ssf-configuration' || op.path.startsWith('/ssf/v1/')) {
    // The Shared Signals shapes (SSF 1.0), outside the envelope: the transmitter's metadata, a
    // stream or the list of them, a status, or a bare 204.
    if (res.status === 204) return res.text === '' ? null : 'a 204 with a body';
    const shaped = Array.isArray(body) || (isObject(body) && !('success' in body));
    return shaped ? null : `${op.path} answered ${res.text.slice(0, 80)}, not an SSF shape`;
  }
  if (op.path.startsWith('/health/')) return null;
  if (op.path === '/auth/verify') {
    // A gateway's check: 204, no body, who holds the token in X-Latchkey-* headers.
    return res.status === 204 &&
      res.text === '' &&
      /^[0-9a-f-]{36}$/.test(String(res.headers['x-latchkey-token-id']))
      ? null
      : `/auth/verify answered ${res.status} with ${JSON.stringify(res.text.slice(0, 80))}, not a bare 204 naming the token`;
  }
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

/**
 * The authorization endpoint's answer to a browser: a redirect (to the consent screen, or back
 * to a client with `iss`), or an HTML page that echoes nothing as markup; never a 5xx.
 */
function authorizeProblem(res: Response): string | null {
  if (res.status === 302) {
    const location = String(res.headers.location);
    return location.includes('/admin/consent?') || location.includes('iss=')
      ? null
      : `the authorization endpoint redirected elsewhere: ${location}`;
  }
  // Refused before the route: a limit, Node's parser (a URL past 16 KiB), the router (a bad escape).
  if (res.status === 429 || res.status === 431) return null;
  if (res.status === 400 && isObject(res.body) && res.body.message === 'Malformed URL') return null;
  if (res.status !== 400 && res.status !== 404) return `an unexpected status ${res.status}`;
  if (!String(res.headers['content-type']).startsWith('text/html')) {
    return `the authorization endpoint's ${res.status} must be an HTML page`;
  }
  if (/<script/i.test(res.text)) return 'the error page holds markup the request sent';
  return null;
}
