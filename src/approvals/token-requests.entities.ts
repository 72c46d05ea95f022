import { TokenRequest } from './store/token-request.entity';

/** The tables approvals own. */
export const APPROVALS_ENTITIES = [TokenRequest];
