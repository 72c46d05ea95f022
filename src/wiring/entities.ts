import { AUDIT_ENTITIES } from '../audit/audit.entities';
import { CLIENTS_ENTITIES } from '../authorization/clients/clients.entities';
import { AUTHORIZATION_CODES_ENTITIES } from '../authorization/codes/authorization-codes.entities';
import { GRANTS_ENTITIES } from '../authorization/grants/grants.entities';
import { FEDERATION_ENTITIES } from '../federation/federation.entities';
import { GOVERNANCE_ENTITIES } from '../governance/governance.entities';
import { INVITATIONS_ENTITIES } from '../invitations/invitations.entities';
import { APPROVALS_ENTITIES } from '../approvals/token-requests.entities';
import { RESOURCES_ENTITIES } from '../resources/resources.entities';
import { SSO_ENTITIES } from '../sso/sso.entities';
import { TENANCY_ENTITIES } from '../tenancy/tenancy.entities';
import { TOKENS_ENTITIES } from '../tokens/tokens.entities';
import { WEBHOOKS_ENTITIES } from '../webhooks/webhooks.entities';

/**
 * Every entity, from each feature's own list, so the app, the CLI and the TypeORM CLI
 * (`ormconfig.ts`) load exactly the same set, and `database/` knows no feature.
 */
export const ENTITIES = [
  ...TENANCY_ENTITIES,
  ...TOKENS_ENTITIES,
  ...AUDIT_ENTITIES,
  ...WEBHOOKS_ENTITIES,
  ...FEDERATION_ENTITIES,
  ...GOVERNANCE_ENTITIES,
  ...INVITATIONS_ENTITIES,
  ...APPROVALS_ENTITIES,
  ...SSO_ENTITIES,
  ...RESOURCES_ENTITIES,
  ...CLIENTS_ENTITIES,
  ...AUTHORIZATION_CODES_ENTITIES,
  ...GRANTS_ENTITIES,
];
