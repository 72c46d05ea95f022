import type { Response } from 'supertest';
import { CLI_CALLER, decide, Decision } from '../../src/tokens/policy/policy-decision';
import { TOKEN_POLICY } from '../../src/tokens/policy/token-policy';
import { TargetClass, TokenAction, Verdict } from '../../src/tokens/policy/token-policy-terms';
import { addMember, BusinessFixture, createToken } from '../factories/tenancy.factory';
import { asMember, asOwner, me, removeMember } from '../harness/app/api';
import { cliInProcess, CliResult } from '../harness/app/cli';
import { TestApp } from '../harness/app/test-app';
import { uniqueEmail } from '../factories/unique';

/**
 * The harness of cli-policy.e2e-spec.ts: the world every case works in, what a CLI command of a
 * policy action must say of itself, the cases of a command's cli row, and the two ways a run can
 * end (refused, changing nothing; or allowed, doing what it says and audited).
 */

export const SECRET = /lk_[0-9A-Za-z]{36}/;
/** What `tokens create`, `tokens rotate` and `bootstrap` print: the secret alone. */
export const SECRET_LINE = /^lk_[0-9A-Za-z]{36}\n$/;

export type Person = { id: string; email: string; token: string };
export type PersonRole = 'owner' | 'admin' | 'member';

/** What every case works in, made once per driver. */
export interface World {
  t: TestApp;
  /** The CLI's environment: the app's database, nothing else. */
  env: Record<string, string>;
  /** Made by the CLI itself (`businesses create`), so the database holds its writes. */
  biz: BusinessFixture;
  /** A person of each role in `biz` (the owner is a second one: the first adds people). */
  people: Record<PersonRole, Person>;
  machine: { id: string; name: string };
  /** The owner of another business: a real person, and no member of `biz`. */
  outsider: Person;
}

/** One run of the CLI. */
export interface Attempt {
  args: string[];
  /** On stdin (a secret is never given in argv). */
  input?: string;
  /** The existing token the command names: retired when allowed, untouched when refused. */
  token?: { id: string; secret: string };
  /** Whose token an allowed run issues, rotates or revokes. */
  holderId?: string;
  /** The person an allowed run adds. */
  email?: string;
}

/** The command has no way to name the target: why, and the proof. */
export interface Unreachable {
  unreachable: string;
  prove(): Promise<void>;
}

/** One CLI command of a policy action. */
export interface Command {
  action: TokenAction;
  /** As the action's `routes` names it after "cli ". */
  name: string;
  /** How the target is named, when the command has more than one way. */
  form?: string;
  /** The code printed for the policy's 404 (`hide`). */
  hiddenAs: string;
  /** The attempts that name `target`, built fresh for one case, or why there are none. */
  arrange(w: World, target: TargetClass): Promise<Attempt[] | Unreachable>;
  /** Checks what an allowed attempt did; returns the audit event it must have written. */
  expectDone(
    w: World,
    attempt: Attempt,
    run: CliResult,
    target: TargetClass,
  ): Promise<{ event: string; targetId: string }>;
}

export const freshEmail = (label: string) => uniqueEmail(label, 'cli-policy.test');
export const json = <T = Record<string, unknown>>(text: string) => JSON.parse(text) as T;

/** The status, with the body shown when it is not the one expected. */
export function expectStatus(res: Response, status: number): void {
  expect({ status: res.status, body: res.status === status ? 'as expected' : res.body }).toEqual({
    status,
    body: 'as expected',
  });
}

export const tokenRow = async (t: TestApp, id: string) =>
  (await t.sql('SELECT * FROM api_tokens WHERE id = ?', [id]))[0];

