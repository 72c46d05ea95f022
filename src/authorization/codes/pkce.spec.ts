import { PKCE_VALUE, s256Challenge, verifierMatches } from './pkce';

describe('PKCE', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  it('derives the S256 challenge of RFC 7636 Appendix B', () => {
    expect(s256Challenge(verifier)).toBe(challenge);
  });

  it('takes the verifier whose S256 is the challenge', () => {
    expect(verifierMatches(verifier, challenge)).toBe(true);
  });

  it.each([
    ['no verifier', undefined],
    ['a null verifier', null],
    ['the challenge itself (plain)', challenge],
    ['a verifier one character off', `${verifier.slice(0, -1)}Y`],
    ['a verifier too short', verifier.slice(0, 42)],
    ['a verifier outside the unreserved set', `${verifier.slice(0, -1)}+`],
  ])('refuses %s', (_what, presented) => {
    expect(verifierMatches(presented, challenge)).toBe(false);
  });

  it('holds values to 43–128 unreserved characters', () => {
    expect(PKCE_VALUE.test('a'.repeat(43))).toBe(true);
    expect(PKCE_VALUE.test('~._-'.repeat(32))).toBe(true);
    expect(PKCE_VALUE.test('a'.repeat(42))).toBe(false);
    expect(PKCE_VALUE.test('a'.repeat(129))).toBe(false);
    expect(PKCE_VALUE.test(`${'a'.repeat(42)}=`)).toBe(false);
  });
});
