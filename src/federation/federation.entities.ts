import { FederationJtiUse, TrustRule } from './store/trust-rule.entity';

/** The tables federation owns. */
export const FEDERATION_ENTITIES = [TrustRule, FederationJtiUse];
