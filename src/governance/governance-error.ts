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
  // A business holds a bounded number of shared limits.
  LIMIT_COUNT_REACHED: {
    status: 409,
    message: 'The business already has as many shared limits as it may hold',
  },
  LIMIT_NOT_FOUND: {
    status: 404,
    message: 'The business has no shared limit of that name',
  },
} as const satisfies ErrorTable;

export type GovernanceErrorCode = keyof typeof GOVERNANCE_ERRORS;

export class GovernanceError extends DomainError<GovernanceErrorCode> {
  constructor(code: GovernanceErrorCode, detail?: string) {
    super(code, GOVERNANCE_ERRORS[code], detail);
  }
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
