import type { Role } from '../../auth/roles';

/**
 * Who may do what to a machine identity's trust rules: the one table the routes and the service
 * ask. docs/security.md prints it (`npm run docs:policy`), and `test/federation/federation-rules.e2e-spec.ts`
 * runs every cell. A trust rule lets a workload obtain that machine's tokens without a secret, so
 * it is governed as issuing the machine's tokens is: by owners and admins whose token allows
 * `tokens:admin`, for machine identities of their business only.
 */
export const TRUST_RULE_ACTIONS = ['list', 'create', 'delete'] as const;
export type TrustRuleAction = (typeof TRUST_RULE_ACTIONS)[number];

/** The role and the scope every trust-rule route needs; a platform token has every role. */
export const TRUST_RULE_ROLE: Role = 'admin';
export const TRUST_RULE_SCOPE = 'tokens:admin';

export interface TrustRuleRule {
  /** The route, below `/api/v1`. */
  route: string;
  /** Refused to a token in its rotation grace period (403 `TOKEN_RETIRING`). */
  closedToRetiring: boolean;
  /** Refused to a token the exchange made (403 `TOKEN_FEDERATED`): a rule mints tokens. */
  closedToFederated: boolean;
}

const read = (route: string): TrustRuleRule => ({
  route,
  closedToRetiring: false,
  closedToFederated: false,
});
const write = (route: string): TrustRuleRule => ({
  route,
  closedToRetiring: true,
  closedToFederated: true,
});

/** The table. */
export const TRUST_RULE_POLICY: Record<TrustRuleAction, TrustRuleRule> = {
  list: read('GET /machine-identities/{identity_id}/trust-rules'),
  create: write('POST /machine-identities/{identity_id}/trust-rules'),
  delete: write('DELETE /machine-identities/{identity_id}/trust-rules/{rule_id}'),
};

/** Which ids are 404, printed under the table. */
export const TRUST_RULE_TARGETS =
  'An identity id that names no machine identity of the business (a person, a machine of ' +
  'another business, a deleted machine, nobody) is 404 `IDENTITY_NOT_FOUND`, and a rule id that ' +
  'names no rule of that machine is 404 `TRUST_RULE_NOT_FOUND`. A new rule may grant no scope ' +
  "beyond the calling token's (403 `SCOPE_ESCALATION`, after the body's 422 and the machine's " +
  '404, as for a token), and a member machine no admin scope (422 on `scopes`).';
