import { approvalNeeded, approvalRuleOf, type ApprovalRule } from './approval-rule';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const inDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000);

describe('approvalNeeded', () => {
  const rule: ApprovalRule = { scopes: ['deploy:*'], lifetimeDaysOver: 30, machineTokens: true };
  const sut = (terms: Parameters<typeof approvalNeeded>[1]) =>
    approvalNeeded(rule, terms, NOW).map((n) => n.part);

  it.each([
    [['deploy:prod'], ['scopes']],
    [['deploy:*'], ['scopes']],
    [['deploy'], []],
    [['deployer:x'], []],
    [['audit:read'], []],
    [null, ['scopes']],
    [[], []],
  ])('scopes %j reach deploy:* → %j', (scopes, parts) => {
    expect(sut({ scopes, expiresAt: inDays(1), machine: false })).toEqual(parts);
  });

  it.each([
    [inDays(30), []],
    [inDays(31), ['lifetime_days_over']],
    [null, ['lifetime_days_over']],
  ])('an expiry of %s against 30 days → %j', (expiresAt, parts) => {
    expect(sut({ scopes: [], expiresAt, machine: false })).toEqual(parts);
  });

  it('names every part a token meets, in the order of the policy', () => {
    expect(sut({ scopes: null, expiresAt: null, machine: true })).toEqual([
      'scopes',
      'lifetime_days_over',
      'machine_tokens',
    ]);
  });

  it('holds nothing back without a rule, and a rule that marks nothing is none', () => {
    expect(approvalNeeded(null, { scopes: null, expiresAt: null, machine: true }, NOW)).toEqual([]);
    expect(approvalRuleOf({ scopes: [], lifetime_days_over: null, machine_tokens: false })).toBe(
      null,
    );
  });
});
