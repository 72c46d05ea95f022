import {
  BusinessPolicyRules,
  REQUIRE_DPOP,
  governIssue,
  IssueTerms,
  NO_POLICY,
  PolicyRule,
  tokenBreaches,
  TokenTerms,
} from './business-policy';

const DAY = 86_400_000;
const NOW = new Date('2026-01-01T00:00:00.000Z');
const inDays = (d: number) => new Date(NOW.getTime() + d * DAY);

const STRICT: BusinessPolicyRules = {
  maxLifetimeDays: 30,
  requireExpiry: false,
  allowedScopes: ['deploy:*', 'audit:read'],
  requiredCidrs: ['10.0.0.0/8'],
  inactivityRevokeDays: 90,
  requireDpop: null,
  approvalRequired: null,
};
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

const ask = (terms: Partial<IssueTerms>): IssueTerms => ({
  scopes: ['deploy:write'],
  allowedCidrs: ['10.1.0.0/16'],
  expiresAt: inDays(10),
  expiryAsked: true,
  dpopJkt: null,
  machine: false,
  ...terms,
});

describe(governIssue.name, () => {
  // [case, policy, asked, the rules broken, the expiry given (days from now; null for none)]
  const TABLE: [string, BusinessPolicyRules, IssueTerms, PolicyRule[], number | null][] = [
    ['no policy keeps anything', NO_POLICY, ask({ scopes: null, expiresAt: null }), [], null],
    ['within every rule', STRICT, ask({}), [], 10],
    ['asked past the maximum', STRICT, ask({ expiresAt: inDays(31) }), ['max_lifetime_days'], 31],
    ['at the maximum exactly', STRICT, ask({ expiresAt: inDays(30) }), [], 30],
    [
      'a default past it is cut',
      STRICT,
      ask({ expiresAt: inDays(60), expiryAsked: false }),
      [],
      30,
    ],
    ['no expiry gets the maximum', STRICT, ask({ expiresAt: null, expiryAsked: false }), [], 30],
    [
      'no expiry under require_expiry',
      { ...STRICT, requireExpiry: true },
      ask({ expiresAt: null, expiryAsked: false }),
      ['require_expiry'],
      null,
    ],
    [
      'require_expiry alone, no maximum',
      { ...NO_POLICY, requireExpiry: true },
      ask({ expiresAt: inDays(3000) }),
      [],
      3000,
    ],
    [
      'a scope outside',
      STRICT,
      ask({ scopes: ['deploy:write', 'billing:read'] }),
      ['allowed_scopes'],
      10,
    ],
    ['a wildcard wider than allowed', STRICT, ask({ scopes: ['audit:*'] }), ['allowed_scopes'], 10],
    ['no scopes: a list within', STRICT, ask({ scopes: [] }), [], 10],
    [
      'a network outside',
      STRICT,
      ask({ allowedCidrs: ['192.168.0.0/16'] }),
      ['required_cidrs'],
      10,
    ],
    ['a network wider', STRICT, ask({ allowedCidrs: ['10.0.0.0/7'] }), ['required_cidrs'], 10],
    [
      'every rule at once',
      STRICT,
      ask({ scopes: ['x'], allowedCidrs: ['::/0'], expiresAt: inDays(99) }),
      ['max_lifetime_days', 'allowed_scopes', 'required_cidrs'],
      99,
    ],
  ];

  it.each(TABLE)('%s', (_case, policy, asked, broken, days) => {
    const sut = governIssue(policy, asked, NOW);
    expect(sut.breaches.map((b) => b.rule)).toEqual(broken);
    expect(sut.terms.expiresAt).toEqual(days === null ? null : inDays(days));
  });

  it('gives the unasked-for the policy’s bounds: allowed_scopes and required_cidrs', () => {
    const sut = governIssue(STRICT, ask({ scopes: null, allowedCidrs: null }), NOW);
    expect(sut.breaches).toEqual([]);
    expect(sut.terms.scopes).toEqual(STRICT.allowedScopes);
    expect(sut.terms.allowedCidrs).toEqual(STRICT.requiredCidrs);
  });

  it('names each breach at its field', () => {
    const sut = governIssue(
      STRICT,
      ask({ scopes: ['x'], allowedCidrs: ['::/0'], expiresAt: inDays(99) }),
      NOW,
    );
    expect(sut.breaches.map((b) => [b.rule, b.field])).toEqual([
      ['max_lifetime_days', 'expires_at'],
      ['allowed_scopes', 'scopes'],
      ['required_cidrs', 'allowed_cidrs'],
    ]);
  });
});

