import { BusinessTokenPolicy } from './business-policy.entity';
import { BusinessLimit, BusinessLimitOverride } from './limits/business-limit.entity';

/** The tables governance owns. */
export const GOVERNANCE_ENTITIES = [BusinessTokenPolicy, BusinessLimit, BusinessLimitOverride];
