import fc from 'fast-check';
import type { Actor, CallerToken } from '../auth/request-context';
import { RequestContext } from '../auth/request-context';
import { isSafeHeaderValue, verifiedHeaders } from './verified-headers';

const actor: Actor = {
  id: '7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b',
  kind: 'machine',
  label: 'machine:ci',
  isPlatformAdmin: false,
  email: null,
  name: 'ci',
};

function tokenOf(fields: Partial<CallerToken>): CallerToken {
  return {
    id: '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10',
    jti: 'j',
    businessId: '3f2b8c1e-5d4a-4c3b-9a2e-1f0e9d8c7b6a',
    scopes: ['orders:read', 'deploy:*'],
    createdAt: new Date('2026-01-01T00:00:00Z'),
    expiresAt: new Date('2026-06-30T12:00:00Z'),
    createdById: null,
    createdBy: 'cli',
    retiring: false,
    ...fields,
  };
}

const ctxOf = (token: CallerToken) => new RequestContext({ channel: 'api' } as never, actor, token);

describe(verifiedHeaders.name, () => {
  it('says who holds the token, for which business, with which scopes, until when', () => {
    expect(verifiedHeaders(ctxOf(tokenOf({})))).toEqual({
      'x-latchkey-token-id': '0d9f7a52-7c1e-4f0b-9f7e-2b1f6a3c9d10',
      'x-latchkey-business-id': '3f2b8c1e-5d4a-4c3b-9a2e-1f0e9d8c7b6a',
      'x-latchkey-identity-id': '7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b',
      'x-latchkey-identity-type': 'machine',
      'x-latchkey-scopes': 'orders:read deploy:*',
      'x-latchkey-expires-at': '2026-06-30T12:00:00.000Z',
      'x-latchkey-uses-remaining': '',
      'x-latchkey-status-list': '',
      'x-latchkey-check-online': '',
      'x-latchkey-meta': '',
    });
  });

  it("names the token's status-list entry as an RFC 8941 dictionary", () => {
    const statusList = { idx: 17, uri: 'https://latchkey.example.com/status-lists/1b3c8f0e' };
    expect(verifiedHeaders(ctxOf(tokenOf({ statusList })))['x-latchkey-status-list']).toBe(
      'idx=17, uri="https://latchkey.example.com/status-lists/1b3c8f0e"',
    );
  });

  it('tells unrestricted (*) from no scope at all (empty), and leaves empty what the token lacks', () => {
    const open = verifiedHeaders(
      ctxOf(tokenOf({ scopes: null, expiresAt: null, businessId: null })),
    );
    expect(open['x-latchkey-scopes']).toBe('*');
    expect(open['x-latchkey-expires-at']).toBe('');
    expect(open['x-latchkey-business-id']).toBe('');
    expect(verifiedHeaders(ctxOf(tokenOf({ scopes: [] })))['x-latchkey-scopes']).toBe('');
  });

  it('builds them once per verified token, and again for another actor', () => {
    const token = tokenOf({});
    const first = verifiedHeaders(ctxOf(token));
    expect(verifiedHeaders(ctxOf(token))).toBe(first);
    const other = new RequestContext({ channel: 'api' } as never, { ...actor, id: 'x' }, token);
    expect(verifiedHeaders(other)['x-latchkey-identity-id']).toBe('x');
  });

  it('names only what the role holds: a member’s list loses the admin built-ins, not its own', () => {
    const token = tokenOf({ scopes: ['orders:read', 'audit:read', 'introspect', 'members:*'] });
    const as = (role: 'member' | 'admin') =>
      new RequestContext({ channel: 'api' } as never, actor, { ...token }, null, role);
    expect(verifiedHeaders(as('member'))['x-latchkey-scopes']).toBe('orders:read introspect');
    expect(verifiedHeaders(as('admin'))['x-latchkey-scopes']).toBe(
      'orders:read audit:read introspect members:*',
    );
  });

  describe('x-latchkey-check-online: what the status list cannot carry', () => {
    const uses = { limit: 10, remaining: 7, period: 0, refill: null };
    const checkOnline = (fields: Partial<CallerToken>) =>
      verifiedHeaders(ctxOf(tokenOf(fields)))['x-latchkey-check-online'];

    it.each<[string, Partial<CallerToken>, string]>([
      ['no constraint', { allowedCidrs: null, rateLimitPerMinute: null, uses: null }, ''],
      ['networks', { allowedCidrs: ['10.0.0.0/8'] }, 'networks'],
      ['networks that allow nothing', { allowedCidrs: [] }, 'networks'],
      ['its own rate limit', { rateLimitPerMinute: 60 }, 'rate_limit'],
      [
        "its maker's shared window",
        { sharedLimitId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b', sharedLimitPerMinute: 30 },
        'rate_limit',
      ],
      ['a uses limit', { uses }, 'uses'],
      [
        'all of them, in a fixed order',
        {
          uses,
          rateLimitPerMinute: 5,
          sharedLimitId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b',
          sharedLimitPerMinute: 30,
          allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
        },
        'networks rate_limit uses',
      ],
      ['networks and uses', { allowedCidrs: ['192.168.0.0/16'], uses }, 'networks uses'],
    ])('%s: %j', (_name, fields, words) => {
      expect(checkOnline(fields)).toBe(words);
    });

    it('names a uses limit whatever its count, so the headers kept for the token stay true', () => {
      expect(checkOnline({ uses: { ...uses, remaining: 0 } })).toBe('uses');
      const token = tokenOf({ uses });
      const first = verifiedHeaders(ctxOf(token));
      expect(verifiedHeaders(ctxOf(token))).toBe(first);
    });

    it('is always a safe header value made of the fixed words alone', () => {
      const cidrs = fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined });
      const limit = fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined });
      fc.assert(
        fc.property(
          cidrs,
          limit,
          fc.option(fc.uuid()),
          fc.boolean(),
          (cidr, perMinute, shared, limited) => {
            const value = checkOnline({
              allowedCidrs: cidr,
              rateLimitPerMinute: perMinute,
              sharedLimitId: shared,
              sharedLimitPerMinute: shared === null ? null : 10,
              uses: limited ? uses : null,
            });
            const words = value === '' ? [] : value.split(' ');
            return (
              isSafeHeaderValue(value) &&
              words.every((w) => ['networks', 'rate_limit', 'uses'].includes(w)) &&
              new Set(words).size === words.length
            );
          },
        ),
        { seed: 20261126, numRuns: 300 },
      );
    });
  });

  it.each(['orders:read\r\nx-evil: 1', 'a\nb', 'nul\u0000', 'é', 'tab\there'])(
    'fails rather than answer a value that could split a header: a scope %j',
    (scope) => {
      expect(() => verifiedHeaders(ctxOf(tokenOf({ scopes: [scope] })))).toThrow(/unsafe/);
    },
  );
});