/** What a refused command must leave as it was: every table a CLI command writes. */
async function snapshot(t: TestApp): Promise<Record<string, number>> {
  const [row] = await t.sql<Record<string, unknown>>(
    'SELECT (SELECT COUNT(*) FROM api_tokens) AS tokens,' +
      ' (SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL) AS revoked,' +
      ' (SELECT COUNT(*) FROM identities) AS identities,' +
      ' (SELECT COUNT(*) FROM identities WHERE is_platform_admin) AS platform_admins,' +
      ' (SELECT COUNT(*) FROM businesses) AS businesses,' +
      ' (SELECT COUNT(*) FROM memberships) AS memberships,' +
      " (SELECT COUNT(*) FROM audit_events WHERE origin = 'cli') AS cli_events",
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

/** A token that presented now is refused as revoked. */
export async function expectRevoked(w: World, secret: string): Promise<void> {
  const res = await me(w.t, asMember(secret, w.biz.id));
  expect({ status: res.status, code: res.body?.code }).toEqual({
    status: 401,
    code: 'TOKEN_REVOKED',
  });
}

/** A fresh token of the target: people make their own, the owner makes the machine's. */
export async function tokenOf(w: World, target: 'machine' | PersonRole) {
  const { id, secret } =
    target === 'machine'
      ? await createToken(w.t, asOwner(w.biz), { name: 'target', identity_id: w.machine.id })
      : await createToken(w.t, asMember(w.people[target].token, w.biz.id), { name: 'target' });
  return { id, secret };
}

export const holderOf = (w: World, target: 'machine' | PersonRole) =>
  target === 'machine' ? w.machine.id : w.people[target].id;

/**
 * The token of a person removed from the business: it names a real token and a real person,
 * who is no longer anyone the operator can act on in the business.
 */
export async function removedMembersToken(w: World) {
  const gone = await addMember(w.t, w.biz, 'member');
  const { id, secret } = await createToken(w.t, asMember(gone.token, w.biz.id), { name: 'gone' });
  expectStatus(await removeMember(w.t, asOwner(w.biz), gone.identityId), 200);
  return { id, secret };
}

/**
 * `self` is the caller's own identity, and the operator at a shell has none: the commands ask
 * the policy with no caller id ('' for issue and rotate, the author's null id for revoke), and
 * every token has a holder. The proof reads the database: every write the CLI made (the
 * setup's `businesses create` at least) names no actor, and no token is without a holder.
 */
export const noSelf = (w: World): Unreachable => ({
  unreachable: 'the CLI acts as no identity, so no holder is ever its own',
  async prove() {
    const writes = await w.t.sql<Record<string, unknown>>(
      "SELECT actor_id, actor_type, actor_label FROM audit_events WHERE origin = 'cli'",
    );
    expect(writes.length).toBeGreaterThan(0);
    expect(new Set(writes.map((r) => JSON.stringify(r)))).toEqual(
      new Set([JSON.stringify({ actor_id: null, actor_type: 'system', actor_label: 'cli' })]),
    );
    const [holderless] = await w.t.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM api_tokens WHERE identity_id IS NULL',
    );
    expect(Number(holderless.n)).toBe(0);
  },
});

/** A target a command has no attempt for yet: a cell added to the table fails loudly here. */
export const notWritten = (command: string, target: TargetClass): Unreachable => ({
  unreachable: `no attempt is written for ${command} on ${target}`,
  prove: () => Promise.reject(new Error(`write the attempt of ${command} on ${target}`)),
});

/** The attempt of a command that makes one kind of target only, for a person new to the world. */
export const forNewPerson =
  (command: string, only: TargetClass, label: string, args: (email: string) => string[]) =>
  (_w: World, target: TargetClass): Promise<Attempt[] | Unreachable> => {
    if (target !== only) return Promise.resolve(notWritten(command, target));
    const email = freshEmail(label);
    return Promise.resolve([{ args: args(email), email }]);
  };

// ------------------------------------------------------------------------------------------------
// The cases, and the two ways a run can end.

export interface Case {
  name: string;
  target: TargetClass;
  /** The cell as written: only it tells `—` (cannot arise) from a 404 that hides. */
  verdict: Verdict;
  expected: Decision;
}

export function casesOf(command: Command): Case[] {
  const rule = TOKEN_POLICY[command.action];
  const row = rule.cells.cli;
  if (!row) return [];
  return rule.targets.map((target) => {
    const cell = row[target];
    // The operator is unrestricted (its scopes are null), so a cell that asks for a scope
    // always gives its `with` verdict.
    const verdict = typeof cell === 'string' ? cell : cell.with;
    const expected = decide(command.action, CLI_CALLER, target);
    const outcome =
      verdict === 'none'
        ? '— (cannot arise)'
        : expected.allowed
          ? 'exit 0'
          : expected.status === 404
            ? `404 ${command.hiddenAs}`
            : `403 ${expected.code}`;
    return { name: `${target}: ${outcome}`, target, verdict, expected };
  });
}

/** Refused: exit 1, nothing on stdout, `shown` on stderr, and every table as it was. */
export async function expectRefused(w: World, attempt: Attempt, shown: string): Promise<void> {
  const before = await snapshot(w.t);
  const tokenBefore = attempt.token && (await tokenRow(w.t, attempt.token.id));
  const run = await cliInProcess(attempt.args, w.env, attempt.input);
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
  expect(run.stderr).toContain(shown);
  expect(run.stderr).not.toMatch(SECRET);
  expect(await snapshot(w.t)).toEqual(before);
  if (attempt.token) {
    expect(await tokenRow(w.t, attempt.token.id)).toEqual(tokenBefore);
    // A token that worked before still works: the refusal retired nothing.
    if (tokenBefore?.revoked_at === null) {
      expectStatus(await me(w.t, asMember(attempt.token.secret, w.biz.id)), 200);
    }
  }
}

/** Allowed: exit 0, the answer alone on stdout, its effect, and one audit event by nobody. */
export async function expectAllowed(
  w: World,
  command: Command,
  attempt: Attempt,
  target: TargetClass,
): Promise<void> {
  const run = await cliInProcess(attempt.args, w.env, attempt.input);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const { event, targetId } = await command.expectDone(w, attempt, run, target);
  const events = await w.t.sql(
    'SELECT actor_id, actor_type, actor_label FROM audit_events ' +
      "WHERE origin = 'cli' AND action = ? AND target_id = ?",
    [event, targetId],
  );
  expect({ event, events }).toEqual({
    event,
    events: [{ actor_id: null, actor_type: 'system', actor_label: 'cli' }],
  });
}
