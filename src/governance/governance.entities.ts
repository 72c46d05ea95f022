import { BusinessTokenPolicy } from './business-policy.entity';
import { BusinessLimit, BusinessLimitOverride } from './limits/business-limit.entity';
import { CreditAccount } from './credits/credit-account.entity';

/** The tables governance owns. */
export const GOVERNANCE_ENTITIES = [
  BusinessTokenPolicy,
  BusinessLimit,
  BusinessLimitOverride,
  CreditAccount,
];
