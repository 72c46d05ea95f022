/**
 * What changed, after commit, so that every instance can evict what it cached about it. Never
 * a secret: tokens are named by their public jti.
 */
export type InvalidationMessage =
  | { type: 'token.changed'; business_id: string | null; jti: string }
  | { type: 'business.changed'; business_id: string }
  | { type: 'membership.changed'; business_id: string; identity_id: string };

export type InvalidationHandler = (message: InvalidationMessage) => void;

/**
 * A message as it travels between instances, flat on the wire (`{...message, origin, sent_at}`):
 * `origin` lets an instance skip its own echo, and `sent_at` (epoch milliseconds, optional, as
 * older instances do not send it) measures the delay from publish to eviction.
 */
export interface WireMessage {
  origin: string;
  message: InvalidationMessage;
  sentAt?: number;
}

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 64;

/**
 * Reads a message from the shared channel. Anything malformed is answered with null rather
 * than thrown: another deployment, or an older version, may share the channel.
 */
export function parseWireMessage(raw: string): WireMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  if (!isId(m.origin)) return null;
  const message = messageOf(m);
  if (!message) return null;
  const sentAt = typeof m.sent_at === 'number' && Number.isFinite(m.sent_at) ? m.sent_at : null;
  return sentAt === null ? { origin: m.origin, message } : { origin: m.origin, message, sentAt };
}

function messageOf(m: Record<string, unknown>): InvalidationMessage | null {
  switch (m.type) {
    case 'token.changed':
      if (!isId(m.jti) || !(m.business_id === null || isId(m.business_id))) return null;
      return { type: m.type, business_id: m.business_id, jti: m.jti };
    case 'business.changed':
      if (!isId(m.business_id)) return null;
      return { type: m.type, business_id: m.business_id };
    case 'membership.changed':
      if (!isId(m.business_id) || !isId(m.identity_id)) return null;
      return { type: m.type, business_id: m.business_id, identity_id: m.identity_id };
    default:
      return null;
  }
}
