import { useQuery } from '@tanstack/react-query';
import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { components } from '../../api/client';
import { useBusiness } from '../../session';
import { fetchSsoStatus } from '../../api/sso';

export type SignInSetting = components['schemas']['SsoSettingsDto'];

const settingKey = (businessId: string) => [...bizKey(businessId), 'sso-settings'] as const;

/** Whether the business's people may sign in to the console with a token (owners and admins). */
export function useSignInSetting() {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: settingKey(business.id),
    queryFn: () => unwrap(api.GET('/api/v1/sso/settings')),
  });
}

/** Whether this installation signs in through an identity provider. */
export const useSsoStatus = () =>
  useQuery({ queryKey: ['sso-status'], queryFn: fetchSsoStatus, retry: false });

/** Turns token sign-in on or off (owners; off only from an SSO session). */
export const useSetSignInSetting = (onDone?: OnDone<SignInSetting, SignInSetting>) =>
  useBusinessMutation(
    (api, body: SignInSetting) => unwrap(api.PUT('/api/v1/sso/settings', { body })),
    onDone,
  );
