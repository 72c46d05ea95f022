import { bearerTokenOf } from './bearer.guard';

// The same answers passport-http-bearer gives for the Authorization header.
describe(bearerTokenOf.name, () => {
  it.each([
    ['Bearer lk_abc', 'lk_abc'],
    ['bearer lk_abc', 'lk_abc'],
    ['BEARER lk_abc', 'lk_abc'],
  ])('reads the token of %j', (header, token) => {
    expect(bearerTokenOf(header)).toBe(token);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    'Bearer a b',
    'Bearer  lk_abc',
    'Bearerx lk_abc',
    'lk_abc',
  ])('finds no credential in %j', (header) => {
    expect(bearerTokenOf(header)).toBeNull();
  });
});
