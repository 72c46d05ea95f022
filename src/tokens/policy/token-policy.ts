import {
  TARGETS,
  type ActionRule,
  type CallerClass,
  type Cell,
  type Row,
  type TargetClass,
  type TokenAction,
  type Verdict,
} from './token-policy-terms';

/**
 * Who may act on whose token: the one policy every route and CLI command that issues, rotates,
 * edits, revokes, disables, enables or re-issues a token asks (`policy-decision.ts` answers from
 * the table below). docs/security.md prints it (`npm run docs:policy`; `test/docs/docs.e2e-spec.ts`
 * holds the two equal), and `test/governance/token-policy.e2e-spec.ts` runs every cell against a live app.
 *
 * People make their own tokens: a token is issued or rotated only for the caller's own identity
 * or a machine identity the caller manages, and each named exception (an owner's, a new member's
 * or a re-issued first token) carries its reason. Revoking and renaming only take power away, so
 * they follow "who may act on whom": an owner over everyone, an admin over all but owners.
 */

const others = (cell: Cell) => ({ owner: cell, admin: cell, member: cell });
const manage = (verdict: Verdict, otherwise: Verdict = 'hide'): Cell => ({
  scope: 'tokens:admin',
  with: verdict,
  without: otherwise,
});
const everyone = (cell: Cell): Record<TargetClass, Cell> => ({
  self: cell,
  machine: cell,
  ...others(cell),
  unknown: cell,
});

/**
 * A retiring token's row, for every action: refused, before anything is looked up (the guard
 * closes every write but revocation to it). Revocation reads the token first, so there an id
 * that names nobody stays 404, as for everyone. The one exception, revoking itself, is not a
 * target class but the calling token itself (`decideOnToken`).
 */
const RETIRING: Row = everyone('TOKEN_RETIRING');
const RETIRING_REVOKE: Row = { ...RETIRING, unknown: 'hide' };

/**
 * A token the exchange made: refused every action, before anything is looked up, except that it
 * may revoke itself (`decideOnToken`). It holds no standing secret, and minting one from it would
 * turn a job's short-lived credential into a lasting one, the secret federation exists to avoid;
 * a new token comes from a new exchange, under the trust rule's limits.
 */
const FEDERATED: Row = everyone('TOKEN_FEDERATED');
const FEDERATED_REVOKE: Row = { ...FEDERATED, unknown: 'hide' };

/** One's own tokens only: everyone else's is out of sight. */
const OWN_ONLY: Row = { ...everyone('hide'), self: 'allow' };
/**
 * The operator at a shell on a business's existing tokens: any holder's (it holds the database
 * already), audited with origin "cli"; it has no token of its own, and an id it cannot name is 404.
 */
const OPERATOR: Row = { ...everyone('allow'), self: 'none', unknown: 'hide' };

/** Issuing: for oneself (`self`), for a machine one manages, never for another person. */
const issuer = (self: Verdict): Row => ({
  self,
  machine: manage('allow', 'INSUFFICIENT_SCOPE'),
  ...others('NOT_TOKEN_HOLDER'),
  unknown: 'hide',
});

/** Acting on an existing token: one's own, and with tokens:admin a machine's and `onPeople`. */
const tokenManager = (self: Verdict, onPeople: Verdict, onOwners: Verdict = onPeople): Row => ({
  self,
  machine: manage('allow'),
  ...others(manage(onPeople)),
  owner: manage(onOwners),
  unknown: 'hide',
});

/** A platform route: only a platform admin (or the operator) reaches `target`. */
const platformOnly = (target: TargetClass): Partial<Record<CallerClass, Row>> => {
  const refused: Row = { ...everyone('none'), [target]: 'PLATFORM_ADMIN_REQUIRED' };
  const allowed: Row = { ...everyone('none'), [target]: 'allow' };
  return {
    owner: refused,
    admin: refused,
    member: refused,
    platform: allowed,
    cli: allowed,
    retiring: RETIRING,
    federated: FEDERATED,
  };
};