describe(tokenBreaches.name, () => {
  const token: TokenTerms & { createdAt: Date; lastUsedAt: Date | null } = {
    scopes: ['deploy:write'],
    allowedCidrs: ['10.0.0.0/8'],
    createdAt: inDays(-10),
    expiresAt: inDays(10),
    lastUsedAt: inDays(-1),
    dpopJkt: null,
    machine: false,
  };
  // [case, the token's fields, the rules broken]
  const TABLE: [string, Partial<typeof token>, PolicyRule[]][] = [
    ['keeps every rule', {}, []],
    ['lives longer than the maximum', { expiresAt: inDays(21) }, ['max_lifetime_days']],
    ['never expires', { expiresAt: null }, ['max_lifetime_days']],
    ['unrestricted scopes', { scopes: null }, ['allowed_scopes']],
    ['usable anywhere', { allowedCidrs: null }, ['required_cidrs']],
    [
      'unused for 91 days',
      { lastUsedAt: inDays(-91), createdAt: inDays(-100), expiresAt: inDays(-75) },
      ['inactivity_revoke_days'],
    ],
    [
      'never used, made 91 days ago',
      { lastUsedAt: null, createdAt: inDays(-91), expiresAt: inDays(-70) },
      ['inactivity_revoke_days'],
    ],
    [
      'unused for 89 days',
      { lastUsedAt: inDays(-89), createdAt: inDays(-100), expiresAt: inDays(-75) },
      [],
    ],
  ];

  it.each(TABLE)('%s', (_case, fields, broken) => {
    const sut = tokenBreaches(STRICT, { ...token, ...fields }, NOW);
    expect(sut.map((b) => b.rule)).toEqual(broken);
  });

  it('under require_expiry, a token with no expiry breaks that rule, not the maximum', () => {
    const sut = tokenBreaches(
      { ...STRICT, requireExpiry: true },
      { ...token, expiresAt: null },
      NOW,
    );
    expect(sut.map((b) => b.rule)).toEqual(['require_expiry']);
  });

  it('no policy: nothing breaks', () => {
    const open = { ...token, scopes: null, allowedCidrs: null, expiresAt: null, lastUsedAt: null };
    expect(tokenBreaches(NO_POLICY, { ...open, createdAt: inDays(-5000) }, NOW)).toEqual([]);
  });
});

describe('require_dpop', () => {
  // Every rule × bound or not × holder kind: only an unbound token the rule covers breaks it.
  const CASES = [null, ...REQUIRE_DPOP].flatMap((rule) =>
    [JKT, null].flatMap((dpopJkt) =>
      [false, true].map((machine) => ({
        rule,
        dpopJkt,
        machine,
        breaks: dpopJkt === null && (rule === 'all' || (rule === 'machines' && machine)),
      })),
    ),
  );

  it.each(CASES)(
    'rule $rule, key $dpopJkt, machine $machine: breaks it, $breaks',
    ({ rule, dpopJkt, machine, breaks }) => {
      const policy = { ...NO_POLICY, requireDpop: rule };
      const issued = governIssue(policy, ask({ dpopJkt, machine }), NOW);
      const held = tokenBreaches(
        policy,
        { ...ask({ dpopJkt, machine }), createdAt: NOW, lastUsedAt: null },
        NOW,
      );
      const expected = breaks ? [['require_dpop', 'dpop_jkt']] : [];
      expect(issued.breaches.map((b) => [b.rule, b.field])).toEqual(expected);
      expect(held.map((b) => [b.rule, b.field])).toEqual(expected);
      expect(issued.terms.dpopJkt).toBe(dpopJkt);
    },
  );
});
