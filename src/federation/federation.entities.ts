import { FederationJtiUse, TrustRule } from './trust-rule.entity';

/** The tables federation owns. */
export const FEDERATION_ENTITIES = [TrustRule, FederationJtiUse];
