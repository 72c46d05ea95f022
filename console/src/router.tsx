import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** A tiny History API router for the paths under /admin (the server answers index.html for all). */
export const BASE = '/admin';
const EVENT = 'latchkey:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(EVENT, onChange);
  };
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
  window.scrollTo(0, 0);
}

export type Route =
  | { name: 'home' }
  | { name: 'tokens' }
  | { name: 'risky' }
  | { name: 'usage' }
  | { name: 'analytics' }
  | { name: 'token'; id: string }
  | { name: 'policy' }
  | { name: 'violations' }
  | { name: 'members' }
  | { name: 'roles' }
  | { name: 'signInSettings' }
  | { name: 'requests' }
  | { name: 'machines' }
  | { name: 'machine'; id: string }
  | { name: 'webhooks' }
  | { name: 'webhook'; id: string }
  | { name: 'streams' }
  | { name: 'audit' }
  | { name: 'consent' }
  | { name: 'connectedApps' }
  | { name: 'businesses' }
  | { name: 'admins' }
  | { name: 'platformTokens' }
  | { name: 'platformAudit' }
  | { name: 'platformAnalytics' }
  | { name: 'notFound' };

/** The route of a path: `/admin/tokens/<id>`, `/admin/platform/audit`, … */
export function routeOf(pathname: string): Route {
  if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return { name: 'notFound' };
  const parts = pathname
    .slice(BASE.length)
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const [a, b, c] = parts;
  if (parts.length === 0) return { name: 'home' };
  if (a === 'tokens' && !b) return { name: 'tokens' };
  if (a === 'tokens' && b === 'risky' && !c) return { name: 'risky' };
  if (a === 'usage' && !b) return { name: 'usage' };
  if (a === 'analytics' && !b) return { name: 'analytics' };
  if (a === 'tokens' && b && !c) return { name: 'token', id: b };
  if (a === 'token-policy' && !b) return { name: 'policy' };
  if (a === 'token-policy' && b === 'violations' && !c) return { name: 'violations' };
  if (a === 'members' && !b) return { name: 'members' };
  if (a === 'roles' && !b) return { name: 'roles' };
  if (a === 'sign-in-settings' && !b) return { name: 'signInSettings' };
  if (a === 'requests' && !b) return { name: 'requests' };
  if (a === 'machines' && !b) return { name: 'machines' };
  if (a === 'machines' && b && !c) return { name: 'machine', id: b };
  if (a === 'webhooks' && !b) return { name: 'webhooks' };
  if (a === 'webhooks' && b && !c) return { name: 'webhook', id: b };
  if (a === 'streams' && !b) return { name: 'streams' };
  if (a === 'audit' && !b) return { name: 'audit' };
  if (a === 'consent' && !b) return { name: 'consent' };
  if (a === 'connected-apps' && !b) return { name: 'connectedApps' };
  if (a === 'platform' && !c) {
    if (b === 'businesses') return { name: 'businesses' };
    if (b === 'admins') return { name: 'admins' };
    if (b === 'tokens') return { name: 'platformTokens' };
    if (b === 'audit') return { name: 'platformAudit' };
    if (b === 'analytics') return { name: 'platformAnalytics' };
  }
  return { name: 'notFound' };
}

export const paths = {
  home: `${BASE}/`,
  tokens: `${BASE}/tokens`,
  risky: `${BASE}/tokens/risky`,
  usage: `${BASE}/usage`,
  analytics: `${BASE}/analytics`,
  token: (id: string) => `${BASE}/tokens/${encodeURIComponent(id)}`,
  policy: `${BASE}/token-policy`,
  violations: `${BASE}/token-policy/violations`,
  members: `${BASE}/members`,
  roles: `${BASE}/roles`,
  signInSettings: `${BASE}/sign-in-settings`,
  requests: `${BASE}/requests`,
  machines: `${BASE}/machines`,
  machine: (id: string) => `${BASE}/machines/${encodeURIComponent(id)}`,
  webhooks: `${BASE}/webhooks`,
  webhook: (id: string) => `${BASE}/webhooks/${encodeURIComponent(id)}`,
  streams: `${BASE}/streams`,
  audit: `${BASE}/audit`,
  consent: `${BASE}/consent`,
  connectedApps: `${BASE}/connected-apps`,
  businesses: `${BASE}/platform/businesses`,
  admins: `${BASE}/platform/admins`,
  platformTokens: `${BASE}/platform/tokens`,
  platformAudit: `${BASE}/platform/audit`,
  platformAnalytics: `${BASE}/platform/analytics`,
} as const;

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** A real link (Tab, Enter, open in a new tab), that navigates in place on a plain click. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
      return;
    }
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
