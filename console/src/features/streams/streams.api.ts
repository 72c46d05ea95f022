import { useQuery } from '@tanstack/react-query';
import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { body } from '../../api/call';
import type { components, LatchkeyClient } from '../../api/client';
import { ApiError, apiErrorOf, networkError } from '../../api/errors';
import type { WholeList } from '../../api/pages';
import { useBusiness } from '../../session';

type Schemas = components['schemas'];
export type StreamConfig = Schemas['StreamConfigDto'];
export type StreamStatus = Schemas['StreamStatusDto'];
export type StreamState = StreamStatus['status'];
export type NewStream = Schemas['StreamConfigInputDto'];
export type StatusChange = Schemas['UpdateStreamStatusDto'];

/** A stream as the screen lists it: its configuration, its status, and its place in the list. */
export interface StreamRow {
  config: StreamConfig;
  status: StreamStatus;
  /** Where the server listed it: oldest first. */
  position: number;
}

/** What asking for a verification event came to: queued, or refused as too soon after one. */
export type Verification = { queued: true } | { queued: false; retryAfter: number };

export const streamKeys = {
  all: (businessId: string) => [...bizKey(businessId), 'streams'] as const,
  list: (businessId: string) => [...streamKeys.all(businessId), 'list'] as const,
};

interface Answered {
  error?: unknown;
  response: Response;
}

/** An answer of any status; only a call that never reached the server throws. */
async function reached<R extends Answered>(request: Promise<R>): Promise<R> {
  try {
    return await request;
  } catch (cause) {
    throw networkError(cause);
  }
}

/** A 204 answer; anything else throws an ApiError. */
async function noContent(request: Promise<Answered>): Promise<void> {
  const { error, response } = await reached(request);
  if (!response.ok) throw apiErrorOf(error, response);
}

const one = (id: string) => ({ params: { query: { stream_id: id } } });

/** The stream management API (SSF 1.0), typed; its answers are raw JSON, not the envelope. */
export const streamCalls = (api: LatchkeyClient) => ({
  list: async (): Promise<StreamConfig[]> => {
    const answer = await body(api.GET('/ssf/v1/streams'));
    return Array.isArray(answer) ? answer : [answer];
  },
  status: (id: string) => body(api.GET('/ssf/v1/streams/status', one(id))),
  create: (stream: NewStream) => body(api.POST('/ssf/v1/streams', { body: stream })),
  setStatus: (change: StatusChange) => body(api.POST('/ssf/v1/streams/status', { body: change })),
  remove: (id: string) => noContent(api.DELETE('/ssf/v1/streams', one(id))),
  verify: async (config: StreamConfig): Promise<Verification> => {
    const verify = api.POST('/ssf/v1/streams/verify', { body: { stream_id: config.stream_id } });
    const { error, response } = await reached(verify);
    if (response.ok) return { queued: true };
    const refused = apiErrorOf(error, response);
    if (refused.code !== 'VERIFICATION_TOO_SOON') throw refused;
    const after = Number(response.headers.get('retry-after'));
    return { queued: false, retryAfter: after > 0 ? after : config.min_verification_interval };
  },
});

/**
 * Every stream of the business (at most MAX_STREAMS), each with its status. A stream deleted
 * between the two reads is left out rather than failing the list.
 */
async function readStreams(api: LatchkeyClient): Promise<WholeList<StreamRow>> {
  const calls = streamCalls(api);
  const configs = await calls.list();
  const rows = await Promise.all(
    configs.map(async (config, position) => {
      try {
        return { config, status: await calls.status(config.stream_id), position };
      } catch (e) {
        if (e instanceof ApiError && e.code === 'STREAM_NOT_FOUND') return null;
        throw e;
      }
    }),
  );
  return { items: rows.filter((r): r is StreamRow => r !== null), truncated: false };
}

export function useStreams() {
  const { api, business } = useBusiness();
  return useQuery({ queryKey: streamKeys.list(business.id), queryFn: () => readStreams(api) });
}

type Calls = ReturnType<typeof streamCalls>;
type Answer<K extends keyof Calls> = Awaited<ReturnType<Calls[K]>>;

export const useCreateStream = (onDone?: OnDone<Answer<'create'>, NewStream>) =>
  useBusinessMutation((api, stream: NewStream) => streamCalls(api).create(stream), onDone);
export const useSetStreamStatus = (onDone?: OnDone<Answer<'setStatus'>, StatusChange>) =>
  useBusinessMutation((api, change: StatusChange) => streamCalls(api).setStatus(change), onDone);
export const useDeleteStream = (onDone?: OnDone<void, StreamRow>) =>
  useBusinessMutation((api, s: StreamRow) => streamCalls(api).remove(s.config.stream_id), onDone);
export const useVerifyStream = (onDone?: OnDone<Verification, StreamRow>) =>
  useBusinessMutation((api, s: StreamRow) => streamCalls(api).verify(s.config), onDone);
