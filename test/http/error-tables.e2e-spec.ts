import { AUDIT_ERRORS } from '../../src/audit/audit-error';
import { WEBHOOK_ERRORS } from '../../src/webhooks/webhook-error';
import { LEAK_ERRORS } from '../../src/leaks/leak-error';
import { FEDERATION_ERRORS } from '../../src/federation/federation-error';
import { GOVERNANCE_ERRORS } from '../../src/governance/governance-error';
import { SSF_ERRORS } from '../../src/ssf/ssf-error';
import { INVITATION_ERRORS } from '../../src/invitations/invitation-error';
import { APPROVAL_ERRORS } from '../../src/approvals/approval-error';
import { SSO_ERRORS } from '../../src/sso/sso-error';
import { AUTH_ERRORS } from '../../src/auth/auth-error';
import { COMMON_ERRORS } from '../../src/common/errors/error-codes';
import { TENANCY_ERRORS, TenancyError } from '../../src/tenancy/tenancy-error';
import { TOKEN_ERRORS, TokenError } from '../../src/tokens/token-error';
import { ERROR_STATUS } from '../harness/app/error-status';

describe('ERROR_STATUS', () => {
  const tables = [
    COMMON_ERRORS,
    AUTH_ERRORS,
    TENANCY_ERRORS,
    TOKEN_ERRORS,
    AUDIT_ERRORS,
    WEBHOOK_ERRORS,
    LEAK_ERRORS,
    FEDERATION_ERRORS,
    GOVERNANCE_ERRORS,
    SSF_ERRORS,
    INVITATION_ERRORS,
    APPROVAL_ERRORS,
    SSO_ERRORS,
  ];
  const rows = tables.flatMap((table) =>
    Object.entries(table).map(([code, { status }]) => [code, status] as const),
  );

  it.each(rows)('holds %s with its status %d', (code, status) => {
    expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS]).toContain(status);
  });

  it('holds nothing the features do not declare', () => {
    const declared = new Set(rows.map(([code, status]) => `${code} ${status}`));
    const held = Object.entries(ERROR_STATUS).flatMap(([code, statuses]) =>
      statuses.map((s) => `${code} ${s}`),
    );
    expect(held.sort()).toEqual([...declared].sort());
  });

  it('gives INVALID_TOKEN both of its meanings, and every other code one status', () => {
    const twofold = Object.entries(ERROR_STATUS).filter(([, statuses]) => statuses.length > 1);
    expect(twofold).toEqual([['INVALID_TOKEN', [401, 422]]]);
  });

  it('gives a code one message wherever it is declared', () => {
    const messages = new Map<string, Set<string>>();
    for (const table of tables) {
      for (const [code, { message }] of Object.entries(table)) {
        messages.set(code, (messages.get(code) ?? new Set()).add(message));
      }
    }
    expect([...messages].filter(([, m]) => m.size > 1)).toEqual([]);
  });

  it("lets a feature's error class take only that feature's codes", () => {
    // The compiler is the check (npm run typecheck covers specs): each line must not compile.
    const wrong = [
      // @ts-expect-error a tenancy code thrown as a token error
      () => new TokenError('LAST_OWNER', 'x'),
      // @ts-expect-error a token code thrown as a tenancy error
      () => new TenancyError('TOKEN_NOT_FOUND', 'x'),
      // @ts-expect-error an auth code thrown as a token error
      () => new TokenError('BUSINESS_SUSPENDED', 'x'),
    ];
    expect(wrong).toHaveLength(3);
  });
});
