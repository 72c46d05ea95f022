import { TokenError } from '../token-error';
import { narrowed, Narrowing } from './token-narrowing';

const DAY = 86_400_000;
const soon = new Date(Date.now() + 10 * DAY);
const sooner = new Date(Date.now() + 5 * DAY);
const later = new Date(Date.now() + 20 * DAY);

const restricted = {
  scopes: ['audit:read', 'deploy:*'],
  expiresAt: soon,
  allowedCidrs: ['10.0.0.0/8'],
  rateLimitPerMinute: 100,
  usesLimit: 1000 as number | null,
};
const free = {
  scopes: null,
  expiresAt: null,
  allowedCidrs: null,
  rateLimitPerMinute: null,
  usesLimit: null,
};

/** What the table says of one asked edit: allowed (the edit), or refused at this field's loc. */
type Verdict =
  | 'narrows'
  | 'same'
  | 'scopes'
  | 'expires_at'
  | 'allowed_cidrs'
  | 'rate_limit_per_minute'
  | 'uses_limit';

/** Every field, every direction, against a restricted token and an unrestricted one. */
const TABLE: [string, typeof restricted | typeof free, Narrowing, Verdict][] = [
  ['scopes: a subset', restricted, { scopes: ['audit:read'] }, 'narrows'],
  ['scopes: none at all', restricted, { scopes: [] }, 'narrows'],
  ['scopes: within a wildcard', restricted, { scopes: ['deploy:prod'] }, 'narrows'],
  ['scopes: the same', restricted, { scopes: ['audit:read', 'deploy:*'] }, 'same'],
  ['scopes: one more', restricted, { scopes: ['audit:read', 'tokens:admin'] }, 'scopes'],
  ['scopes: a wider wildcard', restricted, { scopes: ['audit:*'] }, 'scopes'],
  ['scopes: unrestricted', restricted, { scopes: null }, 'scopes'],
  ['scopes: from unrestricted to a list', free, { scopes: ['x:y'] }, 'narrows'],
  ['expires_at: sooner', restricted, { expiresAt: sooner }, 'narrows'],
  ['expires_at: later', restricted, { expiresAt: later }, 'expires_at'],
  ['expires_at: never', restricted, { expiresAt: null }, 'expires_at'],
  ['expires_at: the same instant', restricted, { expiresAt: new Date(soon) }, 'same'],
  ['expires_at: from never to a date', free, { expiresAt: later }, 'narrows'],
  ['allowed_cidrs: within', restricted, { allowedCidrs: ['10.1.0.0/16'] }, 'narrows'],
  ['allowed_cidrs: elsewhere', restricted, { allowedCidrs: ['11.0.0.0/8'] }, 'allowed_cidrs'],
  ['allowed_cidrs: a wider net', restricted, { allowedCidrs: ['0.0.0.0/0'] }, 'allowed_cidrs'],
  [
    'allowed_cidrs: one within and one not',
    restricted,
    { allowedCidrs: ['10.1.0.0/16', '192.168.0.0/16'] },
    'allowed_cidrs',
  ],
  ['allowed_cidrs: anywhere', restricted, { allowedCidrs: null }, 'allowed_cidrs'],
  ['allowed_cidrs: from anywhere to one', free, { allowedCidrs: ['10.0.0.0/8'] }, 'narrows'],
  ['rate_limit_per_minute: lower', restricted, { rateLimitPerMinute: 50 }, 'narrows'],
  [
    'rate_limit_per_minute: higher',
    restricted,
    { rateLimitPerMinute: 101 },
    'rate_limit_per_minute',
  ],
  [
    'rate_limit_per_minute: none',
    restricted,
    { rateLimitPerMinute: null },
    'rate_limit_per_minute',
  ],
  ['rate_limit_per_minute: from none to one', free, { rateLimitPerMinute: 1 }, 'narrows'],
  ['uses_limit: lower', restricted, { usesLimit: 999 }, 'narrows'],
  ['uses_limit: the same', restricted, { usesLimit: 1000 }, 'same'],
  ['uses_limit: higher', restricted, { usesLimit: 1001 }, 'uses_limit'],
  ['uses_limit: from none to one', free, { usesLimit: 5 }, 'narrows'],
];

describe(narrowed.name, () => {
  it.each(TABLE)('%s', (_name, token, asked, verdict) => {
    if (verdict === 'narrows' || verdict === 'same') {
      const edits = narrowed(token, asked);
      expect(edits).toEqual(verdict === 'same' ? {} : asked);
      return;
    }
    let thrown: unknown;
    try {
      narrowed(token, asked);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TokenError);
    const error = thrown as TokenError;
    expect({
      code: error.code,
      status: error.status,
      locs: error.issues?.map((i) => i.loc),
    }).toEqual({ code: 'WIDENING_NOT_ALLOWED', status: 403, locs: [['body', verdict]] });
  });

  it('names every widening field at once, and changes nothing when one widens', () => {
    expect(() =>
      narrowed(restricted, {
        scopes: ['audit:read'],
        expiresAt: later,
        rateLimitPerMinute: 500,
      }),
    ).toThrow(
      expect.objectContaining({
        issues: [
          expect.objectContaining({ loc: ['body', 'expires_at'] }),
          expect.objectContaining({ loc: ['body', 'rate_limit_per_minute'] }),
        ],
      }),
    );
  });
});
