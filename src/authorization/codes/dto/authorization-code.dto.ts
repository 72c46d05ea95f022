/**
 * The shapes of the authorization code grant as its services take and answer them. No route
 * serves them yet: the authorization endpoint comes with the console's consent screen, and the
 * token endpoint's grant with the client registry.
 */

/**
 * An authorization request's parameters as the query string gave them: a name sent twice is a
 * list (Fastify's parser), which the checks refuse (RFC 6749 §3.1).
 */
export type AuthorizationRequestParams = Readonly<
  Record<string, string | readonly string[] | undefined>
>;

/** A request every check passed: what consent is asked for, and what the code will be bound to. */
export interface ValidatedAuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** The resource in its canonical spelling (RFC 8707 §2), as the business registered it. */
  resource: string;
  scopes: string[];
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  /** Echoed in the redirect, whatever it holds; null when the client sent none. */
  state: string | null;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code is bound to, when the client named one. */
  dpopJkt: string | null;
}

/** What a code is issued for, once the person has consented. */
export interface CodeGrant {
  businessId: string;
  /** The person who consented. */
  identityId: string;
  clientId: string;
  redirectUri: string;
  resource: string;
  scopes: string[];
  codeChallenge: string;
  dpopJkt: string | null;
}

/** A code just issued: `code` goes in the redirect, once, and is stored only as its SHA-256. */
export interface IssuedCode {
  code: string;
  /** The grant the tokens made from this code will carry, so a replay can revoke them. */
  grantId: string;
  expiresAt: Date;
}

/** What a token request presents with a code (RFC 6749 §4.1.3, RFC 7636 §4.5, RFC 8707 §2.2). */
export interface CodePresentation {
  code: string;
  clientId: string;
  redirectUri: string;
  resource: string;
  codeVerifier?: string | null;
  /** The thumbprint of the key of the request's DPoP proof, when it carried one. */
  dpopJkt?: string | null;
}

/** A code redeemed: the grant a token is then issued for. */
export interface RedeemedGrant {
  grantId: string;
  businessId: string;
  identityId: string;
  clientId: string;
  resource: string;
  scopes: string[];
  dpopJkt: string | null;
}
