import { TOKEN_POLICY } from './token-policy';
import { CALLERS, Cell, TARGETS, TOKEN_ACTIONS, TokenAction, Verdict } from './token-policy-terms';
import { decide, decideOnToken } from './policy-decision';

const PEOPLE = ['owner', 'admin', 'member'] as const;

/** Every verdict a cell can give, with the scope or without it. */
const verdicts = (cell: Cell): Verdict[] =>
  typeof cell === 'string' ? [cell] : [cell.with, cell.without];

/** The cells of an action as [caller, target, cell]. */
function cellsOf(action: TokenAction) {
  const rule = TOKEN_POLICY[action];
  return CALLERS.flatMap((caller) => {
    const row = rule.cells[caller];
    return row ? rule.targets.map((target) => [caller, target, row[target]] as const) : [];
  });
}

describe('token policy', () => {
  // The rules below are the design's, read off the table: editing a cell against them fails here
  // before any route is asked.

  it.each(['issue', 'rotate'] as const)(
    '%s: no HTTP caller ever gets a token for another person (people make their own)',
    (action) => {
      for (const [caller, target, cell] of cellsOf(action)) {
        if (caller === 'cli' || !(PEOPLE as readonly string[]).includes(target)) continue;
        expect([caller, target, verdicts(cell)]).not.toContainEqual(
          expect.arrayContaining(['allow']),
        );
      }
    },
  );

  it("a platform token never receives a person's secret, but for the two named exceptions", () => {
    const secretActions: TokenAction[] = ['issue', 'rotate', 'reissue', 'add_member'];
    for (const action of secretActions) {
      for (const [caller, target, cell] of cellsOf(action)) {
        if (caller !== 'platform' || target === 'machine') continue;
        expect({ action, target, verdicts: verdicts(cell) }).toEqual({
          action,
          target,
          verdicts: expect.not.arrayContaining(['allow']),
        });
      }
    }
    expect(
      decide('create_business', { class: 'platform', scopes: null, expiresAt: null }, 'owner'),
    ).toEqual({
      allowed: true,
    });
    expect(
      decide('add_platform_admin', { class: 'platform', scopes: null, expiresAt: null }, 'admin'),
    ).toEqual({
      allowed: true,
    });
  });

  it('re-issue acts only downward, and on an owner only for that owner', () => {
    const allowed = (caller: 'owner' | 'admin', target: (typeof TARGETS)[number]) =>
      decide('reissue', { class: caller, scopes: null, expiresAt: null }, target).allowed;
    expect(PEOPLE.filter((p) => allowed('admin', p))).toEqual(['member']);
    expect(PEOPLE.filter((p) => allowed('owner', p))).toEqual(['admin', 'member']);
    expect(allowed('owner', 'self')).toBe(true);
  });

  it.each(['rename', 'revoke', 'rotate', 'reissue'] as const)(
    '%s: an admin never acts on an owner',
    (action) => {
      expect(
        decide(action, { class: 'admin', scopes: null, expiresAt: null }, 'owner').allowed,
      ).toBe(false);
    },
  );

  it("acting on a token that is not one's own needs tokens:admin", () => {
    for (const action of ['rotate', 'rename', 'revoke'] as const) {
      for (const caller of ['owner', 'admin', 'platform'] as const) {
        for (const target of ['machine', 'member'] as const) {
          expect(decide(action, { class: caller, scopes: [], expiresAt: null }, target)).toEqual({
            allowed: false,
            status: 404,
          });
        }
      }
    }
    expect(
      decide('issue', { class: 'admin', scopes: ['audit:read'], expiresAt: null }, 'machine'),
    ).toEqual({
      allowed: false,
      status: 403,
      code: 'INSUFFICIENT_SCOPE',
    });
  });

  it('checks the gate (role, then scope) before the target', () => {
    expect(
      decide('add_member', { class: 'member', scopes: null, expiresAt: null }, 'member'),
    ).toMatchObject({
      code: 'INSUFFICIENT_ROLE',
    });
    expect(
      decide('add_member', { class: 'admin', scopes: ['members:read'], expiresAt: null }, 'owner'),
    ).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(
      decide('reissue', { class: 'owner', scopes: ['members:write'], expiresAt: null }, 'admin'),
    ).toEqual({
      allowed: true,
    });
  });

  it.each(TOKEN_ACTIONS)(
    '%s: a retiring token acts on no target, and may revoke only itself',
    (action) => {
      const retiring = { class: 'retiring', scopes: null, expiresAt: null } as const;
      for (const target of TARGETS) {
        expect(decide(action, retiring, target)).toEqual(
          target === 'unknown' && action === 'revoke'
            ? { allowed: false, status: 404 }
            : { allowed: false, status: 403, code: 'TOKEN_RETIRING' },
        );
        expect(decideOnToken(action, retiring, target, true).allowed).toBe(action === 'revoke');
      }
    },
  );

  it('answers a member the same for every id, so none is confirmed to exist', () => {
    const answers = TARGETS.filter((t) => t !== 'self').map((target) =>
      decide('issue', { class: 'member', scopes: null, expiresAt: null }, target),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  });

  it('gives every caller row a cell for every target of its action', () => {
    for (const action of TOKEN_ACTIONS) {
      for (const [caller, target, cell] of cellsOf(action)) {
        expect({ action, caller, target, defined: cell !== undefined }).toMatchObject({
          defined: true,
        });
      }
    }
  });
});
