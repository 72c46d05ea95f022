import { Business } from './store/business.entity';
import { CustomRole } from './store/custom-role.entity';
import { Identity } from './store/identity.entity';
import { Membership } from './store/membership.entity';
import { SsoSettings } from './store/sso-settings.entity';

/**
 * Tenancy's front door for a join: another feature's repository names these classes to read a row
 * with its business, identity or membership in one query, never tenancy's repositories (tokens'
 * verifier snapshot does).
 */
export { Business, CustomRole, Identity, Membership, SsoSettings };

/** The tables tenancy owns. */
export const TENANCY_ENTITIES = [Business, Identity, Membership, CustomRole, SsoSettings];
