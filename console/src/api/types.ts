import type { components } from './client';

type Schemas = components['schemas'];
export type TokenView = Schemas['TokenViewDto'];
/**
 * What the console's token tables show of each token, and all a list asks for (`fields`): the
 * server reads a page of these from the columns they need alone.
 */
export const TOKEN_ROW_FIELDS = [
  'name',
  'preview',
  'status',
  'identity_id',
  'business_id',
  'scopes',
  'last_used_at',
  'expires_at',
  'created_at',
  'dpop_jkt',
  'audiences',
  'disabled_at',
  'rotated_to_id',
] as const satisfies readonly (keyof TokenView)[];
/** A token as a list answers it with `TOKEN_ROW_FIELDS`: those fields and its id. */
export type TokenRow = Pick<TokenView, 'id' | (typeof TOKEN_ROW_FIELDS)[number]>;
export type IssuedToken = Schemas['IssuedTokenDto'];
export type RiskyToken = Schemas['RiskyTokenDto'];
export type TokenUsage = Schemas['TokenUsageDto'];
export type Business = Schemas['BusinessViewDto'];
export type Member = Schemas['MemberViewDto'];
export type Machine = Schemas['MachineIdentityViewDto'];
export type TrustRule = Schemas['TrustRuleViewDto'];
export type NewTrustRule = Schemas['CreateTrustRuleDto'];
export type PlatformAdmin = Schemas['PlatformAdminViewDto'];
export type AuditEvent = Schemas['AuditEventDto'];
export type ChainVerdict = Schemas['ChainVerdictDto'];
export type Webhook = Schemas['WebhookViewDto'];
export type WebhookAttempt = Schemas['WebhookAttemptDto'];
export type WebhookEventType = Schemas['WebhookEventTypeChoice'];
export type TokenPolicy = Schemas['BusinessPolicyViewDto'];
export type NewTokenPolicy = Schemas['PutBusinessPolicyDto'];
export type PolicyViolation = Schemas['PolicyViolationDto'];
export type TokenEdit = Schemas['UpdateTokenDto'];
export type Role = 'owner' | 'admin' | 'member';

/** A keyset page, as every list answers it. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** GET /api/v1/whoami: the identity, the token's view, and the businesses it acts in. */
export type Whoami = Schemas['WhoamiViewDto'];

/** What a removal that cascades answers besides its view: how many tokens it revoked. */
export interface RevokedCount {
  revoked_tokens: number;
}
