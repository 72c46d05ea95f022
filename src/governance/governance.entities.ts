import { BusinessTokenPolicy } from './store/business-policy.entity';
import { BusinessLimit, BusinessLimitOverride } from './store/business-limit.entity';
import { CreditAccount } from './store/credit-account.entity';

/** The tables governance owns. */
export const GOVERNANCE_ENTITIES = [
  BusinessTokenPolicy,
  BusinessLimit,
  BusinessLimitOverride,
  CreditAccount,
];
