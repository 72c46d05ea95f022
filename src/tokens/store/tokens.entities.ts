import { ApiToken } from './api-token.entity';
import { StatusList } from './status-list.entity';
import { TokenExpiryNotice } from './token-expiry-notice.entity';
import { TokenUsageHour, TokenUsageIp } from './token-usage.entity';

/** The tables tokens owns. */
export const TOKENS_ENTITIES = [
  ApiToken,
  StatusList,
  TokenExpiryNotice,
  TokenUsageHour,
  TokenUsageIp,
];
