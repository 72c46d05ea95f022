import { checkScopeList } from '../edge/known-token';
import { canonicalResource, isSecureOrLoopback } from '../edge/resource-uri';
import { type LatchkeyRefusal, refusal } from './refusals';

/**
 * The app as an OAuth protected resource (RFC 9728), as an MCP client built on
 * `@modelcontextprotocol/sdk` discovers one: where its metadata is, which authorization server
 * issues its tokens, and which scopes it takes.
 */
export interface ProtectedResourceOptions {
  /**
   * The app's canonical URI (RFC 8707), the one its clients connect to and ask tokens for:
   * `https://mcp.example.com/mcp`; `http` only on 127.0.0.1, [::1] or localhost. No query, and a
   * path of letters, digits, `-`, `.`, `_`, `~` and `/`: its metadata's route is made from it.
   */
  resource: string;
  /**
   * The authorization servers whose tokens it takes (issuer URLs, as their RFC 8414 metadata
   * spells them, kept as written): at least one.
   */
  authorizationServers: readonly string[];
  /** The scopes it takes, published for clients to ask for (at most 50, Latchkey's grammar). */
  scopesSupported?: readonly string[];
  /** Its name, for people (1 to 200 characters). */
  resourceName?: string;
  /** A page about it, for people (an http(s) URL). */
  resourceDocumentation?: string;
}

/** The RFC 9728 §2 document, as served. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: readonly string[];
  scopes_supported?: readonly string[];
  bearer_methods_supported: readonly ['header'];
  resource_name?: string;
  resource_documentation?: string;
}

/** The options checked, in their one spelling, with what is derived from them once. */
export interface ProtectedResource {
  /** The resource's canonical spelling: what Latchkey compares a token's audiences with. */
  readonly resource: string;
  /** Where its metadata is (RFC 9728 §3.1), named in every challenge. */
  readonly metadataUrl: string;
  /** The route that serves it: `/.well-known/oauth-protected-resource` and the resource's path. */
  readonly metadataPath: string;
  readonly metadata: Readonly<ProtectedResourceMetadata>;
}

