import { Injectable, Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { custom, generators, Issuer, type BaseClient } from 'openid-client';
import { AppConfig } from '../config/app-config';
import { ConfigValidationError } from '../config/load-config';
import { publicBaseUrl } from '../config/sections/features/status-list-config';
import { SsoError } from './sso-error';

/** How long the provider has to answer each call: a silent one fails the sign-in, not the API. */
const PROVIDER_TIMEOUT_MS = 5_000;
/** The most groups a sign-in reads, and the longest group name (bytes) it considers. */
const MAX_GROUPS = 200;
const MAX_GROUP_BYTES = 256;

/** Claims as the provider sent them: nothing in them is trusted until checked. */
type Claims = Record<string, unknown>;

/** What the provider vouched for: the person, and the groups it lists them in. */
export interface Vouched {
  email: string;
  emailVerified: boolean;
  groups: string[];
}

/** What a sign-in's start keeps, to check the provider's answer by. */
export interface SignInChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * The installation's OpenID Connect provider, through openid-client: the authorization code flow
 * with PKCE (S256), a nonce and a state. openid-client checks the ID token's signature against the
 * provider's keys, its issuer, audience, expiry and nonce, and the `iss` of the answer (RFC 9207)
 * when the provider sends one. Discovery is read at first use, and again after a failure.
 */
@Injectable()
export class IdentityProvider {
  private readonly logger = new Logger(IdentityProvider.name);
  private readonly secret: string | null;
  private found: Promise<BaseClient> | null = null;
  readonly redirectUri: string;

  constructor(private readonly config: AppConfig) {
    this.redirectUri = `${publicBaseUrl(config)}/auth/sso/callback`;
    this.secret = config.OIDC_CLIENT_SECRET_FILE
      ? readSecret(config.OIDC_CLIENT_SECRET_FILE)
      : null;
  }

  get configured(): boolean {
    return this.config.OIDC_ISSUER !== undefined && this.secret !== null;
  }

  get issuer(): string | null {
    return this.config.OIDC_ISSUER ?? null;
  }

  /** Fresh checks for a new sign-in. */
  newChecks(): SignInChecks {
    return {
      state: generators.state(32),
      nonce: generators.nonce(32),
      codeVerifier: generators.codeVerifier(32),
    };
  }

  /** Where to send the browser to sign in. */
  async authorizationUrl(checks: SignInChecks): Promise<string> {
    const client = await this.client();
    return client.authorizationUrl({
      scope: this.config.OIDC_SCOPES,
      redirect_uri: this.redirectUri,
      response_type: 'code',
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: generators.codeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /**
   * Exchanges the callback's code and checks what comes back; the claims a provider keeps out of
   * the ID token (many send email and groups from userinfo alone) are read from userinfo, whose
   * `sub` openid-client holds to the ID token's. Any failed check is SSO_PROVIDER_REJECTED.
   */
  async vouch(callbackUrl: string, checks: SignInChecks): Promise<Vouched> {
    const client = await this.client();
    try {
      const params = client.callbackParams(callbackUrl);
      const tokens = await client.callback(this.redirectUri, params, {
        state: checks.state,
        nonce: checks.nonce,
        code_verifier: checks.codeVerifier,
        response_type: 'code',
      });
      let claims: Claims = tokens.claims();
      const claim = this.config.OIDC_GROUPS_CLAIM;
      if ((claims.email === undefined || claims[claim] === undefined) && tokens.access_token) {
        claims = { ...(await client.userinfo(tokens)), ...claims };
      }
      return vouched(claims, claim);
    } catch (e) {
      if (e instanceof SsoError) throw e;
      // The error's name and the provider's error code only: its message may quote a token.
      const code = (e as { error?: unknown }).error;
      this.logger.warn(
        `sign-in refused: ${(e as Error).name}${typeof code === 'string' ? ` ${code.slice(0, 40)}` : ''}`,
      );
      throw new SsoError('SSO_PROVIDER_REJECTED');
    }
  }

  private client(): Promise<BaseClient> {
    if (!this.configured) return Promise.reject(new SsoError('SSO_NOT_CONFIGURED'));
    this.found ??= this.discover().catch((e: unknown) => {
      this.found = null;
      this.logger.warn(`identity provider discovery failed: ${(e as Error).name}`);
      throw new SsoError('SSO_PROVIDER_UNAVAILABLE');
    });
    return this.found;
  }

  private async discover(): Promise<BaseClient> {
    Issuer[custom.http_options] = (_url, options) => ({ ...options, timeout: PROVIDER_TIMEOUT_MS });
    const issuer = await Issuer.discover(this.config.OIDC_ISSUER ?? '');
    const client = new issuer.Client({
      client_id: this.config.OIDC_CLIENT_ID ?? '',
      client_secret: this.secret ?? '',
      redirect_uris: [this.redirectUri],
      response_types: ['code'],
    });
    client[custom.http_options] = (_url, options) => ({ ...options, timeout: PROVIDER_TIMEOUT_MS });
    client[custom.clock_tolerance] = 5;
    return client;
  }
}

/** The person and groups in `claims`, bounded: a provider's list is read, never trusted whole. */
export function vouched(claims: Claims, groupsClaim: string): Vouched {
  const email = claims.email;
  if (
    typeof email !== 'string' ||
    email.length > 254 ||
    !/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u.test(email)
  ) {
    throw new SsoError('SSO_PROVIDER_REJECTED', 'The provider sent no usable email address');
  }
  const raw = claims[groupsClaim];
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  const groups = list
    .slice(0, MAX_GROUPS)
    .filter((g): g is string => typeof g === 'string' && g.length > 0)
    .filter((g) => Buffer.byteLength(g) <= MAX_GROUP_BYTES);
  return { email: email.toLowerCase(), emailVerified: claims.email_verified === true, groups };
}

/**
 * The client secret from OIDC_CLIENT_SECRET_FILE (null without one). A start checks it before
 * anything is built (`requireInstallationKeys`), so a file that cannot be read fails as a bad
 * variable does.
 */
export function readClientSecret(
  config: Pick<AppConfig, 'OIDC_CLIENT_SECRET_FILE'>,
): string | null {
  return config.OIDC_CLIENT_SECRET_FILE ? readSecret(config.OIDC_CLIENT_SECRET_FILE) : null;
}

function readSecret(path: string): string {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text.length > 0) return text;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigValidationError([`OIDC_CLIENT_SECRET_FILE: cannot read ${path} (${code})`]);
  }
  throw new ConfigValidationError([`OIDC_CLIENT_SECRET_FILE: ${path} is empty`]);
}
