import { useMutation, useQuery } from '@tanstack/react-query';
import { bizKey } from '../../api/cache';
import { unwrap } from '../../api/call';
import type { components, LatchkeyClient } from '../../api/client';
import { useBusiness } from '../../session';

export type AuthorizationRequest = components['schemas']['AuthorizationRequestViewDto'];
export type Decision = components['schemas']['ConsentDecisionDto']['decision'];
export type AppRequest = components['schemas']['ConsentRequestViewDto'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The longest sealed request the server opens; a longer one is no request. */
const REQUEST_MAX = 8192;

/** What the authorization endpoint sent the browser with: `?business=<uuid>&request=<sealed>`. */
export interface AskedConsent {
  business: string;
  request: string;
}

/** The consent screen's query, or null when it carries no request the server could open. */
export function askedConsent(search: string): AskedConsent | null {
  const query = new URLSearchParams(search);
  const business = query.get('business');
  const request = query.get('request');
  if (!business || !UUID.test(business) || !request || request.length > REQUEST_MAX) return null;
  return { business, request };
}

const consentKey = (businessId: string, request: string) =>
  [...bizKey(businessId), 'authorization-request', request] as const;

const consentCalls = (api: LatchkeyClient) => ({
  describe: (request: string) =>
    unwrap(api.GET('/api/v1/authorization-requests', { params: { query: { request } } })),
  decide: (request: string, decision: Decision) =>
    unwrap(api.POST('/api/v1/authorization-requests/decision', { body: { request, decision } })),
  askApproval: (request: string, justification: string) =>
    unwrap(api.POST('/api/v1/connected-apps/requests', { body: { request, justification } })),
});

/** The request as the person is asked it. A refusal is final: it is not asked twice. */
export function useAuthorizationRequest(request: string) {
  const { api, business } = useBusiness();
  return useQuery({
    queryKey: consentKey(business.id, request),
    queryFn: () => consentCalls(api).describe(request),
    retry: false,
    staleTime: Infinity,
  });
}

/**
 * The person's answer, then the browser sent where the server says: the client's redirect URI
 * with a code or access_denied. Nothing is refetched, as the page is left.
 */
export function useDecision(request: string) {
  const { api } = useBusiness();
  return useMutation({
    mutationFn: (decision: Decision) => consentCalls(api).decide(request, decision),
    onSuccess: ({ redirect_to }) => window.location.assign(redirect_to),
  });
}

/**
 * The person's request to the business's approvers for the scopes Allow was refused
 * (403 APPROVAL_REQUIRED). Nothing is refetched: the answer is said on this page, and the
 * person starts again from the app once it is approved.
 */
export function useAskApproval(request: string) {
  const { api } = useBusiness();
  return useMutation({
    mutationFn: (justification: string) => consentCalls(api).askApproval(request, justification),
  });
}
