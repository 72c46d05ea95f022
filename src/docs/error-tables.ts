import { APPROVAL_ERRORS } from '../approvals/approval-error';
import { AUDIT_ERRORS } from '../audit/audit-error';
import { AUTH_ERRORS } from '../auth/auth-error';
import { CLIENT_ERRORS } from '../authorization/clients/client-error';
import { CONSENT_ERRORS } from '../authorization/grants/consent-error';
import { COMMON_ERRORS, type ErrorTable } from '../common/errors/error-codes';
import { FEDERATION_ERRORS } from '../federation/federation-error';
import { GOVERNANCE_ERRORS } from '../governance/governance-error';
import { INVITATION_ERRORS } from '../invitations/invitation-error';
import { LEAK_ERRORS } from '../leaks/leak-error';
import { RESOURCE_ERRORS } from '../resources/resource-error';
import { SSF_ERRORS } from '../ssf/ssf-error';
import { SSO_ERRORS } from '../sso/sso-error';
import { TENANCY_ERRORS } from '../tenancy/tenancy-error';
import { TOKEN_ERRORS } from '../tokens/token-error';
import { WEBHOOK_ERRORS } from '../webhooks/webhook-error';

/**
 * Every feature's error table, bottom layer first: the one list that the documented error
 * examples (error-examples.ts) and the tests' status catalog read. A feature declares its codes
 * beside its error class; test/http/error-tables.e2e-spec.ts fails when one is missing here.
 */
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
  RESOURCE_ERRORS,
  CLIENT_ERRORS,
  CONSENT_ERRORS,
] as const satisfies readonly ErrorTable[];

/** The codes of each table in a union, each table's own (`keyof` of a union would keep only the shared ones). */
type CodesOf<T> = T extends unknown ? keyof T & string : never;

/** Every error code the API answers with. */
export type ErrorCode = CodesOf<(typeof ERROR_TABLES)[number]>;
