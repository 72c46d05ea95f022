import { scopesAllow } from '../../../../src/auth/scopes';

/**
 * What the Streams screen must agree with the transmitter on. The server declares these beside
 * Nest and class-validator code that has no place in the bundle, so they are spelled here, and
 * test/console/processes/console-streams.e2e-spec.ts holds each equal to the server's own.
 * No DOM here: that spec loads this file.
 */

/** The scope of the stream API (SSF_SCOPE of the streams controller). */
export const SSF_SCOPE = 'ssf:manage';

/** The most streams a business may have (MAX_STREAMS of SsfStreamsService). */
export const MAX_STREAMS = 5;

/** RFC 8935 push: the one delivery method offered. */
export const PUSH_METHOD = 'urn:ietf:rfc:8935';

export const CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';

/** The event types a stream may ask for (the server's EVENTS_SUPPORTED), each as it is shown. */
export const STREAM_EVENTS: readonly { uri: string; label: string; means: string }[] = [
  {
    uri: CREDENTIAL_CHANGE,
    label: 'Credential change',
    means: 'a token revoked, paused, resumed or rotated',
  },
];

/** An event type as the screen names it: its label, or the URI the server gave. */
export function eventLabel(uri: string): string {
  return STREAM_EVENTS.find((e) => e.uri === uri)?.label ?? uri;
}

/** Who is offered the screen: an owner or admin (or a platform token) whose token allows it. */
export function mayManageStreams(session: {
  caps: { admin: boolean };
  whoami: { token: { scopes: string[] | null } };
}): boolean {
  return session.caps.admin && scopesAllow(session.whoami.token.scopes, SSF_SCOPE);
}
