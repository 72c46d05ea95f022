import type { InvalidationMessage } from '../common/invalidations';

export type { InvalidationHandler, InvalidationMessage } from '../common/invalidations';

/**
 * What travels between instances: `origin` lets an instance skip its own echo, and `sent_at`
 * (epoch milliseconds, optional, as older instances do not send it) measures the delay from
 * publish to eviction. On the wire a single message is flat (`{...message, origin, sent_at}`,
 * what every version reads), and several published while the last send was under way go
 * together as `{origin, sent_at, messages: [...]}` (RevocationBus coalesces them).
 */
export interface WireMessage {
  origin: string;
  messages: InvalidationMessage[];
  sentAt?: number;
}

/** Messages one wire message may carry; a longer list is refused whole. */
export const MAX_WIRE_BATCH = 1_000;

/**
 * The largest payload the bus sends, in bytes: PostgreSQL refuses a NOTIFY payload of 8,000
 * bytes or more, and one limit keeps both transports alike.
 */
export const MAX_WIRE_BYTES = 7_000;

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 64;

/**
 * Reads a wire message from the shared channel. Anything malformed is answered with null rather
 * than thrown: another deployment, or an older version, may share the channel. In a batch, an
 * entry that is not a known message is dropped and the others kept.
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
  const messages = messagesOf(m);
  if (!messages) return null;
  const sentAt = typeof m.sent_at === 'number' && Number.isFinite(m.sent_at) ? m.sent_at : null;
  return sentAt === null ? { origin: m.origin, messages } : { origin: m.origin, messages, sentAt };
}

function messagesOf(m: Record<string, unknown>): InvalidationMessage[] | null {
  if (!('messages' in m)) {
    const single = messageOf(m);
    return single ? [single] : null;
  }
  if (!Array.isArray(m.messages) || m.messages.length > MAX_WIRE_BATCH) return null;
  const messages = m.messages
    .map((entry: unknown) =>
      typeof entry === 'object' && entry !== null
        ? messageOf(entry as Record<string, unknown>)
        : null,
    )
    .filter((entry): entry is InvalidationMessage => entry !== null);
  return messages.length > 0 ? messages : null;
}

/** One payload for the channel, and how many messages it carries. */
export interface WirePayload {
  text: string;
  count: number;
}

/**
 * The wire payloads that carry `messages`, in order, each at most MAX_WIRE_BYTES: one message
 * alone goes flat, so an instance of an older version still reads it.
 */
export function wirePayloads(
  origin: string,
  sentAt: number,
  messages: readonly InvalidationMessage[],
): WirePayload[] {
  if (messages.length === 1) {
    return [{ text: JSON.stringify({ ...messages[0], origin, sent_at: sentAt }), count: 1 }];
  }
  const head = JSON.stringify({ origin, sent_at: sentAt, messages: [] });
  const payloads: WirePayload[] = [];
  let chunk: string[] = [];
  let bytes = head.length;
  const flush = () => {
    if (chunk.length === 0) return;
    payloads.push({
      text:
        chunk.length === 1
          ? JSON.stringify({ ...(JSON.parse(chunk[0]) as object), origin, sent_at: sentAt })
          : `${head.slice(0, -3)}[${chunk.join(',')}]}`,
      count: chunk.length,
    });
    chunk = [];
    bytes = head.length;
  };
  for (const message of messages) {
    const text = JSON.stringify(message);
    if (
      chunk.length > 0 &&
      (bytes + text.length + 1 > MAX_WIRE_BYTES || chunk.length >= MAX_WIRE_BATCH)
    ) {
      flush();
    }
    chunk.push(text);
    bytes += text.length + 1;
  }
  flush();
  return payloads;
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
