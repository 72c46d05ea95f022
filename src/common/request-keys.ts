/**
 * Where the guards keep the request context on the request. Here, below every feature, so that
 * what reads it (the rate limits) need not import the auth module that writes it.
 */
export const CONTEXT_KEY = 'latchkeyContext';

/** What any reader may rely on in the request context: the calling token's id. */
export interface CallingTokenView {
  actor: { id: string };
  token: { id: string };
}
