import { Business } from '../tenancy/business.entity';
import { Identity } from '../tenancy/identity.entity';
import { Membership } from '../tenancy/membership.entity';
import { ApiToken } from '../tokens/api-token.entity';
import { TenancyAndTokens1763800000000 } from './migrations/1763800000000-tenancy-and-tokens';

/** Every entity, listed by hand so the app and the TypeORM CLI load exactly the same set. */
export const ENTITIES = [Business, Identity, Membership, ApiToken];

/** Every migration, in order. */
export const MIGRATIONS = [TenancyAndTokens1763800000000];
