import { OAuthError } from '../common/errors/oauth-error';
import { DomainError, type ValidationIssue } from '../common/errors/domain-error';
import type { ErrorTable } from '../common/errors/error-codes';
import type { PolicyBreach } from './business-policy';

/** The rules a business sets for its tokens. */
export const GOVERNANCE_ERRORS = {
  // A token that would break its business's token policy is not issued.
  POLICY_VIOLATION: {
    status: 422,
    message: "The token would break its business's token policy",
  },
  // A create the business marks as needing an approver: the token is asked for instead.
  APPROVAL_REQUIRED: {
    status: 403,
    message: 'This token needs approval: ask for it with POST /api/v1/token-requests',
  },
  // A business holds a bounded number of shared limits.
  LIMIT_COUNT_REACHED: {
    status: 409,
    message: 'The business already has as many shared limits as it may hold',
  },
  LIMIT_NOT_FOUND: {
    status: 404,
    message: 'The business has no shared limit of that name',
  },
  // A gateway check whose cost a credit balance (the identity's or the business's) cannot pay.
  CREDITS_EXHAUSTED: {
    status: 429,
    message: 'The credit balance cannot pay for this call',
  },
  CREDIT_ACCOUNT_NOT_FOUND: {
    status: 404,
    message: 'There is no such credit balance',
  },
} as const satisfies ErrorTable;

export type GovernanceErrorCode = keyof typeof GOVERNANCE_ERRORS;

export class GovernanceError extends DomainError<GovernanceErrorCode> {
  constructor(code: GovernanceErrorCode, detail?: string, headers?: Record<string, string>) {
    super(code, GOVERNANCE_ERRORS[code], detail, headers);
  }
}

/** 429 CREDITS_EXHAUSTED, with `Retry-After` (whole seconds) when a refill is due. */
export function creditsExhausted(whose: string, retryAfterSeconds: number | null) {
  const detail =
    retryAfterSeconds === null
      ? `The ${whose} credit balance cannot pay for this call, and has no refill`
      : `The ${whose} credit balance cannot pay for this call; it is refilled in ${retryAfterSeconds} s`;
  const headers: Record<string, string> =
    retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) };
  return new GovernanceError('CREDITS_EXHAUSTED', detail, headers);
}

/** 403 APPROVAL_REQUIRED, naming each part of the rule the token meets. */
export function approvalRequired(needed: readonly { part: string; why: string }[]) {
  const parts = needed.map((n) => `approval_required.${n.part}: ${n.why}`).join('; ');
  return new GovernanceError(
    'APPROVAL_REQUIRED',
    `The business requires approval for this token (${parts}): file it with ` +
      'POST /api/v1/token-requests, and collect it once an owner or admin approves',
  );
}

/**
 * The 422 of a token that breaks the policy: one issue per rule, at the field it is about
 * (`locOf`, since a create names `expires_in_days` where a rotation names `expires_at`), with
 * the rule in its `type` and `ctx`. `alsoBroken` are the issues of the maker's limits the same
 * token breaks (`expiry_exceeds_maker`, …), each with its own `type` and `ctx`, after the policy's.
 */
export function policyViolation(
  breaches: readonly PolicyBreach[],
  locOf: (field: PolicyBreach['field']) => (string | number)[],
  alsoBroken: readonly ValidationIssue[] = [],
): GovernanceError {
  const error = new GovernanceError('POLICY_VIOLATION');
  error.issues = [
    ...breaches.map((b) => ({
      loc: locOf(b.field),
      msg: `${b.rule}: ${b.msg}`,
      type: 'policy_violation',
      ctx: { rule: b.rule },
    })),
    ...alsoBroken,
  ];
  return error;
}

/**
 * The business's token policy refusing a token the token endpoint would issue, in its words
 * (RFC 6749 §5.2): its scopes can break it, and `require_dpop` when the request proved no key
 * (RFC 9449 §5's error). The endpoint's tokens are short (less than any policy's maximum), and
 * ask for no networks, so they take the policy's.
 */
export function asOAuthRefusal(e: unknown): never {
  if (!(e instanceof GovernanceError)) throw e;
  const issues = e.issues ?? [];
  const why = issues.map((i) => i.msg).join('; ') || e.message;
  const unbound = issues.some((i) => i.ctx?.rule === 'require_dpop');
  throw new OAuthError(
    unbound ? 'invalid_dpop_proof' : 'invalid_scope',
    `The business's token policy refuses it: ${why}`,
  );
}
