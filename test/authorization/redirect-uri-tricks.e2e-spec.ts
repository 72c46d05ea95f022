import {
  acceptsRedirectUri,
  REDIRECT_URI_MATCHES,
  redirectUriProblem,
} from '../../src/authorization/clients/redirect-uris';

/**
 * The redirect URI rules as an attacker tries them: each presented URI against what the client
 * registered, and each URI a client might try to register. Matching is on strings, so every
 * trick that leans on a parser's normalizing must miss.
 */
describe('redirect URIs', () => {
  const APP = 'https://app.example/cb';

  // [registered, presented, accepted]
  const MATCHES: [string, string, boolean][] = [
    [APP, APP, true],
    [APP, 'https://app.example/cb/../evil', false],
    [APP, 'https://app.example/cb/..', false],
    [APP, 'https://app.example/cbx', false],
    [APP, 'https://app.example/cb/', false],
    [APP, 'https://app.example/cb/more', false],
    [APP, 'https://app.example/CB', false],
    [APP, 'https://APP.example/cb', false],
    [APP, 'https://app.example/cb#frag', false],
    [APP, 'https://app.example/cb?x=1', false],
    [APP, 'https://app.example@evil.example/cb', false],
    [APP, 'https://evil.example@app.example/cb', false],
    [APP, 'http://app.example/cb', false],
    [APP, 'https://app.example./cb', false],
    [APP, 'https://app.example:443/cb', false],
    [APP, 'https://app.example/c%62', false],
    [APP, 'https://app.example/cb%2f..%2fevil', false],
    [APP, 'https://app.example%2eevil.example/cb', false],
    [APP, ' https://app.example/cb', false],
    [APP, 'https://app.example/cb\\..\\evil', false],
    // RFC 8252 §7.3: any port on the same loopback literal and path.
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb', true],
    ['http://127.0.0.1:8080/cb', 'http://127.0.0.1:51004/cb', true],
    ['http://127.0.0.1/cb', 'http://127.0.0.1/cb', true],
    ['http://[::1]/cb', 'http://[::1]:51004/cb', true],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb/', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51004/cbx', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb?x', false],
    ['http://127.0.0.1/cb', 'http://[::1]:51004/cb', false],
    ['http://[::1]/cb', 'http://127.0.0.1:51004/cb', false],
    ['http://127.0.0.1/cb', 'http://localhost:51004/cb', false],
    ['http://127.0.0.1/cb', 'https://127.0.0.1:51004/cb', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51004@evil.example/cb', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1.evil.example:51004/cb', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:0/cb', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:99999/cb', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb#x', false],
    ['http://127.0.0.1/cb', 'http://2130706433:51004/cb', false],
    ['http://127.0.0.1/cb', 'http://127.1:51004/cb', false],
    ['http://127.0.0.1/cb', 'http://[::ffff:127.0.0.1]:51004/cb', false],
    // localhost is a name, not a loopback literal: matched exactly, port included.
    ['http://localhost:3000/cb', 'http://localhost:3000/cb', true],
    ['http://localhost:3000/cb', 'http://localhost:3001/cb', false],
    ['http://localhost/cb', 'http://localhost:3001/cb', false],
    ['http://localhost/cb', 'http://127.0.0.1:3001/cb', false],
    // A private-use scheme (RFC 8252 §7.1): exact.
    ['com.example.app:/cb', 'com.example.app:/cb', true],
    ['com.example.app:/cb', 'com.example.app:/cb/x', false],
    ['com.example.app:/cb', 'com.example.evil:/cb', false],
  ];

  it.each(MATCHES)('registered %s, presented %s: accepted %s', (registered, presented, ok) => {
    expect(acceptsRedirectUri([registered], presented)).toBe(ok);
  });

  it('has a why for every way of matching', () => {
    for (const rule of REDIRECT_URI_MATCHES) expect(rule.why.length).toBeGreaterThan(20);
  });

  // [uri, refused because (a part of the rule), or null when it may be registered]
  const REGISTRATIONS: [string, string | null][] = [
    [APP, null],
    ['https://app.example/cb?from=agent', null],
    ['http://127.0.0.1/cb', null],
    ['http://127.0.0.1:8080/cb', null],
    ['http://[::1]/cb', null],
    ['http://localhost:3000/cb', null],
    ['com.example.app:/oauth2redirect', null],
    ['https://app.example/cb#', 'fragment'],
    ['https://app.example/cb#x', 'fragment'],
    ['https://user@app.example/cb', 'user name'],
    ['https://user:pw@app.example/cb', 'user name'],
    ['https://app.example@evil.example/cb', 'user name'],
    ['https://app.example/cb/../evil', 'path segments'],
    ['https://app.example/./cb', 'path segments'],
    ['https://app.example/%2e%2e/cb', 'path segments'],
    ['http://app.example/cb', 'https'],
    ['http://10.0.0.1/cb', 'https'],
    ['http://127.0.0.2/cb', 'https'],
    ['http://127.0.0.1:0/cb', 'https'],
    ['ftp://app.example/cb', 'https'],
    ['javascript:alert(1)', 'https'],
    ['data:text/html,hi', 'https'],
    ['file:///etc/passwd', 'https'],
    ['myapp:/cb', 'https'],
    ['HTTPS://app.example/cb', 'lower-case'],
    ['https://APP.example/cb', 'lower-case'],
    ['https://app.example/c b', 'spaces'],
    ['https://app.example/cb\n', 'spaces'],
    ['https://app.example\\@evil.example/cb', 'backslashes'],
    ['/cb', 'absolute'],
    ['', 'absolute'],
    [`https://app.example/${'a'.repeat(600)}`, 'bytes'],
  ];

  it.each(REGISTRATIONS)('registering %j: refused for %s', (uri, because) => {
    const problem = redirectUriProblem(uri);
    if (because === null) expect(problem).toBeNull();
    else expect(problem).toContain(because);
  });
});
