import { AUDIT_ERRORS, AuditErrorCode } from '../../../src/audit/audit-error';
import { AUTH_ERRORS, AuthErrorCode } from '../../../src/auth/auth-error';
import {
  COMMON_ERRORS,
  CommonErrorCode,
  ErrorEntry,
  ErrorHttpStatus,
  ErrorTable,
} from '../../../src/common/errors/error-codes';
import { LEAK_ERRORS, LeakErrorCode } from '../../../src/leaks/leak-error';
import { TENANCY_ERRORS, TenancyErrorCode } from '../../../src/tenancy/tenancy-error';
import { TOKEN_ERRORS, TokenErrorCode } from '../../../src/tokens/token-error';
import { WEBHOOK_ERRORS, WebhookErrorCode } from '../../../src/webhooks/webhook-error';
import { FEDERATION_ERRORS, FederationErrorCode } from '../../../src/federation/federation-error';
import { GOVERNANCE_ERRORS, GovernanceErrorCode } from '../../../src/governance/governance-error';
import { SSF_ERRORS, SsfErrorCode } from '../../../src/ssf/ssf-error';
import { INVITATION_ERRORS, InvitationErrorCode } from '../../../src/invitations/invitation-error';
import { APPROVAL_ERRORS, ApprovalErrorCode } from '../../../src/approvals/approval-error';
import { SSO_ERRORS, SsoErrorCode } from '../../../src/sso/sso-error';

/** Every error code the API answers with: the union of the features' code enums. */
export type ErrorCode =
  | CommonErrorCode
  | AuthErrorCode
  | TenancyErrorCode
  | TokenErrorCode
  | AuditErrorCode
  | WebhookErrorCode
  | LeakErrorCode
  | FederationErrorCode
  | GovernanceErrorCode
  | SsfErrorCode
  | InvitationErrorCode
  | ApprovalErrorCode
  | SsoErrorCode;

/** The features' code tables, bottom layer first. */
export const ERROR_TABLES = [
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
] as const satisfies readonly ErrorTable[];

/**
 * For the tests: every code with every status it can carry. A code may carry two, as the design
 * says: INVALID_TOKEN is 401 as a bearer (auth) and 422 as a body field of revoke by value
 * (tokens). test/http/error-tables.e2e-spec.ts holds it equal to the features' tables, and the
 * error-catalog spec holds every error answer of the OpenAPI document to it.
 */
export const ERROR_STATUS: { readonly [C in ErrorCode]: readonly ErrorHttpStatus[] } =
  catalog(ERROR_TABLES);

function catalog(tables: readonly ErrorTable[]): Record<ErrorCode, ErrorHttpStatus[]> {
  const statuses: Partial<Record<ErrorCode, ErrorHttpStatus[]>> = {};
  for (const table of tables) {
    for (const [code, { status }] of Object.entries(table) as [ErrorCode, ErrorEntry][]) {
      const known = (statuses[code] ??= []);
      if (!known.includes(status)) known.push(status);
    }
  }
  return statuses as Record<ErrorCode, ErrorHttpStatus[]>;
}
