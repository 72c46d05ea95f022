import { ROLES, roleAtLeast } from './roles';
import {
  scopesUnder,
  ADMIN_SCOPES,
  BUILT_IN_SCOPES,
  firstTokenScopes,
  principalHolds,
  roleAllowsScope,
  scopeCovers,
  SCOPE_PATTERN,
  scopesAllow,
  scopesWithin,
  scopesWithinRole,
} from './scopes';

describe('scopes', () => {
  it('covers an equal scope and a wildcard child', () => {
    expect(scopeCovers('audit:read', 'audit:read')).toBe(true);
    expect(scopeCovers('audit:*', 'audit:read')).toBe(true);
    expect(scopeCovers('audit:*', 'audit:read:deep')).toBe(true);
  });

  it('does not cover a sibling, a parent, or a lookalike', () => {
    expect(scopeCovers('audit:read', 'audit:write')).toBe(false);
    expect(scopeCovers('audit:*', 'audit')).toBe(false);
    expect(scopeCovers('audit:*', 'auditor:read')).toBe(false);
    expect(scopeCovers('tokens', 'tokens:admin')).toBe(false);
  });

  it('treats null as unrestricted and [] as nothing', () => {
    expect(scopesAllow(null, 'members:write')).toBe(true);
    expect(scopesAllow([], 'members:write')).toBe(false);
  });

  it('never lets a restricted holder grant more than it holds', () => {
    expect(scopesWithin(['audit:read'], ['audit:*'])).toBe(true);
    expect(scopesWithin(['audit:*'], ['audit:read'])).toBe(false);
    expect(scopesWithin(null, ['audit:read'])).toBe(false);
    expect(scopesWithin(['anything:custom'], null)).toBe(true);
  });

  it.each(['tokens:admin', 'a', 'a:*', 'billing.v2:read-only', 'x_y:z:*'])('accepts %s', (s) => {
    expect(SCOPE_PATTERN.test(s)).toBe(true);
  });

  it.each(['', 'A:b', '*', 'a:', ':a', 'a b', 'a:B'])('rejects %j', (s) => {
    expect(SCOPE_PATTERN.test(s)).toBe(false);
  });
});

describe('members:read and first tokens', () => {
  it('lets members:write (and members:*) cover members:read, not the other way', () => {
    expect(scopesAllow(['members:write'], 'members:read')).toBe(true);
    expect(scopesAllow(['members:*'], 'members:read')).toBe(true);
    expect(scopesAllow(['members:read'], 'members:write')).toBe(false);
    expect(scopesAllow(['tokens:admin'], 'members:read')).toBe(false);
  });

  it('lets resources:write (and resources:*) cover resources:read, not the other way', () => {
    expect(scopesAllow(['resources:write'], 'resources:read')).toBe(true);
    expect(scopesAllow(['resources:*'], 'resources:read')).toBe(true);
    expect(scopesAllow(['resources:read'], 'resources:write')).toBe(false);
  });

  it('caps a first token at its maker, within the holder role', () => {
    expect(firstTokenScopes(null, false)).toBeNull();
    expect(firstTokenScopes(['members:write'], true)).toEqual(['members:write']);
    expect(firstTokenScopes(['members:write', 'deploy:*'], false)).toEqual(['deploy:*']);
    expect(firstTokenScopes(['tokens:*', 'audit:read', 'x'], false)).toEqual(['x']);
    expect(firstTokenScopes([], true)).toEqual([]);
  });
});

describe('scopes within a role', () => {
  const builtIns = Object.keys(BUILT_IN_SCOPES);
  const rows = ROLES.flatMap((role) =>
    builtIns.map((scope) => [role, scope, roleAtLeast(role, BUILT_IN_SCOPES[scope])] as const),
  );

  it('names every built-in, and only introspect and resources:read are a member’s', () => {
    expect(builtIns.sort()).toEqual(
      [
        'audit:read',
        'introspect',
        'members:read',
        'members:write',
        'resources:read',
        'resources:write',
        'ssf:manage',
        'tokens:admin',
        'webhooks:read',
        'webhooks:write',
      ].sort(),
    );
    const membersOwn = ['introspect', 'resources:read'];
    expect([...ADMIN_SCOPES].sort()).toEqual(
      builtIns.filter((s) => !membersOwn.includes(s)).sort(),
    );
  });

  it.each(rows)('%s may hold %s: %s', (role, scope, allowed) => {
    expect(roleAllowsScope(role, scope)).toBe(allowed);
    expect(principalHolds(role, null, scope)).toBe(allowed);
    expect(principalHolds(role, [scope], scope)).toBe(allowed);
    expect(principalHolds(role, ['other:thing'], scope)).toBe(false);
  });

  it.each([
    ['audit:*', false],
    ['members:*', false],
    ['webhooks:*', false],
    ['ssf:*', false],
    ['resources:*', false],
    ['resources:read', true],
    ['tokens:*', false],
    ['introspect:*', true],
    ['deploy:*', true],
    ['audit:custom', true],
    ['orders:read', true],
  ])(
    'a member may hold %s: %s (a wildcard that covers an admin built-in is beyond it)',
    (scope, ok) => {
      expect(roleAllowsScope('member', scope)).toBe(ok);
      expect(roleAllowsScope('admin', scope)).toBe(true);
    },
  );

  it('a platform token (no role) holds what its scopes allow', () => {
    expect(principalHolds(null, null, 'audit:read')).toBe(true);
    expect(principalHolds(null, ['deploy:*'], 'audit:read')).toBe(false);
  });

  it('narrows a list to the role, and leaves null (unrestricted within it) alone', () => {
    const list = ['deploy:*', 'audit:read', 'members:*', 'introspect'];
    expect(scopesWithinRole(list, 'member')).toEqual(['deploy:*', 'introspect']);
    expect(scopesWithinRole(list, 'owner')).toEqual(list);
    expect(scopesWithinRole(null, 'member')).toBeNull();
  });
});

describe(scopesUnder.name, () => {
  const REQUIRED = ['deploy:prod', 'deploy:staging', 'billing:read', 'audit:read', 'members:read'];

  it.each([
    [null, null, null],
    [['a:b'], null, ['a:b']],
    [null, ['deploy:*'], ['deploy:*']],
    [['deploy:*'], ['deploy:prod'], ['deploy:prod']],
    [['deploy:prod', 'billing:read'], ['deploy:*'], ['deploy:prod']],
    [['deploy:*'], ['billing:*'], []],
    [['members:write'], ['members:read'], ['members:read']],
  ])('%j under %j holds %j', (scopes, bound, expected) => {
    expect(scopesUnder(scopes, bound)).toEqual(expected);
  });

  it('allows a scope exactly when both the token and the role allow it', () => {
    const lists: (string[] | null)[] = [
      null,
      [],
      ['deploy:*'],
      ['deploy:prod', 'billing:read'],
      ['audit:read'],
      ['members:write'],
    ];
    for (const scopes of lists) {
      for (const bound of lists) {
        const sut = scopesUnder(scopes, bound);
        for (const required of REQUIRED) {
          expect([scopes, bound, required, scopesAllow(sut, required)]).toEqual([
            scopes,
            bound,
            required,
            scopesAllow(scopes, required) && scopesAllow(bound, required),
          ]);
        }
      }
    }
  });
});
