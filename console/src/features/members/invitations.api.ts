import { useBusiness } from '../../session';
import { bizKey, useBusinessMutation, type OnDone } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { components, LatchkeyClient } from '../../api/client';
import { useWholeList } from '../../api/pages';

export type Invitation = components['schemas']['InvitationViewDto'];
export type NewInvitation = components['schemas']['CreateInvitationDto'];

const path = (id: string) => ({ params: { path: { invitation_id: id } } });

/** The business's invitation routes, typed. */
export const invitationCalls = (api: LatchkeyClient) => ({
  page: (cursor: string | undefined, limit: number) =>
    unwrap(api.GET('/api/v1/invitations', { params: { query: { limit, cursor } } })),
  create: (body: NewInvitation) => unwrap(api.POST('/api/v1/invitations', { body })),
  resend: (id: string) => unwrap(api.POST('/api/v1/invitations/{invitation_id}/resend', path(id))),
  revoke: (id: string) => unwrap(api.DELETE('/api/v1/invitations/{invitation_id}', path(id))),
});

/** The open invitations (pending, send_failed, expired and not replaced), oldest first. */
export function useInvitations(enabled = true) {
  const { api, business } = useBusiness();
  return useWholeList([...bizKey(business.id), 'invitations'], invitationCalls(api).page, enabled);
}

export const useInvite = (onDone?: OnDone<Invitation, NewInvitation>) =>
  useBusinessMutation((api, body: NewInvitation) => invitationCalls(api).create(body), onDone);
export const useResendInvitation = (onDone?: OnDone<Invitation, Invitation>) =>
  useBusinessMutation((api, i: Invitation) => invitationCalls(api).resend(i.id), onDone);
export const useRevokeInvitation = (onDone?: OnDone<Invitation, Invitation>) =>
  useBusinessMutation((api, i: Invitation) => invitationCalls(api).revoke(i.id), onDone);
