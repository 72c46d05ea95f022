import { BusinessTokenPolicy } from './business-policy.entity';

/** The tables governance owns. */
export const GOVERNANCE_ENTITIES = [BusinessTokenPolicy];
