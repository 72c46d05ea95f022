import type { JwtSigner } from '../../signing/jwt-signer';

/** RFC 8417 §2.3's `typ`, and RFC 8935 §2's media type of a pushed SET. */
export const SET_TYP = 'secevent+jwt';
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

/**
 * A stream's `aud`: its id as a URN. It stays the same when the receiver moves its endpoint, and
 * says nothing of the receiver's URL, whose path or query may hold a credential of its own.
 */
export const streamAudience = (streamId: string) => `urn:latchkey:ssf:stream:${streamId}`;

/**
 * The SET one attempt pushes: the claims the outbox stored (iat, sub_id, events, txn) with the
 * sending server's issuer, the message id as `jti` and the stream's audience, signed with the
 * installation's JWT key. The issuer is the sender's, so a SET a CLI run queued names the same
 * issuer as the server's discovery document. Every attempt of a message carries the same `jti`,
 * so a receiver drops a repeat (RFC 8935 §2).
 */
export function securityEventToken(
  signer: JwtSigner,
  issuer: string,
  messageId: string,
  streamId: string,
  storedClaims: string,
): Promise<string> {
  const claims = JSON.parse(storedClaims) as Record<string, unknown>;
  return signer.sign(
    { typ: SET_TYP },
    { iss: issuer, ...claims, jti: messageId, aud: streamAudience(streamId) },
  );
}
