import { AUDIT_ERRORS } from '../audit/audit-error';
import { AUTH_ERRORS } from '../auth/auth-error';
import { COMMON_ERRORS } from '../common/errors/error-codes';
import { LEAK_ERRORS } from '../leaks/leak-error';
import { TENANCY_ERRORS } from '../tenancy/tenancy-error';
import { TOKEN_ERRORS } from '../tokens/token-error';
import { WEBHOOK_ERRORS } from '../webhooks/webhook-error';
import { FEDERATION_ERRORS } from '../federation/federation-error';
import { GOVERNANCE_ERRORS } from '../governance/governance-error';
import { SSF_ERRORS } from '../ssf/ssf-error';
import { INVITATION_ERRORS } from '../invitations/invitation-error';
import { APPROVAL_ERRORS } from '../approvals/approval-error';
import { SSO_ERRORS } from '../sso/sso-error';

type Code =
  | keyof typeof COMMON_ERRORS
  | keyof typeof AUTH_ERRORS
  | keyof typeof TENANCY_ERRORS
  | keyof typeof TOKEN_ERRORS
  | keyof typeof AUDIT_ERRORS
  | keyof typeof WEBHOOK_ERRORS
  | keyof typeof LEAK_ERRORS
  | keyof typeof FEDERATION_ERRORS
  | keyof typeof GOVERNANCE_ERRORS
  | keyof typeof SSF_ERRORS
  | keyof typeof INVITATION_ERRORS
  | keyof typeof APPROVAL_ERRORS
  | keyof typeof SSO_ERRORS;

/** Every code's one message, from the features' tables: the example of a documented answer. */
const MESSAGES = new Map<string, string>(
  [
    COMMON_ERRORS,
    AUTH_ERRORS,
    TENANCY_ERRORS,
    TOKEN_ERRORS,
    AUDIT_ERRORS,
    WEBHOOK_ERRORS,
    LEAK_ERRORS,
    FEDERATION_ERRORS,
    GOVERNANCE_ERRORS,
    SSF_ERRORS,
    INVITATION_ERRORS,
    APPROVAL_ERRORS,
    SSO_ERRORS,
  ].flatMap((table) =>
    Object.entries(table).map(([code, { message }]) => [code, message] as const),
  ),
);

/** What `detail` holds for a 422: where the request was wrong, FastAPI style. */
const VALIDATION_DETAIL: Partial<Record<Code, object[]>> = {
  VALIDATION_ERROR: [
    {
      loc: ['body', 'name'],
      msg: 'name must be shorter than or equal to 100 characters',
      type: 'value_error',
    },
  ],
  INVALID_CURSOR: [{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }],
  POLICY_VIOLATION: [
    {
      loc: ['body', 'expires_in_days'],
      msg: 'max_lifetime_days: A token of this business lives at most 90 days: expire it by 2026-03-01T00:00:00.000Z',
      type: 'policy_violation',
      ctx: { rule: 'max_lifetime_days' },
    },
  ],
};

const EXAMPLE_REQUEST_ID = '3f2c1d7e-8a7b-4b7e-9d55-2b0c3f1e9a10';

/** The error body the API answers with `code` under `status`; null for a code it does not know. */
export function errorExample(
  status: number,
  code: string,
  issue?: object,
): Record<string, unknown> | null {
  const message = MESSAGES.get(code);
  if (message === undefined) return null;
  const detail =
    (status === 422 && code === 'VALIDATION_ERROR' && issue && [issue]) ||
    (status === 422 && VALIDATION_DETAIL[code as Code]) ||
    message;
  return { success: false, message, code, detail, request_id: EXAMPLE_REQUEST_ID };
}
