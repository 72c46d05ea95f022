import { OAuthError, type OAuthErrorCode } from '../../common/errors/oauth-error';
import { canonicalResource } from '../../common/validation/resource-uri';
import { scopesOf } from '../codes/authorization-request-checks';

export const AUTHORIZATION_CODE_GRANT = 'authorization_code';
export const REFRESH_TOKEN_GRANT = 'refresh_token';

/** A token request of either grant, as read from its form (or JSON) body. */
export type TokenRequest =
  | {
      grantType: typeof AUTHORIZATION_CODE_GRANT;
      clientId: string;
      code: string;
      redirectUri: string;
      codeVerifier: string | null;
      resource: string;
    }
  | {
      grantType: typeof REFRESH_TOKEN_GRANT;
      clientId: string;
      refreshToken: string;
      scopes: string[] | null;
      resource: string | null;
    };

/** The longest value any parameter may have: a client_id URL or redirect URI is at most 512. */
const PARAM_MAX = 1024;

type Params = ReadonlyMap<string, string>;

interface TokenRequestRule {
  id: string;
  /** Where the rule is written. */
  source: string;
  /** The grants it applies to; absent: both. */
  grants?: readonly string[];
  refuses: (p: Params) => boolean;
  error: OAuthErrorCode;
  description: string;
}

const CODE = [AUTHORIZATION_CODE_GRANT];
const REFRESH = [REFRESH_TOKEN_GRANT];

/**
 * The token request's checks after the body's shape, in RFC order; the first that refuses
 * answers, 400 `{error, error_description}`. Whether the code or the refresh token is good is
 * the grant's own business (`REDEMPTION_CHECKS`, `GrantsService.refresh`), after these.
 */
export const TOKEN_REQUEST_RULES: readonly TokenRequestRule[] = [
  {
    id: 'grant_type_missing',
    source: 'RFC 6749 §4.1.3',
    refuses: (p) => !p.has('grant_type'),
    error: 'invalid_request',
    description: 'The grant_type parameter is required',
  },
  {
    id: 'grant_type_unsupported',
    source: 'RFC 6749 §5.2',
    refuses: (p) => ![...CODE, ...REFRESH].includes(p.get('grant_type')!),
    error: 'unsupported_grant_type',
    description: 'Only authorization_code and refresh_token are supported here',
  },
  {
    id: 'client_id_missing',
    source: 'RFC 6749 §3.2.1, §4.1.3: a public client names itself',
    refuses: (p) => !p.has('client_id'),
    error: 'invalid_request',
    description: 'The client_id parameter is required',
  },
  {
    id: 'client_secret_sent',
    source: 'RFC 6749 §2.3: the clients here are public (token_endpoint_auth_method none)',
    refuses: (p) => p.has('client_secret') || p.has('client_assertion'),
    error: 'invalid_client',
    description: 'Clients here authenticate with none: send no client secret or assertion',
  },
  {
    id: 'code_missing',
    source: 'RFC 6749 §4.1.3',
    grants: CODE,
    refuses: (p) => !p.has('code'),
    error: 'invalid_request',
    description: 'The code parameter is required',
  },
  {
    id: 'redirect_uri_missing',
    source: 'RFC 6749 §4.1.3: required, as the authorization request carried one',
    grants: CODE,
    refuses: (p) => !p.has('redirect_uri'),
    error: 'invalid_request',
    description: 'The redirect_uri parameter is required',
  },
  {
    id: 'code_verifier_missing',
    source: 'RFC 7636 §4.5: every code here has a challenge',
    grants: CODE,
    refuses: (p) => !p.has('code_verifier'),
    error: 'invalid_request',
    description: 'code_verifier is required',
  },
  {
    id: 'resource_missing',
    source: 'RFC 8707 §2.2: the token is for the resource the code was for',
    grants: CODE,
    refuses: (p) => !p.has('resource'),
    error: 'invalid_target',
    description: 'The resource parameter is required',
  },
  {
    id: 'resource_malformed',
    source: 'RFC 8707 §2: an absolute URI with no fragment',
    refuses: (p) => p.has('resource') && canonicalResource(p.get('resource')!) === null,
    error: 'invalid_target',
    description: 'The resource must be an absolute http(s) URI with no fragment',
  },
  {
    id: 'refresh_token_missing',
    source: 'RFC 6749 §6',
    grants: REFRESH,
    refuses: (p) => !p.has('refresh_token'),
    error: 'invalid_request',
    description: 'The refresh_token parameter is required',
  },
  {
    id: 'scope_malformed',
    source: 'RFC 6749 §3.3',
    grants: REFRESH,
    refuses: (p) => p.has('scope') && scopesOf(p.get('scope')!) === null,
    error: 'invalid_scope',
    description: 'The scope must be space-separated scope names',
  },
];

/**
 * Reads a token request: a body that is not a set of parameters, or repeats one (RFC 6749 §3.2),
 * or holds one longer than any value could be, is `invalid_request`; then `TOKEN_REQUEST_RULES`
 * in order. Unknown parameters are ignored (RFC 6749 §3.2).
 */
export function readTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'Send the parameters form-encoded');
  }
  const p = new Map<string, string>();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw new OAuthError('invalid_request', 'Each parameter must be given once, as text');
    }
    if (value.length > PARAM_MAX) {
      throw new OAuthError('invalid_request', 'A parameter is longer than any value it may hold');
    }
    // RFC 6749 §3.2: a parameter sent without a value is treated as omitted.
    if (value !== '') p.set(name, value);
  }
  const grant = p.get('grant_type');
  for (const rule of TOKEN_REQUEST_RULES) {
    if (rule.grants && !rule.grants.includes(grant!)) continue;
    if (rule.refuses(p)) throw new OAuthError(rule.error, rule.description);
  }
  const resource = p.has('resource') ? canonicalResource(p.get('resource')!) : null;
  if (grant === AUTHORIZATION_CODE_GRANT) {
    return {
      grantType: AUTHORIZATION_CODE_GRANT,
      clientId: p.get('client_id')!,
      code: p.get('code')!,
      redirectUri: p.get('redirect_uri')!,
      codeVerifier: p.get('code_verifier')!,
      resource: resource!,
    };
  }
  return {
    grantType: REFRESH_TOKEN_GRANT,
    clientId: p.get('client_id')!,
    refreshToken: p.get('refresh_token')!,
    scopes: p.has('scope') ? scopesOf(p.get('scope')!) : null,
    resource,
  };
}
