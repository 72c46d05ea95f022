import fc from 'fast-check';
import { subjectMatches } from './subject-glob';

describe(subjectMatches.name, () => {
  const branch = 'repo:acme/api:ref:refs/heads/*';
  it.each([
    [branch, 'repo:acme/api:ref:refs/heads/main', true],
    [branch, 'repo:acme/api:ref:refs/heads/feature/x', true],
    [branch, 'repo:acme/api:ref:refs/heads/', true],
    [branch, 'repo:acme/api:ref:refs/tags/v1', false],
    [branch, 'repo:acme/api:ref:refs/heads/main:environment:prod', false],
    [branch, 'repo:acme/api-evil:ref:refs/heads/main', false],
    ['repo:acme/*:environment:production', 'repo:acme/api:environment:production', true],
    ['repo:acme/*:environment:production', 'repo:acme/api:x:environment:production', false],
    ['repo:acme/api:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/main', true],
    ['repo:acme/api:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/mainx', false],
    ['repo:acme/a.i:*', 'repo:acme/abi:x', false],
    ['repo:acme/(api)+:*', 'repo:acme/(api)+:x', true],
    ['system:serviceaccount:ci:*', 'system:serviceaccount:ci:deployer', true],
    ['system:serviceaccount:ci:*', 'system:serviceaccount:prod:deployer', false],
  ])('%s against %s is %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });

  it('matches a pattern without * only to itself, and never lets * span a colon', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (prefix, middle, suffix) => {
        const literal = (prefix + suffix).replace(/\*/g, '');
        expect(subjectMatches(literal, literal)).toBe(true);
        const pattern = `${literal}:*:end`;
        const subject = `${literal}:${middle}:end`;
        expect(subjectMatches(pattern, subject)).toBe(!middle.includes(':'));
      }),
      { seed: 40, numRuns: 300 },
    );
  });
});
