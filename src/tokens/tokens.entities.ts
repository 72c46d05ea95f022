import { ApiToken } from './store/api-token.entity';
import { StatusList } from './store/status-list.entity';
import { TokenExpiryNotice } from './store/token-expiry-notice.entity';
import { TokenUsageHour, TokenUsageIp } from './store/token-usage.entity';

/** The tables tokens owns. */
export const TOKENS_ENTITIES = [
  ApiToken,
  StatusList,
  TokenExpiryNotice,
  TokenUsageHour,
  TokenUsageIp,
];
