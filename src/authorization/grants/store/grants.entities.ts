import { Consent } from './consent.entity';
import { ConsentRequest } from './consent-request.entity';
import { Grant } from './grant.entity';
import { GrantToken } from './grant-token.entity';
import { RefreshToken } from './refresh-token.entity';

/** The tables consents and grants own. */
export const GRANTS_ENTITIES = [Consent, ConsentRequest, Grant, GrantToken, RefreshToken];
