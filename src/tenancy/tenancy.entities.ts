import { Business } from './store/business.entity';
import { CustomRole } from './store/custom-role.entity';
import { Identity } from './store/identity.entity';
import { Membership } from './store/membership.entity';
import { SsoSettings } from './store/sso-settings.entity';

/** The tables tenancy owns. */
export const TENANCY_ENTITIES = [Business, Identity, Membership, CustomRole, SsoSettings];
