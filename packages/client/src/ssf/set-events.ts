/** RFC 8935 §2.4: why a receiver refused a push. */
export type SsfErrorCode =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'
  | 'access_denied';

const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whose tokens a verified SET calls to be checked again: the holder (`user`) in the business
 * (`tenant`) of its RFC 9493 complex subject, for a CAEP credential-change of any kind (a
 * revocation, a pause or resumption, a narrowing, a rotation's successor). Null for any other
 * event (the stream's verification event), or a subject not of that shape.
 */
export function holderOf(
  claims: Record<string, unknown>,
): { businessId: string; identityId: string } | null {
  const events = claims.events;
  if (typeof events !== 'object' || events === null || !(CREDENTIAL_CHANGE in events)) return null;
  const subject = claims.sub_id as Record<string, { id?: unknown } | undefined> | undefined;
  if (typeof subject !== 'object' || subject === null) return null;
  const businessId = subject.tenant?.id;
  const identityId = subject.user?.id;
  if (typeof businessId !== 'string' || !UUID.test(businessId)) return null;
  if (typeof identityId !== 'string' || !UUID.test(identityId)) return null;
  return { businessId, identityId };
}
