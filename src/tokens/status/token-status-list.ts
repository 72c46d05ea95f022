import { StatusList } from '@sd-jwt/jwt-status-list';
import type { ListedToken } from '../store/repositories/status-lists.repository';

/**
 * Token Status Lists (draft-ietf-oauth-status-list-21): each token has a place in a list of its
 * business, and the 2 bits there say whether it is valid. A relying party fetches the list once
 * per `ttl` and checks any number of tokens against it, without saying which it checks.
 */

/** Bits per token: valid, invalid and suspended need two (the draft's 0x00, 0x01, 0x02). */
export const STATUS_BITS = 2;

/** The draft's status types (section 7.1). */
export const TOKEN_STATUS = { valid: 0x00, invalid: 0x01, suspended: 0x02 } as const;

/** The media types of a list: the signed JWT (the default) and the bare JSON (section 5.1). */
export const STATUS_LIST_JWT = 'application/statuslist+jwt';
export const STATUS_LIST_JSON = 'application/statuslist+json';

/**
 * A token's status: invalid once revoked or expired (for good), suspended while paused or while
 * its business is suspended (it speaks again after), valid otherwise.
 */
export function statusOf(token: ListedToken, businessSuspended: boolean): number {
  if (token.revoked || token.expired) return TOKEN_STATUS.invalid;
  if (token.disabled || businessSuspended) return TOKEN_STATUS.suspended;
  return TOKEN_STATUS.valid;
}

/** The list's `status_list` member: its bits, and the compressed array (`lst`, section 4.1). */
export function encodeStatusList(
  capacity: number,
  tokens: readonly ListedToken[],
  businessSuspended: boolean,
): { bits: 2; lst: string } {
  const list = new StatusList(new Array<number>(capacity).fill(TOKEN_STATUS.valid), STATUS_BITS);
  for (const token of tokens) {
    if (token.index >= 0 && token.index < capacity) {
      list.setStatus(token.index, statusOf(token, businessSuspended));
    }
  }
  return { bits: STATUS_BITS, lst: list.compressStatusList() };
}

/**
 * The form `Accept` asks for (RFC 9110, section 12.5.1): the JSON when it is weighted above the
 * JWT, the JWT otherwise (when both weigh alike, when neither is named, or when nothing is).
 * A type's weight is its own range's, else `application/*`'s, else `*\/*`'s; `q=0` refuses it.
 */
export function listMediaType(
  accept: string | undefined,
): typeof STATUS_LIST_JWT | typeof STATUS_LIST_JSON {
  if (!accept) return STATUS_LIST_JWT;
  const weights = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (type && Number.isFinite(weight)) weights.set(type, Math.max(0, Math.min(1, weight)));
  }
  const weightOf = (type: string) =>
    weights.get(type) ?? weights.get('application/*') ?? weights.get('*/*') ?? 0;
  return weightOf(STATUS_LIST_JSON) > weightOf(STATUS_LIST_JWT)
    ? STATUS_LIST_JSON
    : STATUS_LIST_JWT;
}

/** A token's entry, as a token or an introspection answer names it (section 6.1). */
export interface StatusListReference {
  idx: number;
  uri: string;
}
