import { activeTokensKey, type KeyLock } from '../../../database/units/key-lock';
import { policyReadLock } from '../../../governance/business-policy.service';

/**
 * The key locks issuing a token in `businessId` takes, for a unit of work that publishes an event
 * of its own before it issues (a member added, signed in, or handed a first token again): it
 * declares them when it starts, or before its first event once it knows the business
 * (`holdDeclaredLocks`), so they are held before the audit chain, as in a plain create. With the
 * holder known (a re-issue), the active-token cap's key too: the holder's own create takes it
 * and then the chain, so one taken after the chain could wait on it for ever.
 */
export const locksToIssueIn = (businessId: string, holderId?: string): KeyLock[] => [
  policyReadLock(businessId),
  ...(holderId === undefined
    ? []
    : [{ key: activeTokensKey(businessId, holderId), mode: 'exclusive' as const }]),
];
