import { ApiToken } from './store/entities/api-token.entity';
import { StatusList } from './store/entities/status-list.entity';
import { TokenExpiryNotice } from './store/entities/token-expiry-notice.entity';
import { TokenUsageHour, TokenUsageIp } from './store/entities/token-usage.entity';

/** The tables tokens owns. */
export const TOKENS_ENTITIES = [
  ApiToken,
  StatusList,
  TokenExpiryNotice,
  TokenUsageHour,
  TokenUsageIp,
];
