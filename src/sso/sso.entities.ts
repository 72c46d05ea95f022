import { SsoGroupRole } from './store/sso-group-role.entity';
import { SsoLogin } from './store/sso-login.entity';

/** The tables console sign-in owns. */
export const SSO_ENTITIES = [SsoLogin, SsoGroupRole];
