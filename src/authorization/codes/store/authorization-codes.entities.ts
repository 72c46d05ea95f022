import { AuthorizationCode } from './authorization-code.entity';

/** The tables the authorization codes own. */
export const AUTHORIZATION_CODES_ENTITIES = [AuthorizationCode];
