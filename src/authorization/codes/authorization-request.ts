import type {
  AuthorizationRequestParams,
  ValidatedAuthorizationRequest,
} from './dto/authorization-code.dto';
import {
  AUTHORIZATION_REQUEST_CHECKS,
  AuthorizationRequestCheckId,
  AuthorizationRequestFacts,
  readParams,
  RedirectError,
  resourceOf,
  scopesOf,
  single,
} from './authorization-request-checks';

/** The parameters an authorization response adds to the redirect URI's query. */
export type AuthorizationResponseParams = Readonly<Record<string, string>>;

/** What an authorization request gets: an error page, an error redirect, or on to consent. */
export type AuthorizationRequestAnswer =
  | {
      kind: 'page';
      check: AuthorizationRequestCheckId;
      error: 'invalid_client' | 'invalid_request';
      description: string;
    }
  | {
      kind: 'redirect';
      check: AuthorizationRequestCheckId;
      error: RedirectError;
      /** The client's redirect URI (registered, and checked) and what its query gains. */
      redirectUri: string;
      params: AuthorizationResponseParams;
    }
  | { kind: 'valid'; request: ValidatedAuthorizationRequest };

/**
 * Checks an authorization request against `AUTHORIZATION_REQUEST_CHECKS`, in their order, over
 * its parameters and what the registries answered for them; the first check that refuses gives
 * the answer. Pure: the lookups are the caller's (`AuthorizationRequests`).
 */
export function checkAuthorizationRequest(
  params: AuthorizationRequestParams,
  facts: AuthorizationRequestFacts,
): AuthorizationRequestAnswer {
  const p = readParams(params);
  for (const check of AUTHORIZATION_REQUEST_CHECKS) {
    if (!check.refuses(p, facts)) continue;
    const { answer } = check;
    if (answer.kind === 'page') return { ...answer, check: check.id };
    const state = single(p, 'state');
    return {
      kind: 'redirect',
      check: check.id,
      error: answer.error,
      redirectUri: single(p, 'redirect_uri')!,
      params: {
        error: answer.error,
        error_description: answer.description,
        // A state sent twice is not echoed: which one the client meant is not known.
        ...(state === undefined ? {} : { state }),
        iss: facts.issuer,
      },
    };
  }
  return {
    kind: 'valid',
    request: {
      clientId: single(p, 'client_id')!,
      redirectUri: single(p, 'redirect_uri')!,
      resource: resourceOf(p)!,
      scopes: scopesOf(single(p, 'scope')!)!,
      codeChallenge: single(p, 'code_challenge')!,
      codeChallengeMethod: 'S256',
      state: single(p, 'state') ?? null,
      dpopJkt: single(p, 'dpop_jkt') ?? null,
    },
  };
}

/**
 * Where an authorization response sends the browser: the redirect URI with `params` added to its
 * query, the query it was registered with kept (RFC 6749 §3.1.2). The URI is not re-spelled: it
 * stays the one the client registered.
 */
export function authorizationResponseLocation(
  redirectUri: string,
  params: AuthorizationResponseParams,
): string {
  const query = new URLSearchParams(params).toString();
  const joiner = !redirectUri.includes('?') ? '?' : redirectUri.endsWith('?') ? '' : '&';
  return `${redirectUri}${joiner}${query}`;
}
