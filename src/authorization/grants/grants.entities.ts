import { Consent } from './store/consent.entity';
import { ConsentRequest } from './store/consent-request.entity';
import { Grant } from './store/grant.entity';
import { GrantToken } from './store/grant-token.entity';
import { RefreshToken } from './store/refresh-token.entity';

/** The tables consents and grants own. */
export const GRANTS_ENTITIES = [Consent, ConsentRequest, Grant, GrantToken, RefreshToken];
