import type { JWTPayload } from 'jose';
import { createHash } from 'node:crypto';
import {
  accessTokenHash,
  type DpopCheck,
  type DpopProofReason,
  verifyDpopProof,
} from './dpop-proof';
import {
  check,
  NOW,
  outcome,
  proof,
  type Signer,
  signers,
  TOKEN,
  URL_,
  WINDOW,
} from '../../../test/fixtures/dpop-proof';

const HOST = 'api.latchkey.example';
const ATH = createHash('sha256').update(TOKEN).digest('base64url');
const TOKEN_SENT: Partial<DpopCheck> = { accessToken: TOKEN };
const NONCE = 'eyJ7S_zG.eyJH0-Z.HX4w-7v';
const NONCE_ASKED: Partial<DpopCheck> = { nonce: NONCE };
const NONCE_TESTED: Partial<DpopCheck> = { nonce: (nonce) => nonce === NONCE };

let es256: Signer;
beforeAll(async () => {
  ({ es256 } = await signers());
});

// The request a proof was made for: its claims, held to check() changed by the third column.
describe(`${verifyDpopProof.name}: the request a proof names`, () => {
  it.each<[string, JWTPayload, Partial<DpopCheck>, DpopProofReason | 'passed']>([
    ['htm GET for a POST', { htm: 'GET' }, {}, 'htm'],
    ['htm in lower case', { htm: 'post' }, {}, 'htm'],
    ['htm missing', { htm: undefined }, {}, 'htm'],
    ['htu of another host', { htu: 'https://evil.example/v1/tokens' }, {}, 'htu'],
    ['htu of another path', { htu: `https://${HOST}/v1/token` }, {}, 'htu'],
    ['htu with a trailing slash', { htu: `https://${HOST}/v1/tokens/` }, {}, 'htu'],
    ['htu climbing out', { htu: `https://${HOST}/v1/tokens/../businesses` }, {}, 'htu'],
    ['htu over http', { htu: `http://${HOST}/v1/tokens` }, {}, 'htu'],
    ['htu on another port', { htu: `https://${HOST}:8443/v1/tokens` }, {}, 'htu'],
    ['htu with a user', { htu: `https://user@${HOST}/v1/tokens` }, {}, 'htu'],
    ['htu of a path alone', { htu: '/v1/tokens' }, {}, 'htu'],
    ['htu missing', { htu: undefined }, {}, 'htu'],
    ['htu with a query (ignored)', { htu: `${URL_}?foo=bar` }, {}, 'passed'],
    ['htu with a fragment (ignored)', { htu: `${URL_}#frag` }, {}, 'passed'],
    ['htu in capitals', { htu: `HTTPS://${HOST.toUpperCase()}/v1/tokens` }, {}, 'passed'],
    ['htu with the default port', { htu: `https://${HOST}:443/v1/tokens` }, {}, 'passed'],
    ['htu with an escaped letter', { htu: `https://${HOST}/v1/%74okens` }, {}, 'passed'],
    ['iat a window ago', { iat: NOW - WINDOW }, {}, 'passed'],
    ['iat a window ahead', { iat: NOW + WINDOW }, {}, 'passed'],
    ['iat a second staler than the window', { iat: NOW - WINDOW - 1 }, {}, 'iat'],
    ['iat a second further ahead than it', { iat: NOW + WINDOW + 1 }, {}, 'iat'],
    ['iat a day old', { iat: NOW - 86_400 }, {}, 'iat'],
    ['iat in fractions', { iat: NOW + 0.5 }, {}, 'iat'],
    ['iat as a string', { iat: String(NOW) as never }, {}, 'iat'],
    ['iat missing', { iat: undefined }, {}, 'iat'],
    ['iat against a clock that reads NaN', {}, { nowSeconds: Number.NaN }, 'iat'],
    ['iat against a NaN window', {}, { windowSeconds: Number.NaN }, 'iat'],
    ['ath of the token presented', { ath: ATH }, TOKEN_SENT, 'passed'],
    ['ath missing though a token is presented', {}, TOKEN_SENT, 'ath'],
    ['ath of another token', { ath: accessTokenHash(`${TOKEN}x`) }, TOKEN_SENT, 'ath'],
    ['ath in hex', { ath: createHash('sha256').update(TOKEN).digest('hex') }, TOKEN_SENT, 'ath'],
    ['ath that is the token itself', { ath: TOKEN }, TOKEN_SENT, 'ath'],
    ['ath with no token presented (a token request: ignored)', { ath: 'x' }, {}, 'passed'],
    ['jti missing', { jti: undefined }, {}, 'jti'],
    ['jti empty', { jti: '' }, {}, 'jti'],
    ['jti a number', { jti: 42 as never }, {}, 'jti'],
    ['jti of 257 characters', { jti: 'j'.repeat(257) }, {}, 'jti'],
    ['jti of 256 characters', { jti: 'j'.repeat(256) }, {}, 'passed'],
    ['nonce the one required', { nonce: NONCE }, NONCE_ASKED, 'passed'],
    ['nonce missing when one is required', {}, NONCE_ASKED, 'nonce'],
    ['nonce another', { nonce: `${NONCE}w` }, NONCE_ASKED, 'nonce'],
    ['nonce a number', { nonce: 7 }, NONCE_ASKED, 'nonce'],
    ['nonce when none is required (ignored)', { nonce: 'x' }, {}, 'passed'],
    ['nonce the server test accepts', { nonce: NONCE }, NONCE_TESTED, 'passed'],
    ['nonce the server test refuses', { nonce: `${NONCE}w` }, NONCE_TESTED, 'nonce'],
    ['nonce missing, for the server test', {}, NONCE_TESTED, 'nonce'],
    [
      'nonce missing from a stale proof (the other fault is said)',
      { iat: NOW - 600 },
      NONCE_TESTED,
      'iat',
    ],
    [
      'nonce missing from a proof of another token',
      { ath: 'x' },
      { ...NONCE_TESTED, ...TOKEN_SENT },
      'ath',
    ],
  ])('%s', async (_, claims, request, expected) => {
    expect(await outcome(await proof(es256, { claims }), check(request))).toBe(expected);
  });

  it('computes ath as base64url(SHA-256(token))', () => {
    expect(accessTokenHash(TOKEN)).toBe(ATH);
  });

  it('matches any of the URLs the server is reached at, and ignores one that does not parse', async () => {
    const urls = ['http://[bad', 'http://10.0.0.7:3000/v1/tokens?x=1', URL_];
    const internal = await proof(es256, { claims: { htu: 'http://10.0.0.7:3000/v1/tokens' } });
    expect(await outcome(internal, check({ urls }))).toBe('passed');
    expect(await outcome(await proof(es256), check({ urls: ['http://[bad'] }))).toBe('htu');
  });
});
