import { BusinessTokenPolicy } from './store/business-policy.entity';
import { BusinessLimit, BusinessLimitOverride } from './store/business-limit.entity';
import { CreditAccount } from './store/credit-account.entity';

/** A business's token policy, which tokens' verifier snapshot joins in one query. */
export { BusinessTokenPolicy };

/** The tables governance owns. */
export const GOVERNANCE_ENTITIES = [
  BusinessTokenPolicy,
  BusinessLimit,
  BusinessLimitOverride,
  CreditAccount,
];
