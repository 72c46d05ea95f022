import { SsoGroupRole } from './sso-group-role.entity';
import { SsoLogin } from './sso-login.entity';

/** The tables console sign-in owns. */
export const SSO_ENTITIES = [SsoLogin, SsoGroupRole];
