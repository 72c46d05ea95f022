import { SCOPE_PATTERN } from '../../auth/scopes';
import { canonicalResource } from '../../common/validation/resource-uri';
import type { AuthorizationRequestParams } from './dto/authorization-code.dto';
import type { ClientFacts, ResourceFacts } from './authorization-ports';
import { PKCE_VALUE } from './pkce';

/** What the checks know besides the parameters: the issuer, and what the registries answered. */
export interface AuthorizationRequestFacts {
  /** RFC 9207's `iss`, sent with every authorization response. */
  issuer: string;
  /** The client `client_id` names, or null when the registry knows none. */
  client: ClientFacts | null;
  /** The registered resource `resource` names (canonical), or null when there is none. */
  resource: ResourceFacts | null;
}

/** The parameters, each name with every value it was sent with. */
export type ReadParams = ReadonlyMap<string, readonly string[]>;

export function readParams(params: AuthorizationRequestParams): ReadParams {
  const read = new Map<string, readonly string[]>();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    read.set(name, typeof value === 'string' ? [value] : value);
  }
  return read;
}

/** The value of a parameter sent once, or undefined when it is absent, empty or repeated. */
export function single(p: ReadParams, name: string): string | undefined {
  const values = p.get(name);
  return values?.length === 1 && values[0] !== '' ? values[0] : undefined;
}

/** RFC 9449 §10: `dpop_jkt` is the base64url SHA-256 JWK thumbprint (RFC 7638) of the key. */
const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/** The scopes `scope` names (RFC 6749 §3.3: space-delimited), or null when one is ill-formed. */
export function scopesOf(scope: string): string[] | null {
  const names = scope.split(' ');
  return names.every((n) => SCOPE_PATTERN.test(n)) ? [...new Set(names)] : null;
}

/** The error codes of RFC 6749 §4.1.2.1 and RFC 8707 §2 an authorization response carries. */
export type RedirectError =
  'invalid_request' | 'unsupported_response_type' | 'invalid_target' | 'invalid_scope';

/**
 * How a failed check is answered. `page`: Latchkey's own error page, never a redirect, because
 * the client or its redirect URI cannot be trusted (RFC 6749 §4.1.2.1, first paragraph).
 * `redirect`: back to the client's redirect URI with `error`, `error_description`, `state` and
 * `iss` (RFC 6749 §4.1.2.1, RFC 9207).
 */
export type CheckAnswer =
  | { kind: 'page'; error: 'invalid_client' | 'invalid_request'; description: string }
  | { kind: 'redirect'; error: RedirectError; description: string };

export interface AuthorizationRequestCheck {
  id: string;
  /** Where the rule is written. */
  source: string;
  /** The condition under which the request is refused with `answer`. */
  refuses: (p: ReadParams, facts: AuthorizationRequestFacts) => boolean;
  answer: CheckAnswer;
}

const page = (error: 'invalid_client' | 'invalid_request', description: string) =>
  ({ kind: 'page', error, description }) as const;
const redirect = (error: RedirectError, description: string) =>
  ({ kind: 'redirect', error, description }) as const;

/** The canonical spelling of the request's `resource`, or null. */
export const resourceOf = (p: ReadParams): string | null => {
  const resource = single(p, 'resource');
  return resource === undefined ? null : canonicalResource(resource);
};

/**
 * The authorization request's checks, in the order the RFCs give them; the first that refuses
 * answers. The client and its redirect URI come first, as only once both are trusted may an
 * error go back to the client at all; then the request's own parameters, each with the error
 * code its RFC names. Descriptions are fixed phrases: none echoes what the caller sent.
 */
