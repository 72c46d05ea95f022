import { isUUID } from 'class-validator';
import { SCOPE_PATTERN } from '../../auth/scopes';
import { AUDIENCES_MAX } from '../../common/validation/byte-budget';
import { canonicalResource } from '../../common/validation/resource-uri';
import { MAX_SUBJECT_TOKEN_LENGTH } from './jwt-grant';
import { OAuthError } from '../../common/errors/oauth-error';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
/** What some CI providers call their OIDC token; a JWT all the same. */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** How `resource` (RFC 8707) or `audience` names a business. */
export const BUSINESS_URN_PREFIX = 'urn:latchkey:business:';

/** An RFC 8693 token-exchange request, as read from its form (or JSON) body. */
export interface ExchangeParams {
  subjectToken: string;
  /** The scopes asked for; null: the rule's. */
  scopes: string[] | null;
  businessId: string;
  /** The resources (RFC 8707) the token is for, canonical; null: anywhere. */
  audiences: string[] | null;
}

const KNOWN = [
  'grant_type',
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'scope',
  'audience',
  'resource',
  'actor_token',
  'actor_token_type',
  'client_id',
];

/**
 * Reads and checks the parameters, in RFC 6749's order of errors: a body that is not a set of
 * parameters, or one that repeats a parameter (§3.2), is `invalid_request`; another grant type
 * is `unsupported_grant_type`; then each parameter, and the business that `x-business-id`,
 * `resource` or `audience` names (`invalid_target` when they disagree or name none).
 */
export function readExchangeParams(body: unknown, businessHeader: unknown): ExchangeParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'Send the parameters form-encoded');
  }
  const params = body as Record<string, unknown>;
  for (const name of KNOWN) {
    if (name === 'resource') continue;
    if (name in params && typeof params[name] !== 'string') {
      throw new OAuthError('invalid_request', `The ${name} parameter must be given once, as text`);
    }
  }
  const text = (name: string) => {
    const value = params[name] as string | undefined;
    return value === undefined || value === '' ? undefined : value;
  };
  const grant = text('grant_type');
  if (grant === undefined)
    throw new OAuthError('invalid_request', 'The grant_type parameter is required');
  if (grant !== TOKEN_EXCHANGE_GRANT) {
    throw new OAuthError('unsupported_grant_type', `Only ${TOKEN_EXCHANGE_GRANT} is supported`);
  }
  const subjectToken = text('subject_token');
  if (subjectToken === undefined) {
    throw new OAuthError('invalid_request', 'The subject_token parameter is required');
  }
  if (subjectToken.length > MAX_SUBJECT_TOKEN_LENGTH) {
    throw new OAuthError('invalid_request', 'The subject_token is too long');
  }
  const type = text('subject_token_type');
  if (type !== JWT_TOKEN_TYPE && type !== ID_TOKEN_TYPE) {
    throw new OAuthError('invalid_request', `The subject_token_type must be ${JWT_TOKEN_TYPE}`);
  }
  if (text('actor_token') !== undefined) {
    throw new OAuthError('invalid_request', 'Delegation (actor_token) is not supported');
  }
  const requested = text('requested_token_type');
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) {
    throw new OAuthError('invalid_target', `Only ${ACCESS_TOKEN_TYPE} tokens are issued`);
  }
  const { business, audiences } = resourcesParam(params.resource);
  return {
    subjectToken,
    scopes: scopesParam(text('scope')),
    businessId: businessOf(businessHeader, business, text('audience')),
    audiences,
  };
}

/**
 * RFC 8707 §2: `resource` may be given more than once. The one of the form
 * `urn:latchkey:business:<id>` names the business; each absolute http(s) URI is a resource the
 * token is bound to (its audiences). Anything else is `invalid_target`.
 */
function resourcesParam(value: unknown): { business?: string; audiences: string[] | null } {
  if (value === undefined || value === '') return { audiences: null };
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  if (values.length > AUDIENCES_MAX + 1 || values.some((v) => typeof v !== 'string' || v === '')) {
    throw new OAuthError(
      'invalid_request',
      `The resource parameter must be text, given at most ${AUDIENCES_MAX + 1} times`,
    );
  }
  const urns = (values as string[]).filter((v) => v.startsWith('urn:'));
  if (urns.length > 1) {
    throw new OAuthError('invalid_target', 'The request names more than one business');
  }
  const audiences: string[] = [];
  for (const v of values as string[]) {
    if (v.startsWith('urn:')) continue;
    const canonical = canonicalResource(v);
    if (canonical === null) {
      throw new OAuthError(
        'invalid_target',
        `A resource must be ${BUSINESS_URN_PREFIX}<business id> or an absolute http(s) URI with no fragment`,
      );
    }
    if (!audiences.includes(canonical)) audiences.push(canonical);
  }
  return { business: urns[0], audiences: audiences.length > 0 ? audiences : null };
}

/** RFC 6749 §3.3: space-delimited scopes, each as Latchkey spells them. */
function scopesParam(scope: string | undefined): string[] | null {
  if (scope === undefined) return null;
  const scopes = scope.split(' ');
  if (scopes.some((s) => !SCOPE_PATTERN.test(s) || s.length > 128) || scopes.length > 50) {
    throw new OAuthError('invalid_scope', 'The scope parameter is malformed');
  }
  return [...new Set(scopes)];
}

/**
 * The one business the request names: by `x-business-id`, or by `resource` (RFC 8707) or
 * `audience` (RFC 8693) as `urn:latchkey:business:<id>`. Names that disagree, or none, are
 * refused.
 */
function businessOf(header: unknown, resource?: string, audience?: string): string {
  const named: string[] = [];
  if (header !== undefined) {
    if (typeof header !== 'string' || !isUUID(header)) {
      throw new OAuthError('invalid_request', 'The x-business-id header must be a uuid');
    }
    named.push(header.toLowerCase());
  }
  for (const [name, value] of [
    ['resource', resource],
    ['audience', audience],
  ] as const) {
    if (value === undefined) continue;
    const id = value.startsWith(BUSINESS_URN_PREFIX) ? value.slice(BUSINESS_URN_PREFIX.length) : '';
    if (!isUUID(id)) {
      throw new OAuthError(
        'invalid_target',
        `The ${name} must be ${BUSINESS_URN_PREFIX}<business id>`,
      );
    }
    named.push(id.toLowerCase());
  }
  if (named.length === 0) {
    throw new OAuthError(
      'invalid_request',
      `Name the business: the x-business-id header, or resource=${BUSINESS_URN_PREFIX}<id>`,
    );
  }
  if (named.some((id) => id !== named[0])) {
    throw new OAuthError('invalid_target', 'The request names more than one business');
  }
  return named[0];
}
