import { TenancyAndTokens1763800000000 } from './migrations/1763800000000-tenancy-and-tokens';
import { AuditLog1763900000000 } from './migrations/1763900000000-audit-log';
import { TraceableActors1764000000000 } from './migrations/1764000000000-traceable-actors';
import { FirstWinsRotation1764100000000 } from './migrations/1764100000000-first-wins-rotation';
import { ByteBudget1764200000000 } from './migrations/1764200000000-byte-budget';
import { AuditMerkleTree1764300000000 } from './migrations/1764300000000-audit-merkle-tree';
import { Webhooks1764400000000 } from './migrations/1764400000000-webhooks';
import { TokenExpiryNotices1764500000000 } from './migrations/1764500000000-token-expiry-notices';
import { TokenConstraints1764600000000 } from './migrations/1764600000000-token-constraints';
import { TokenUsage1764610000000 } from './migrations/1764610000000-token-usage';
import { SharedRateLimit1764620000000 } from './migrations/1764620000000-shared-rate-limit';
import { LeakReported1764630000000 } from './migrations/1764630000000-leak-reported';
import { WebhookKeyGenerations1764640000000 } from './migrations/1764640000000-webhook-key-generations';
import { WebhookFairClaim1764650000000 } from './migrations/1764650000000-webhook-fair-claim';
import { TokenDisabled1764660000000 } from './migrations/1764660000000-token-disabled';
import { TokenMeta1764661000000 } from './migrations/1764661000000-token-meta';
import { Federation1764670000000 } from './migrations/1764670000000-federation';
import { BusinessTokenPolicies1764680000000 } from './migrations/1764680000000-business-token-policies';
import { TokenUses1764690000000 } from './migrations/1764690000000-token-uses';
import { TokenParents1764695000000 } from './migrations/1764695000000-token-parents';
import { WebhookPersonalData1764697000000 } from './migrations/1764697000000-webhook-personal-data';
import { TokenStatusLists1764700000000 } from './migrations/1764700000000-token-status-lists';
import { SsfStreams1764710000000 } from './migrations/1764710000000-ssf-streams';
import { DpopBinding1764720000000 } from './migrations/1764720000000-dpop-binding';
import { TokenBindingRules1764730000000 } from './migrations/1764730000000-token-binding-rules';
import { ImportedKeys1764740000000 } from './migrations/1764740000000-imported-keys';
import { ConsoleUsage1764750000000 } from './migrations/1764750000000-console-usage';
import { VerificationAnalytics1764760000000 } from './migrations/1764760000000-verification-analytics';
import { BusinessLimits1764770000000 } from './migrations/1764770000000-business-limits';
import { CreditAccounts1764780000000 } from './migrations/1764780000000-credit-accounts';
import { Invitations1764790000000 } from './migrations/1764790000000-invitations';
import { SsoSignIn1764800000000 } from './migrations/1764800000000-sso-sign-in';
import { ApprovalRules1764810000000 } from './migrations/1764810000000-approval-rules';
import { TokenRequests1764815000000 } from './migrations/1764815000000-token-requests';
import { CustomRoles1764820000000 } from './migrations/1764820000000-custom-roles';
import { SsoSettings1764830000000 } from './migrations/1764830000000-sso-settings';
import { ConsoleVerifications1764840000000 } from './migrations/1764840000000-console-verifications';
import { Resources1764850000000 } from './migrations/1764850000000-resources';
import { OAuthClients1764860000000 } from './migrations/1764860000000-oauth-clients';
import { AuthorizationCodes1764870000000 } from './migrations/1764870000000-authorization-codes';
import { OAuthGrants1764880000000 } from './migrations/1764880000000-oauth-grants';

/** Every migration, in order. */
export const MIGRATIONS = [
  TenancyAndTokens1763800000000,
  AuditLog1763900000000,
  TraceableActors1764000000000,
  FirstWinsRotation1764100000000,
  ByteBudget1764200000000,
  AuditMerkleTree1764300000000,
  Webhooks1764400000000,
  TokenExpiryNotices1764500000000,
  TokenConstraints1764600000000,
  TokenUsage1764610000000,
  SharedRateLimit1764620000000,
  LeakReported1764630000000,
  WebhookKeyGenerations1764640000000,
  WebhookFairClaim1764650000000,
  TokenDisabled1764660000000,
  TokenMeta1764661000000,
  Federation1764670000000,
  BusinessTokenPolicies1764680000000,
  TokenUses1764690000000,
  TokenParents1764695000000,
  WebhookPersonalData1764697000000,
  TokenStatusLists1764700000000,
  SsfStreams1764710000000,
  DpopBinding1764720000000,
  TokenBindingRules1764730000000,
  ImportedKeys1764740000000,
  ConsoleUsage1764750000000,
  VerificationAnalytics1764760000000,
  BusinessLimits1764770000000,
  CreditAccounts1764780000000,
  Invitations1764790000000,
  SsoSignIn1764800000000,
  ApprovalRules1764810000000,
  TokenRequests1764815000000,
  CustomRoles1764820000000,
  SsoSettings1764830000000,
  ConsoleVerifications1764840000000,
  Resources1764850000000,
  OAuthClients1764860000000,
  AuthorizationCodes1764870000000,
  OAuthGrants1764880000000,
];