/** The table. Each cell is read after the gate; `unknown` answers 404 unless the row refuses all. */
export const TOKEN_POLICY: Record<TokenAction, ActionRule> = {
  issue: {
    routes: 'POST /api/v1/tokens (identity_id), cli tokens create',
    targets: TARGETS,
    gate: null,
    cells: {
      owner: issuer('allow'),
      admin: issuer('allow'),
      member: { ...everyone('INSUFFICIENT_ROLE'), self: 'allow' },
      platform: issuer('NOT_TOKEN_HOLDER'),
      // `tokens create` names the holder by email, and a machine identity has none.
      cli: { ...everyone('allow'), self: 'none', machine: 'none', unknown: 'hide' },
      retiring: RETIRING,
      federated: FEDERATED,
    },
    why:
      'People make their own tokens; a secret made for someone else is a way to act as them. ' +
      'Machines hold no secret of their own, so whoever manages them issues theirs. A member ' +
      'learns nothing about other ids: every one is 403. The CLI is the operator, who already ' +
      'holds the database; it issues for any member, audited with origin "cli". It names the ' +
      'holder by email, so never a machine, which has none.',
  },
  rotate: {
    routes: 'POST /api/v1/tokens/{token_id}/rotate, cli tokens rotate',
    targets: TARGETS,
    gate: null,
    cells: {
      owner: tokenManager('allow', 'NOT_TOKEN_HOLDER'),
      admin: tokenManager('allow', 'NOT_TOKEN_HOLDER'),
      member: OWN_ONLY,
      platform: tokenManager('none', 'NOT_TOKEN_HOLDER'),
      cli: OPERATOR,
      retiring: RETIRING,
      federated: FEDERATED,
    },
    why:
      "Rotation issues a new secret for the old token's identity, so it follows issuance: " +
      "one's own token, or a machine's. Another person's token may be revoked, not rotated. " +
      'The CLI rotates as it issues: for any member, audited with origin "cli".',
  },
  rename: {
    routes: 'PATCH /api/v1/tokens/{token_id}, cli tokens update',
    targets: TARGETS,
    gate: null,
    cells: {
      owner: tokenManager('allow', 'allow'),
      admin: tokenManager('allow', 'allow', 'INSUFFICIENT_ROLE'),
      member: OWN_ONLY,
      platform: tokenManager('none', 'allow'),
      cli: OPERATOR,
      retiring: RETIRING,
      federated: FEDERATED,
    },
    why:
      'Managing tokens (tokens:admin) lets owners and admins see every token. Only an owner ' +
      'acts on an owner, as only an owner may remove one. The same PATCH sets meta and narrows ' +
      'a token (scopes, expiry, networks, limits), which only takes power away; widening is ' +
      'refused to everyone (403 WIDENING_NOT_ALLOWED), the CLI included, which edits any ' +
      "holder's token of the business it names.",
  },
  revoke: {
    routes:
      'POST /api/v1/tokens/{token_id}/revoke, DELETE /api/v1/tokens/{token_id}, ' +
      'POST /api/v1/tokens/bulk-revoke, POST /platform/v1/tokens/{token_id}/revoke, ' +
      'POST /platform/v1/tokens/revoke, cli tokens revoke',
    targets: TARGETS,
    gate: null,
    cells: {
      owner: tokenManager('allow', 'allow'),
      admin: tokenManager('allow', 'allow', 'INSUFFICIENT_ROLE'),
      member: OWN_ONLY,
      // Its own platform token, through self/revoke or by value.
      platform: tokenManager('allow', 'allow'),
      cli: OPERATOR,
      retiring: RETIRING_REVOKE,
      federated: FEDERATED_REVOKE,
    },
    why:
      'Revoking takes power away and hands out no secret, so it follows "who may act on whom": ' +
      "an admin revoking an owner's tokens would remove an owner, which only an owner may do. " +
      'Bulk revoke skips the tokens the caller may not revoke.',
  },
  disable: {
    routes: 'POST /api/v1/tokens/{token_id}/disable, cli tokens disable',
    targets: TARGETS,
    gate: null,
    cells: {
      owner: tokenManager('allow', 'allow'),
      admin: tokenManager('allow', 'allow', 'INSUFFICIENT_ROLE'),
      member: OWN_ONLY,
      platform: tokenManager('none', 'allow'),
      cli: OPERATOR,
      retiring: RETIRING,
    },
    why:
      'Pausing takes power away for a while, so it follows revocation: an owner over everyone, ' +
      'an admin over everyone but owners, a member over their own tokens, and the CLI over ' +
      'any token of the business it names.',
  },
  enable: {
    routes: 'POST /api/v1/tokens/{token_id}/enable, cli tokens enable',
    targets: TARGETS,
    gate: null,
    cells: {
      owner: tokenManager('allow', 'allow'),
      admin: {
        ...tokenManager('INSUFFICIENT_ROLE', 'allow', 'INSUFFICIENT_ROLE'),
        admin: manage('INSUFFICIENT_ROLE'),
      },
      member: { ...OWN_ONLY, self: 'INSUFFICIENT_ROLE' },
      platform: tokenManager('none', 'allow'),
      cli: OPERATOR,
      retiring: RETIRING,
    },
    why:
      'Resuming hands power back, so it runs downward only: an owner resumes any token, an ' +
      "admin a member's or a machine's, and nobody but an owner their own, so a pause an owner " +
      "or admin puts on someone's token is not undone by that someone's other token. A disabled " +
      'token cannot call at all, so it never resumes itself. The operator at a shell resumes ' +
      'any token of the business it names, as it may revoke or rotate it.',
  },
  reissue: {
    routes: 'POST /api/v1/members/{identity_id}/token',
    targets: TARGETS,
    gate: { role: 'admin', scope: 'members:write' },
    cells: {
      owner: {
        self: 'allow',
        machine: 'hide',
        owner: 'NOT_TOKEN_HOLDER',
        admin: 'allow',
        member: 'allow',
        unknown: 'hide',
      },
      admin: {
        self: 'allow',
        machine: 'hide',
        owner: 'INSUFFICIENT_ROLE',
        admin: 'INSUFFICIENT_ROLE',
        member: 'allow',
        unknown: 'hide',
      },
      member: everyone('INSUFFICIENT_ROLE'),
      platform: { self: 'none', machine: 'hide', ...others('NOT_TOKEN_HOLDER'), unknown: 'hide' },
      retiring: RETIRING,
      federated: FEDERATED,
    },
    why:
      'Exception: a member who lost their first token needs a way back. The maker passes the ' +
      'secret on, so it acts only downward: an admin for a member, an owner for an admin or a ' +
      "member. An owner's is re-issued by nobody but that owner. Machines get tokens by issue.",
  },
  add_member: {
    routes: 'POST /api/v1/members (role), cli members add',
    targets: ['owner', 'admin', 'member'],
    gate: { role: 'admin', scope: 'members:write' },
    cells: {
      owner: { ...everyone('none'), ...others('allow') },
      admin: { ...everyone('none'), owner: 'INSUFFICIENT_ROLE', admin: 'allow', member: 'allow' },
      member: everyone('INSUFFICIENT_ROLE'),
      platform: { ...everyone('none'), ...others('NOT_TOKEN_HOLDER') },
      cli: { ...everyone('none'), owner: 'INSUFFICIENT_ROLE', admin: 'allow', member: 'allow' },
      retiring: RETIRING,
      federated: FEDERATED,
    },
    why:
      "Exception: a new member's first token goes to whoever adds them, to pass on. Only an " +
      "owner adds an owner. A platform token never receives a person's secret; a platform admin " +
      'gives a business its owner by creating the business. The operator adds admins and ' +
      'members, as an admin does, and receives the first token at the shell.',
  },
  create_business: {
    routes: 'POST /platform/v1/businesses (owner_email), cli businesses create',
    targets: ['owner'],
    gate: null,
    cells: platformOnly('owner'),
    why:
      "Exception: a new business's owner has no token yet, so the platform admin who creates " +
      "the business receives the first one, to pass on. With a new platform admin's first " +
      "token, these are the only people's secrets a platform token receives.",
  },
  add_platform_admin: {
    routes: 'POST /platform/v1/admins, cli bootstrap',
    targets: ['admin'],
    gate: null,
    cells: platformOnly('admin'),
    why:
      "Exception: a new platform admin's first platform token, as for a new member. `bootstrap` " +
      "is the operator's way back when every platform token is lost.",
  },
};
