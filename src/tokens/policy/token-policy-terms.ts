import type { Role } from '../../auth/roles';

/**
 * The words the token policy is written in: what a caller does, who calls, whose token, and what
 * a cell answers. The rule itself, the table, is `token-policy.ts`; `policy-decision.ts` reads a
 * request's caller and target into these classes and answers from it.
 */

/** What the caller does. `add_member` issues the new member's first token to the caller. */
export const TOKEN_ACTIONS = [
  'issue',
  'rotate',
  'rename',
  'revoke',
  'disable',
  'enable',
  'reissue',
  'add_member',
  'create_business',
  'add_platform_admin',
] as const;
export type TokenAction = (typeof TOKEN_ACTIONS)[number];

/**
 * Who calls: a business token at its holder's role (a machine identity acts at its role, never
 * owner), a platform admin's platform token, the installation's operator at a shell, or a
 * retiring token (one in its rotation grace period, of any role), which may act on no token but
 * itself: its successor exists, and a secret on its way out must not mint or revoke others.
 * `federated` is a token the RFC 8693 exchange made for a workload's JWT (`origin: federation`),
 * of any role: a short-lived credential for one job, which makes no token and acts on no token
 * but itself.
 */
export const CALLERS = [
  'owner',
  'admin',
  'member',
  'platform',
  'cli',
  'retiring',
  'federated',
] as const;
export type CallerClass = (typeof CALLERS)[number];

/**
 * Whose token: the caller's own identity, a machine identity of the business, another person
 * at their role, or an id that names nobody the caller could act on. For `add_member` the target
 * is the role the new member is given.
 */
export const TARGETS = ['self', 'machine', 'owner', 'admin', 'member', 'unknown'] as const;
export type TargetClass = (typeof TARGETS)[number];

/** The 403 codes the policy answers with. */
export type DenyCode =
  | 'INSUFFICIENT_ROLE'
  | 'INSUFFICIENT_SCOPE'
  | 'NOT_TOKEN_HOLDER'
  | 'PLATFORM_ADMIN_REQUIRED'
  | 'TOKEN_RETIRING'
  | 'TOKEN_FEDERATED';

/**
 * `allow`, `hide` (404: the caller may not see it), a 403 code, or `none`: the case cannot arise
 * (a platform token is nobody's token in a business; the CLI has no identity, and its command
 * cannot name that target), answered 404.
 */
export type Verdict = 'allow' | 'hide' | 'none' | DenyCode;

/** A cell: a verdict, or one verdict when the calling token allows `scope` and one when not. */
export type Cell = Verdict | { scope: string; with: Verdict; without: Verdict };

/** A caller's row: a cell for every target. */
export type Row = Record<TargetClass, Cell>;

/** What every caller needs before the target is read: the route's role and scope. */
export interface Gate {
  role: Role;
  scope: string;
}

export interface ActionRule {
  /** The routes and commands this action covers. */
  routes: string;
  /** The targets the action can name. */
  targets: readonly TargetClass[];
  gate: Gate | null;
  /** Rows by caller; a caller with no row has no route or command for the action. */
  cells: Partial<Record<CallerClass, Row>>;
  /** Why the exceptions and refusals in this row are what they are. */
  why: string;
}