/** What a framework answers at `path`: the metadata to a GET, the CORS preflight to an OPTIONS. */
export interface ResourceMetadataAnswer {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The document's JSON text, serialized once. */
  readonly body: string;
  readonly preflightHeaders: Readonly<Record<string, string>>;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';
/** Unreserved characters alone: a path no router reads as a parameter, a wildcard or an escape. */
const ROUTE_PATH = /^(\/[A-Za-z0-9._~-]*)*$/;
const MAX_NAME_LENGTH = 200;

const failed = (field: string, problem: string) =>
  new TypeError(`protectedResource.${field} ${problem}`);

/** `text` as an absolute URL, when it is one written in printable ASCII alone. */
function urlOf(text: unknown): URL | null {
  if (typeof text !== 'string' || /[^\x21-\x7e]/.test(text) || !URL.canParse(text)) return null;
  return new URL(text);
}

/** https, or http on loopback, with no query, fragment or user: as an issuer is (RFC 8414 §2). */
function isIssuerUrl(text: unknown): boolean {
  const url = urlOf(text);
  return (
    url !== null &&
    isSecureOrLoopback(url) &&
    !/[?#]/.test(text as string) &&
    url.username === '' &&
    url.password === ''
  );
}

function checkResource(text: unknown): URL {
  const canonical = canonicalResource(text);
  if (canonical === null) {
    throw failed(
      'resource',
      'must be an absolute https URI with no fragment or user information, at most 256 characters',
    );
  }
  const url = new URL(canonical);
  if (!isSecureOrLoopback(url)) {
    throw failed('resource', 'must be https (http only on 127.0.0.1, [::1] or localhost)');
  }
  if (url.search !== '' || (text as string).includes('?')) {
    throw failed('resource', 'must have no query: its metadata URL is made from its path');
  }
  if (!ROUTE_PATH.test(url.pathname)) {
    throw failed(
      'resource',
      "must have a path of letters, digits, '-', '.', '_', '~' and '/' alone: its metadata route is made from it",
    );
  }
  return url;
}

function metadataOf(
  options: ProtectedResourceOptions,
  resource: string,
): ProtectedResourceMetadata {
  const { authorizationServers, scopesSupported, resourceName, resourceDocumentation } = options;
  if (!Array.isArray(authorizationServers) || authorizationServers.length === 0) {
    throw failed('authorizationServers', 'must name at least one authorization server');
  }
  authorizationServers.forEach((server: unknown, i) => {
    if (!isIssuerUrl(server)) {
      throw failed(
        `authorizationServers[${i}]`,
        'must be an absolute https URL (http only on loopback) with no query, fragment or user information',
      );
    }
  });
  if (scopesSupported !== undefined) {
    checkScopeList(scopesSupported, 'protectedResource.scopesSupported');
  }
  if (
    resourceName !== undefined &&
    (typeof resourceName !== 'string' ||
      resourceName.length === 0 ||
      resourceName.length > MAX_NAME_LENGTH ||
      /\p{Cc}/u.test(resourceName))
  ) {
    throw failed('resourceName', `must be 1 to ${MAX_NAME_LENGTH} characters, none a control one`);
  }
  const documentation = resourceDocumentation === undefined ? null : urlOf(resourceDocumentation);
  if (resourceDocumentation !== undefined && !/^https?:$/.test(documentation?.protocol ?? '')) {
    throw failed('resourceDocumentation', 'must be an absolute http(s) URL');
  }
  // RFC 9728 §2: what is not said is left out, never null.
  return Object.freeze({
    resource,
    authorization_servers: Object.freeze(Array.from<string>(authorizationServers)),
    ...(scopesSupported && { scopes_supported: Object.freeze([...scopesSupported]) }),
    bearer_methods_supported: Object.freeze(['header'] as const),
    ...(resourceName !== undefined && { resource_name: resourceName }),
    ...(resourceDocumentation !== undefined && { resource_documentation: resourceDocumentation }),
  });
}

const checked = new WeakMap<ProtectedResourceOptions, ProtectedResource>();

/**
 * The options checked (a TypeError names the field at fault), once per options object: a
 * middleware, its metadata route and `insufficientScope` given the same object share the work.
 */
export function protectedResourceOf(options: ProtectedResourceOptions): ProtectedResource {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('protectedResource must be an object');
  }
  const known = checked.get(options);
  if (known !== undefined) return known;
  const url = checkResource(options.resource);
  const resource = canonicalResource(options.resource)!;
  // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
  const metadataPath = `${WELL_KNOWN}${url.pathname === '/' ? '' : url.pathname}`;
  const made: ProtectedResource = Object.freeze({
    resource,
    metadataUrl: `${url.origin}${metadataPath}`,
    metadataPath,
    metadata: metadataOf(options, resource),
  });
  checked.set(options, made);
  return made;
}

/** The metadata's answer, for a framework to serve (no token: a client reads it before it has one). */
export function resourceMetadataAnswer(options: ProtectedResourceOptions): ResourceMetadataAnswer {
  const { metadataPath, metadata } = protectedResourceOf(options);
  return Object.freeze({
    path: metadataPath,
    headers: Object.freeze({
      'content-type': 'application/json',
      'cache-control': 'public, max-age=3600',
      // A browser-based client reads it from another origin; it holds nothing private.
      'access-control-allow-origin': '*',
    }),
    body: JSON.stringify(metadata),
    // The MCP SDK sends MCP-Protocol-Version with its discovery, which a browser preflights.
    preflightHeaders: Object.freeze({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      'access-control-allow-headers': '*',
      'access-control-max-age': '86400',
    }),
  });
}

/**
 * A 401's challenge (RFC 9728 §5.1): where the metadata is, and the scopes the request needs
 * (left out when none). `error` only when a token was presented: RFC 6750 §3.1 says a request
 * that carried none gets no error code.
 */
export function unauthorizedChallenge(
  { metadataUrl }: ProtectedResource,
  scopes: readonly string[] | undefined,
  presented: boolean,
): string {
  const error = presented ? 'error="invalid_token", ' : '';
  const scope = scopes?.length ? `, scope="${scopes.join(' ')}"` : '';
  return `Bearer ${error}resource_metadata="${metadataUrl}"${scope}`;
}

/** A 403's challenge (RFC 6750 §3.1): the scopes needed (scope syntax: nothing to escape). */
export function insufficientScopeChallenge(
  resource: ProtectedResource | null,
  scopes: readonly string[] | undefined,
): string {
  const challenge = `Bearer error="insufficient_scope", scope="${scopes?.join(' ') ?? ''}"`;
  return resource === null
    ? challenge
    : `${challenge}, resource_metadata="${resource.metadataUrl}"`;
}

/**
 * The 403 `INSUFFICIENT_SCOPE` an app answers when a request needs `scopes` its token lacks,
 * with the challenge that names them and the metadata (RFC 6750 §3.1, RFC 9728 §5.1): what an
 * MCP server answers a `tools/call` whose tool needs more than the token allows, so its client
 * asks for them. Throws a TypeError for options or scopes that are not such.
 */
export function insufficientScope(
  protectedResource: ProtectedResourceOptions,
  scopes: readonly string[],
): LatchkeyRefusal {
  const resource = protectedResourceOf(protectedResource);
  checkScopeList(scopes, 'scopes');
  if (scopes.length === 0) throw new TypeError('scopes must name at least one scope');
  return refusal('INSUFFICIENT_SCOPE', {
    'www-authenticate': insufficientScopeChallenge(resource, scopes),
  });
}
