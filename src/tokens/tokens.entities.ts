import { ApiToken } from './api-token.entity';

/** The tables tokens owns. */
export const TOKENS_ENTITIES = [ApiToken];
