import { FederationJtiUse, TrustRule } from './rules/trust-rule.entity';

/** The tables federation owns. */
export const FEDERATION_ENTITIES = [TrustRule, FederationJtiUse];
