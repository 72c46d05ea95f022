import { asApiError } from '../../api/errors';

export const EXPIRED = 'This request has expired or is not valid; start again from the app';

/** What a refusal of the consent API means to the person, above the API's own message. */
export function refusalTitle(error: unknown): string {
  const e = asApiError(error);
  // A request the API could not read (422) was changed on the way: to the person, not valid.
  if (e.status === 404 || e.code === 'VALIDATION_ERROR') return EXPIRED;
  return (e.code && REFUSALS[e.code]) ?? 'The request could not be answered';
}

const REFUSALS: Record<string, string> = {
  CONSENT_BY_PERSON_ONLY:
    'Only a person may allow an app to act for them: sign in with your own token, not a machine’s or a platform admin’s',
  APPROVAL_NOT_REQUIRED:
    'Nothing this app asks for needs an approver now: start again from the app and allow it',
  CONSENT_REQUEST_LIMIT_REACHED:
    'You have as many requests waiting for approvers as are allowed: wait for their decisions',
  SCOPE_ESCALATION:
    'Your session cannot grant what this app asks for: sign in with a token whose scopes cover it, or ask an owner to widen your role',
};

/**
 * The scopes an Allow was refused for want of an approver (403 APPROVAL_REQUIRED), as its detail
 * names them; an empty list when it names none it can be read for; null for any other answer.
 */
export function approvalNeeded(error: unknown): string[] | null {
  if (error === null || error === undefined) return null;
  const e = asApiError(error);
  if (e.code !== 'APPROVAL_REQUIRED') return null;
  const named = typeof e.detail === 'string' ? /an approver for (.+?) \(/.exec(e.detail) : null;
  return named ? named[1].split(', ').filter(Boolean) : [];
}

/** The host a redirect URI returns to (`127.0.0.1:33418`), or the URI itself if it is no URL. */
export function hostOf(uri: string): string {
  try {
    return new URL(uri).host || uri;
  } catch {
    return uri;
  }
}

/** Only an https page may be a link: never javascript:, data: or plain http from a client. */
export function httpsUrl(uri: string | null): string | null {
  if (!uri) return null;
  try {
    return new URL(uri).protocol === 'https:' ? uri : null;
  } catch {
    return null;
  }
}
