import { publicBaseUrl } from '../config/sections/features/status-list-config';

/**
 * Each business is an authorization server of its own, with its own issuer (RFC 8414 §2): a
 * client that talks to two businesses, or to another server, tells their answers apart by `iss`
 * (RFC 9207), and a resource's metadata names the one business that issues its tokens.
 */
export const ISSUER_PATH = 'oauth2/businesses';

export function issuerOf(config: { PUBLIC_BASE_URL?: string; PORT: number }, businessId: string) {
  return `${publicBaseUrl(config)}/${ISSUER_PATH}/${businessId}`;
}

/** Where RFC 8414 §3.1 puts an issuer's metadata: the well-known segment before its path. */
export function metadataUrlOf(config: { PUBLIC_BASE_URL?: string; PORT: number }, id: string) {
  return `${publicBaseUrl(config)}/.well-known/oauth-authorization-server/${ISSUER_PATH}/${id}`;
}
