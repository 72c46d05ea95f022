import { streamAudience } from '../../webhooks/signing/security-event-token';
import type { WebhookEndpoint } from '../../webhooks/endpoints/stream-endpoints.service';
import { PUSH_METHOD, type StreamConfigDto, type StreamStatusDto } from '../dto/ssf-stream.dto';
import { EVENTS_SUPPORTED, type StreamEventUri } from '../events/caep-events';

/** The shortest time between two verification events of one stream (SSF 1.0 §8.1.4). */
export const MIN_VERIFICATION_INTERVAL_SECONDS = 10;

/** What a stream is sent of what its receiver asked for: the supported ones (SSF 1.0 §8.1.1). */
export function deliveredOf(requested: readonly string[]): StreamEventUri[] {
  return EVENTS_SUPPORTED.filter((uri) => requested.includes(uri));
}

/** A stream's configuration as the SSF API answers it; its authorization header stays sealed. */
export function streamView(s: WebhookEndpoint, issuer: string): StreamConfigDto {
  const requested = s.eventsRequested ?? [];
  return {
    stream_id: s.id,
    iss: issuer,
    aud: streamAudience(s.id),
    events_supported: [...EVENTS_SUPPORTED],
    events_requested: requested,
    events_delivered: deliveredOf(requested),
    delivery: { method: PUSH_METHOD, endpoint_url: s.url },
    description: s.description,
    min_verification_interval: MIN_VERIFICATION_INTERVAL_SECONDS,
  };
}

/**
 * A stream's status: disabled by its receiver or by the worker (a 410, or days of failures),
 * paused by its receiver, or enabled. The reason is its receiver's, or the worker's cause.
 */
export function statusOf(s: WebhookEndpoint): StreamStatusDto {
  const status = s.disabledAt ? 'disabled' : s.pausedAt ? 'paused' : 'enabled';
  const reason =
    s.disabledAt && s.disabledReason !== 'requested' ? s.disabledReason : s.statusReason;
  return { stream_id: s.id, status, ...(reason ? { reason } : {}) };
}
