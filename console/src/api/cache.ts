import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useBusiness, useSession } from '../session';
import type { LatchkeyClient } from './client';

/**
 * The roots of every query key: what one business caches (`bizKey`), and what the platform
 * screens cache (`platformKey`). Each resource module builds its keys under one of them, so a
 * change invalidates its whole root: every list, count and name it may have touched.
 */
export const bizKey = (businessId: string) => ['biz', businessId] as const;
export const platformKey = ['platform'] as const;

/** Everything cached for the business open now is stale after a change. */
export function useInvalidateBusiness(): () => Promise<void> {
  const queryClient = useQueryClient();
  const { business } = useBusiness();
  return useCallback(
    () => queryClient.invalidateQueries({ queryKey: bizKey(business.id) }),
    [queryClient, business.id],
  );
}

/** Everything the platform screens cached is stale after a change. */
export function useInvalidatePlatform(): () => Promise<void> {
  const queryClient = useQueryClient();
  return useCallback(() => queryClient.invalidateQueries({ queryKey: platformKey }), [queryClient]);
}

/** What a screen does once a change has succeeded (a notice, a secret to show). */
export type OnDone<R, V> = (result: R, vars: V) => void;

/** A change to the business open now: its call, then everything cached for it refetched. */
export function useBusinessMutation<V, R>(
  call: (api: LatchkeyClient, vars: V) => Promise<R>,
  onDone?: OnDone<R, V>,
) {
  const { api } = useBusiness();
  const invalidate = useInvalidateBusiness();
  return useMutation({
    mutationFn: (vars: V) => call(api, vars),
    onSuccess: (result, vars) => {
      onDone?.(result, vars);
      void invalidate();
    },
  });
}

/** A change made with the platform token: its call, then every platform list refetched. */
export function usePlatformMutation<V, R>(
  call: (platform: LatchkeyClient, vars: V) => Promise<R>,
  onDone?: OnDone<R, V>,
) {
  const { platform } = useSession();
  const invalidate = useInvalidatePlatform();
  return useMutation({
    mutationFn: (vars: V) => call(platform, vars),
    onSuccess: (result, vars) => {
      onDone?.(result, vars);
      void invalidate();
    },
  });
}
