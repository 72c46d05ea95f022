import { paths } from './router';

/**
 * Where the signed-in token lives: sessionStorage (this tab, until it closes), or localStorage
 * when "Remember on this device" was ticked. The business a platform token opened lives beside it.
 */
const TOKEN = 'latchkey.token';
const BUSINESS = 'latchkey.business';
/** Set when the token is a session SSO made (in that business): signing out revokes it. */
const SSO_BUSINESS = 'latchkey.sso-business';

export interface StoredBusiness {
  id: string;
  name: string;
  status: 'active' | 'suspended';
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback; // storage off (privacy mode): the session lasts as long as the page
  }
}

function store(): Storage {
  return safe(
    () => (localStorage.getItem(TOKEN) !== null ? localStorage : sessionStorage),
    sessionStorage,
  );
}

export function loadToken(): string | null {
  return safe(() => sessionStorage.getItem(TOKEN) ?? localStorage.getItem(TOKEN), null);
}

export function saveToken(token: string, remember: boolean): void {
  safe(() => {
    clearSession();
    (remember ? localStorage : sessionStorage).setItem(TOKEN, token);
  }, undefined);
}

export function clearSession(): void {
  safe(() => {
    for (const s of [sessionStorage, localStorage]) {
      s.removeItem(TOKEN);
      s.removeItem(BUSINESS);
      s.removeItem(SSO_BUSINESS);
    }
  }, undefined);
}

export function loadBusiness(): StoredBusiness | null {
  return safe(() => {
    const raw = store().getItem(BUSINESS);
    if (!raw) return null;
    const b = JSON.parse(raw) as Partial<StoredBusiness>;
    return typeof b.id === 'string' && typeof b.name === 'string'
      ? { id: b.id, name: b.name, status: b.status === 'suspended' ? 'suspended' : 'active' }
      : null;
  }, null);
}

export function saveBusiness(business: StoredBusiness | null): void {
  safe(() => {
    const s = store();
    if (business) s.setItem(BUSINESS, JSON.stringify(business));
    else s.removeItem(BUSINESS);
  }, undefined);
}

/** Marks the signed-in token as a session SSO made in `businessId`. */
export function saveSsoBusiness(businessId: string): void {
  safe(() => store().setItem(SSO_BUSINESS, businessId), undefined);
}

/** The business of the SSO session signed in, if the token is one. */
export function loadSsoBusiness(): string | null {
  return safe(() => store().getItem(SSO_BUSINESS), null);
}

/**
 * The consent screen's whole address, kept while single sign-on leaves the page: the identity
 * provider's return (`return_to`) carries a path alone, and the screen needs its query. In this
 * tab only; clearSession leaves it, as a sign-in clears the session before it is read.
 */
const RETURN_TO = 'latchkey.return-to';
const CONSENT_ADDRESS = /^\/admin\/consent\?[A-Za-z0-9._~%&=+-]{1,10000}$/;

/**
 * `address` when it is this origin's consent screen with its query, else null: a stored value a
 * script or another page wrote can send the browser nowhere else (no open redirect).
 */
function consentAddress(address: string | null): string | null {
  if (address === null || !CONSENT_ADDRESS.test(address)) return null;
  try {
    const url = new URL(address, window.location.origin);
    return url.origin === window.location.origin && url.pathname === paths.consent
      ? `${url.pathname}${url.search}`
      : null;
  } catch {
    return null;
  }
}

export function saveConsentReturn(address: string): void {
  const valid = consentAddress(address);
  if (valid) safe(() => sessionStorage.setItem(RETURN_TO, valid), undefined);
}

/** The consent address kept before sign-in, once: it is removed as it is read. */
export function takeConsentReturn(): string | null {
  return safe(() => {
    const kept = sessionStorage.getItem(RETURN_TO);
    sessionStorage.removeItem(RETURN_TO);
    return consentAddress(kept);
  }, null);
}
