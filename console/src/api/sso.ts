import { paths } from '../router';
import { saveConsentReturn, takeConsentReturn } from '../storage';
import { rawJson } from './client';
import type { components } from './client';

export type SsoStatus = components['schemas']['SsoStatusDto'];
export type SsoSession = components['schemas']['SsoSessionDto'];

/** Whether this installation signs in through an identity provider. */
export const fetchSsoStatus = () => rawJson<SsoStatus>('/auth/sso', null);

/** A business the sign-in may choose: one the person's groups reach (`POST /auth/sso/businesses`). */
export interface SsoChoice {
  business_id: string;
  name: string;
  role: 'owner' | 'admin' | 'member';
  status: 'active' | 'suspended';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Sends the browser to the identity provider, to come back to `/admin/sso`. It names no
 * business, so the groups the provider vouches for say where the person may go; but from the
 * consent screen it names the request's business, as only a person of that business may answer.
 */
export function startSso(): void {
  const query = new URLSearchParams();
  const path = window.location.pathname;
  if (path === paths.consent) {
    // return_to is a path alone: the request in the query waits in this tab (ssoLanding).
    saveConsentReturn(`${path}${window.location.search}`);
    const business = new URLSearchParams(window.location.search).get('business');
    if (business && UUID.test(business)) query.set('business_id', business);
    query.set('return_to', path);
  } else if (/^\/admin(\/[A-Za-z0-9_~-]+)*\/?$/.test(path) && path !== '/admin/sso') {
    query.set('return_to', path);
  }
  window.location.assign(`/auth/sso/start?${query.toString()}`);
}

/** Where a collected sign-in opens: its return_to, and the consent screen with its query. */
export function ssoLanding(returnTo: string | null | undefined): string {
  if (returnTo === paths.consent) return takeConsentReturn() ?? '/admin';
  return returnTo ?? '/admin';
}

/** The businesses a sign-in whose groups reach several may choose from (its hand-off, its cookie). */
export const fetchSsoChoices = (handoff: string) =>
  rawJson<{ items: SsoChoice[] }>('/auth/sso/businesses', null, {
    method: 'POST',
    body: { handoff },
  }).then((page) => page.items);

/** Exchanges the sign-in's one-time hand-off (and the business chosen) for the session, once. */
export const collectSsoSession = (handoff: string, businessId?: string) =>
  rawJson<SsoSession>('/auth/sso/session', null, {
    method: 'POST',
    body: businessId ? { handoff, business_id: businessId } : { handoff },
  });

/** Revokes an SSO session as its holder signs out; a failure leaves it to expire. */
export function endSsoSession(token: string, businessId: string): void {
  rawJson(
    '/api/v1/tokens/self/revoke',
    { token, businessId },
    {
      method: 'POST',
      body: { reason: 'signed out of the console' },
    },
  ).catch(() => undefined);
}

/**
 * What a sign-in's return carries after `#`: a hand-off to collect, one to choose a business
 * with first, or why it was refused.
 */
export function ssoReturn(): {
  handoff: string | null;
  choose: string | null;
  error: string | null;
} | null {
  if (window.location.pathname !== '/admin/sso') return null;
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  return {
    handoff: fragment.get('handoff'),
    choose: fragment.get('choose'),
    error: fragment.get('error'),
  };
}

/** Why a sign-in was refused, as a person reads it; the code names it for support. */
export const SSO_REFUSALS: Record<string, string> = {
  SSO_NO_ROLE:
    'Your identity provider signed you in, but none of your groups has a role in this business. Ask an owner to map one of your groups.',
  SSO_CHOOSE_BUSINESS: 'Your groups give you a role in several businesses: choose one of them.',
  SSO_BUSINESS_SUSPENDED:
    'This business is suspended: no one signs in to it until a platform admin resumes it.',
  SSO_EMAIL_UNVERIFIED: 'Your identity provider does not say your email address is verified.',
  SSO_STATE_INVALID:
    'This sign-in is not valid (used already, or begun in another browser). Sign in again.',
  SSO_EXPIRED: 'This sign-in took too long. Sign in again.',
  SSO_PROVIDER_REJECTED: 'The identity provider did not vouch for this sign-in. Sign in again.',
  SSO_PROVIDER_UNAVAILABLE: 'The identity provider could not be reached. Try again shortly.',
  SSO_NOT_CONFIGURED: 'This installation has no identity provider.',
};
