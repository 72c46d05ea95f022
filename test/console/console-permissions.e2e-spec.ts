import { mayActOn, policyAllows } from '../../console/src/permissions';
import { decide } from '../../src/tokens/policy/policy-decision';
import { CALLERS, TARGETS, TOKEN_ACTIONS } from '../../src/tokens/policy/token-policy-terms';

/**
 * The console offers a token action (re-issue, revoke, rotate) only where the server's token
 * policy allows it: it reads the same table (src/tokens/policy/token-policy.ts), and this holds its
 * reading equal to the server's `decide`, for every action, caller, target and scope set. It once
 * offered a platform admin "Re-issue first token", which always failed (403
 * NOT_TOKEN_HOLDER).
 */
const SCOPE_SETS: readonly (readonly string[] | null)[] = [
  null,
  [],
  ['tokens:admin'],
  ['members:read'],
  ['members:write'],
  ['tokens:*'],
  ['members:*', 'tokens:admin'],
  ['audit:read'],
];

const label = (scopes: readonly string[] | null) =>
  scopes === null ? 'unrestricted' : `[${scopes.join(', ')}]`;

const CASES = TOKEN_ACTIONS.flatMap((action) =>
  CALLERS.flatMap((caller) =>
    SCOPE_SETS.map((scopes) => ({ action, caller, scopes, name: label(scopes) })),
  ),
);

describe('the console’s reading of the token policy', () => {
  it.each(CASES)('$action by $caller with $name: every target as the server decides', (c) => {
    const caller = { class: c.caller, scopes: c.scopes };
    const server = { ...caller, expiresAt: null };
    const console_ = Object.fromEntries(
      TARGETS.map((target) => [target, policyAllows(caller, c.action, target)]),
    );
    const decided = Object.fromEntries(
      TARGETS.map((target) => [target, decide(c.action, server, target).allowed]),
    );
    expect(console_).toEqual(decided);
  });

  it.each(CASES)(
    '$action by $caller with $name: offered on a holder it cannot see only if no holder refuses',
    (c) => {
      const caller = { class: c.caller, scopes: c.scopes };
      const server = { ...caller, expiresAt: null };
      const offered = mayActOn(caller, 'me', c.action, 'someone', undefined);
      const everyOther = (['machine', 'owner', 'admin', 'member'] as const).every(
        (target) => decide(c.action, server, target).allowed,
      );
      expect(offered).toBe(everyOther);
      expect(mayActOn(caller, 'me', c.action, 'me', undefined)).toBe(
        decide(c.action, server, 'self').allowed,
      );
    },
  );
});
