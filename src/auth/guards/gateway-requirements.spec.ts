import { RequestValidationError } from '../../common/errors/domain-error';
import { gatewayRequirementsOf, requiredScopesOf } from './gateway-requirements';

const BUSINESS = '3f2b8c1e-5d4a-4c3b-9a2e-1f0e9d8c7b6a';

/** The loc and message of the 422 a call throws. */
function refusal(call: () => unknown): { loc: unknown; msg: string } {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(RequestValidationError);
    const [issue] = (e as RequestValidationError).issues;
    return { loc: issue.loc, msg: issue.msg };
  }
  throw new Error('expected a 422');
}

describe(gatewayRequirementsOf.name, () => {
  it('asks nothing when the gateway sets no header', () => {
    expect(gatewayRequirementsOf({})).toEqual({ businessId: null, scopes: [] });
  });

  it('reads the business lowercased, and the scopes', () => {
    expect(
      gatewayRequirementsOf({
        'x-latchkey-business': BUSINESS.toUpperCase(),
        'x-latchkey-require-scope': 'orders:read',
      }),
    ).toEqual({ businessId: BUSINESS, scopes: ['orders:read'] });
  });

  it.each(['not-a-uuid', `${BUSINESS}, ${BUSINESS}`, '', `${BUSINESS}\u0000`])(
    'refuses the business %j with 422 at its header',
    (value) => {
      expect(refusal(() => gatewayRequirementsOf({ 'x-latchkey-business': value })).loc).toEqual([
        'header',
        'x-latchkey-business',
      ]);
    },
  );
});

describe(requiredScopesOf.name, () => {
  it.each([
    ['orders:read', ['orders:read']],
    ['orders:read deploy:*', ['orders:read', 'deploy:*']],
    ['orders:read,deploy:*', ['orders:read', 'deploy:*']],
    [' orders:read ,\tdeploy:* , ', ['orders:read', 'deploy:*']],
    ['orders:read orders:read', ['orders:read']],
    // A header sent twice arrives joined by ", ": both sets are required.
    ['orders:read, billing:write', ['orders:read', 'billing:write']],
  ])('reads %j as %j', (value, scopes) => {
    expect(requiredScopesOf(value)).toEqual(scopes);
  });

  it.each([
    ['', 'at least one'],
    [' , ', 'at least one'],
    ['Orders:Read', 'segment(:segment)*'],
    ['orders:read"', 'segment(:segment)*'],
    ['orders:read\\', 'segment(:segment)*'],
    ['orders:read;x', 'segment(:segment)*'],
    ['a'.repeat(129), 'at most 128'],
    [Array.from({ length: 51 }, (_, i) => `s${i}`).join(' '), 'at most 50'],
    ['*', 'segment(:segment)*'],
    ['ordérs:read', 'segment(:segment)*'],
  ])('refuses %j with 422 at its header, without echoing it', (value, says) => {
    const { loc, msg } = refusal(() => requiredScopesOf(value));
    expect(loc).toEqual(['header', 'x-latchkey-require-scope']);
    expect(msg).toContain(says);
  });

  it('refuses the same bad value every time (a parsed value is kept only when good)', () => {
    refusal(() => requiredScopesOf('bad scope!'));
    refusal(() => requiredScopesOf('bad scope!'));
  });

  it('stays bounded however many distinct values it meets', () => {
    for (let i = 0; i < 2000; i++) expect(requiredScopesOf(`s${i}`)).toEqual([`s${i}`]);
  });
});