export const AUTHORIZATION_REQUEST_CHECKS = [
  {
    id: 'client_id_missing',
    source: 'RFC 6749 §4.1.1, §4.1.2.1',
    refuses: (p) => single(p, 'client_id') === undefined,
    answer: page('invalid_request', 'client_id is required, once'),
  },
  {
    id: 'client_unknown',
    source: 'RFC 6749 §4.1.2.1',
    refuses: (p, f) => f.client === null || f.client.clientId !== single(p, 'client_id'),
    answer: page('invalid_client', 'The client is not known'),
  },
  {
    id: 'redirect_uri_missing',
    source: 'RFC 6749 §4.1.2.1, §3.1.2.3',
    refuses: (p) => single(p, 'redirect_uri') === undefined,
    answer: page('invalid_request', 'redirect_uri is required, once'),
  },
  {
    id: 'redirect_uri_unregistered',
    source: 'RFC 6749 §4.1.2.1, §3.1.2.3; RFC 8252 §7.3',
    refuses: (p, f) => !f.client?.acceptsRedirectUri(single(p, 'redirect_uri') ?? ''),
    answer: page('invalid_request', 'redirect_uri is not one the client registered'),
  },
  {
    id: 'parameter_repeated',
    source: 'RFC 6749 §3.1, §4.1.2.1',
    refuses: (p) => [...p.values()].some((values) => values.length > 1),
    answer: redirect('invalid_request', 'A parameter was sent more than once'),
  },
  {
    id: 'response_type_missing',
    source: 'RFC 6749 §4.1.1, §4.1.2.1',
    refuses: (p) => single(p, 'response_type') === undefined,
    answer: redirect('invalid_request', 'response_type is required'),
  },
  {
    id: 'response_type_unsupported',
    source: 'RFC 6749 §4.1.2.1',
    refuses: (p) => single(p, 'response_type') !== 'code',
    answer: redirect('unsupported_response_type', 'Only response_type=code is supported'),
  },
  {
    id: 'code_challenge_missing',
    source: 'RFC 7636 §4.4.1',
    refuses: (p) => single(p, 'code_challenge') === undefined,
    answer: redirect('invalid_request', 'code_challenge required'),
  },
  {
    // Absent, the method is `plain` (RFC 7636 §4.3), which this server does not support.
    id: 'code_challenge_method_unsupported',
    source: 'RFC 7636 §4.3, §4.4.1',
    refuses: (p) => single(p, 'code_challenge_method') !== 'S256',
    answer: redirect('invalid_request', 'transform algorithm not supported: use S256'),
  },
  {
    id: 'code_challenge_malformed',
    source: 'RFC 7636 §4.2',
    refuses: (p) => !PKCE_VALUE.test(single(p, 'code_challenge') ?? ''),
    answer: redirect(
      'invalid_request',
      'code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, -, ., _ and ~',
    ),
  },
  {
    id: 'resource_missing',
    source: 'RFC 8707 §2',
    refuses: (p) => single(p, 'resource') === undefined,
    answer: redirect('invalid_target', 'resource is required'),
  },
  {
    id: 'resource_malformed',
    source: 'RFC 8707 §2',
    refuses: (p) => resourceOf(p) === null,
    answer: redirect('invalid_target', 'resource must be an absolute http(s) URI with no fragment'),
  },
  {
    id: 'resource_unregistered',
    source: 'RFC 8707 §2',
    refuses: (p, f) => f.resource === null || f.resource.uri !== resourceOf(p),
    answer: redirect('invalid_target', 'resource is not registered in this business'),
  },
  {
    // The profile has no default scope (RFC 6749 §3.3 leaves the choice to the server).
    id: 'scope_missing',
    source: 'RFC 6749 §3.3, §4.1.2.1',
    refuses: (p) => single(p, 'scope') === undefined,
    answer: redirect('invalid_scope', 'scope is required'),
  },
  {
    id: 'scope_malformed',
    source: 'RFC 6749 §3.3, §4.1.2.1',
    refuses: (p) => scopesOf(single(p, 'scope') ?? '') === null,
    answer: redirect('invalid_scope', 'scope must be scope names separated by single spaces'),
  },
  {
    id: 'scope_undeclared',
    source: 'RFC 6749 §3.3, §4.1.2.1',
    refuses: (p, f) => {
      const declared = new Set(f.resource?.scopes ?? []);
      return !(scopesOf(single(p, 'scope') ?? '') ?? []).every((s) => declared.has(s));
    },
    answer: redirect('invalid_scope', 'scope names a scope the resource does not declare'),
  },
  {
    id: 'dpop_jkt_malformed',
    source: 'RFC 9449 §10',
    refuses: (p) => p.has('dpop_jkt') && !JWK_THUMBPRINT.test(single(p, 'dpop_jkt') ?? ''),
    answer: redirect('invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint'),
  },
] as const satisfies readonly AuthorizationRequestCheck[];

export type AuthorizationRequestCheckId = (typeof AUTHORIZATION_REQUEST_CHECKS)[number]['id'];