describe(isSafeHeaderValue.name, () => {
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 40,
  });

  it('never passes a value with a line break, a control character or non-ASCII anywhere', () => {
    fc.assert(
      fc.property(
        printable,
        printable,
        fc.constantFrom('\r', '\n', '\r\n', '\0', '\t', '\x7f', '\u0085', '\u2028', 'é', '\ud83d'),
        (before, after, bad) => {
          return !isSafeHeaderValue(`${before}${bad}${after}`);
        },
      ),
      { seed: 20261126, numRuns: 1000 },
    );
  });

  // Mostly ASCII (controls included), some of the rest of the BMP, lone surrogates included.
  const anyChar = fc
    .oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 0x7f }) },
      { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xffff }) },
    )
    .map((c) => String.fromCharCode(c));

  it('passes printable ASCII with no space at either end, and nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: anyChar, maxLength: 40 }), (value) => {
        const printableOnly = [...value].every((ch) => ch >= ' ' && ch <= '~');
        const trimmed = value.trim() === value;
        return isSafeHeaderValue(value) === (printableOnly && trimmed);
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });

  describe("x-latchkey-meta: the token's meta, for a relying party's middleware", () => {
    const withMeta = (meta: object | null) =>
      verifiedHeaders(ctxOf({ ...tokenOf({}), row: { meta } } as CallerToken))['x-latchkey-meta'];

    it('is base64url of the compact JSON, which decodes to the meta as stored', () => {
      const meta = { plan: 'pro', limits: { seats: 5 }, tags: ['a', 'b'] };
      const header = withMeta(meta);
      expect(header).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toEqual(meta);
    });

    it.each([
      ['a line break', { note: 'one\r\ntwo' }],
      ['quotes and a comma', { note: '"x", y=1' }],
      ['non-ASCII', { name: 'Zoë 東京 🔑' }],
      ['a NUL-free control', { note: '\u0007' }],
    ])('holds %s and still cannot split a header', (_name, meta) => {
      const header = withMeta(meta);
      expect(isSafeHeaderValue(header)).toBe(true);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toEqual(meta);
    });

    it('is empty for a token with no meta, and for one the verifier did not read', () => {
      expect(withMeta(null)).toBe('');
      expect(verifiedHeaders(ctxOf(tokenOf({})))['x-latchkey-meta']).toBe('');
    });
  });
});
