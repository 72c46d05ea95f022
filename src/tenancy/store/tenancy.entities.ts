import { Business } from './business.entity';
import { CustomRole } from './custom-role.entity';
import { Identity } from './identity.entity';
import { Membership } from './membership.entity';
import { SsoSettings } from './sso-settings.entity';

/** The tables tenancy owns. */
export const TENANCY_ENTITIES = [Business, Identity, Membership, CustomRole, SsoSettings];
