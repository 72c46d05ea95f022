import { AuthorizationCode } from './store/authorization-code.entity';

/** The tables the authorization codes own. */
export const AUTHORIZATION_CODES_ENTITIES = [AuthorizationCode];
