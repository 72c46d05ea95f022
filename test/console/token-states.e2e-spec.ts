import type { Response } from 'supertest';
import {
  TOKEN_STATE_ACTIONS,
  type TokenStateFields,
  tokenState,
  type TokenStateAction,
} from '../../console/src/ui/tokens/token-state';
import { policyAllows } from '../../console/src/permissions';
import {
  BusinessFixture,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, getToken, me, postToken, revoke, rotate } from '../harness/app/api';
import { dbTime } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';

/**
 * Holds the console's reading of a token's state (console/src/ui/tokens/token-state.ts) to
 * the server's, state by state and action by action. No expected is written here: each cell puts
 * a fresh token in its state through the API, reads its view as the console does, takes the
 * action, and classes the server's answer: it changed the token, changed nothing (ALREADY_*), or
 * refused (status and code). The console offers an action exactly where the server changes the
 * token, bar an ended token (expired or revoked), which the console leaves alone.
 *
 * The holder is a machine and the caller its business's owner, whom the token policy lets take
 * every one of these actions (checked below): what is refused here is the token's state.
 */

interface Made {
  id: string;
  secret: string;
}

type Outcome = 'changed' | 'unchanged' | `refused ${number} ${string}`;

const STATES = [
  'active',
  'paused',
  'expired',
  'paused and expired',
  'revoked',
  'paused, then revoked',
  'a successor',
  'retiring',
] as const;
type State = (typeof STATES)[number];

const CELLS = STATES.flatMap((state) => TOKEN_STATE_ACTIONS.map((action) => ({ state, action })));

describe.each(DRIVERS)('the console’s token states against the server on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  const machines = new Map<State, string>();

  beforeAll(async () => {
    t = await bootTestApp(driver, { TOKEN_CACHE_TTL_MS: '0' });
    biz = await createUnexpiringBusiness(t);
    // One holder a state, so that no holder nears its cap of active tokens.
    for (const state of STATES) machines.set(state, (await createMachine(t, biz)).id);
  });
  afterAll(() => t?.close());

  const owner = () => asOwner(biz);
  const issue = async (state: State): Promise<Made> => {
    const res = await postToken(t, owner(), { name: 'state', identity_id: machines.get(state) });
    expect(res.status).toBe(201);
    return { id: res.body.data.id as string, secret: res.body.data.token as string };
  };
  const pause = async (made: Made) => {
    const res = await t
      .http()
      .post(`/api/v1/tokens/${made.id}/disable`)
      .set(owner())
      .send({ reason: 'held' });
    expect(res.status).toBe(200);
  };
  const expire = (made: Made) =>
    t.sql('UPDATE api_tokens SET expires_at = ? WHERE id = ?', [
      dbTime(driver, new Date(Date.now() - 60_000)),
      made.id,
    ]);
  const end = async (made: Made) => {
    expect((await revoke(t, owner(), made.id, { reason: 'ended' })).status).toBe(201);
  };
  const rotated = async (made: Made, grace: number): Promise<Made> => {
    const res = await rotate(t, owner(), made.id, { grace_period_seconds: grace });
    expect(res.status).toBe(201);
    return { id: res.body.data.id as string, secret: res.body.data.token as string };
  };

  /** A fresh token in `state`, through the API (an expiry in the past is the one shortcut). */
  const tokenIn = async (state: State): Promise<Made> => {
    const made = await issue(state);
    switch (state) {
      case 'active':
        return made;
      case 'paused':
        await pause(made);
        return made;
      case 'expired':
        await expire(made);
        return made;
      case 'paused and expired':
        await pause(made);
        await expire(made);
        return made;
      case 'revoked':
        await end(made);
        return made;
      case 'paused, then revoked':
        await pause(made);
        await end(made);
        return made;
      case 'a successor':
        return rotated(made, 0);
      case 'retiring':
        await rotated(made, 3600);
        return made;
    }
  };

  const take = (action: TokenStateAction, id: string) => {
    const at = `/api/v1/tokens/${id}`;
    switch (action) {
      case 'revoke':
        return revoke(t, owner(), id, { reason: 'the table' });
      case 'rotate':
        return rotate(t, owner(), id, {});
      case 'disable':
        return t.http().post(`${at}/disable`).set(owner()).send({ reason: 'the table' });
      case 'enable':
        return t.http().post(`${at}/enable`).set(owner());
      case 'rename':
        return t.http().patch(at).set(owner()).send({ name: 'renamed by the table' });
    }
  };

  const outcomeOf = (res: Response): Outcome => {
    const code = (res.body as { code?: string | null }).code ?? null;
    if (res.status >= 300) return `refused ${res.status} ${code}`;
    return code === null ? 'changed' : 'unchanged';
  };

  const viewOf = async (id: string) => {
    const res = await getToken(t, owner(), id);
    expect(res.status).toBe(200);
    return res.body.data as TokenStateFields;
  };

  it('the owner may take every action on a machine’s token, as the policy says', () => {
    const caller = { class: 'owner' as const, scopes: null };
    for (const action of TOKEN_STATE_ACTIONS) {
      expect({ action, allowed: policyAllows(caller, action, 'machine') }).toEqual({
        action,
        allowed: true,
      });
    }
  });

  const cell = async ({ state, action }: { state: State; action: TokenStateAction }) => {
    const made = await tokenIn(state);
    const view = await viewOf(made.id);
    const offered = tokenState(view).offers.has(action);
    const server = outcomeOf(await take(action, made.id));
    const ended = view.status === 'expired' || view.status === 'revoked';
    expect({ offered, server }).toEqual({ offered: server === 'changed' && !ended, server });
  };

  it.each(CELLS)('$state: $action is offered exactly where the server changes the token', cell);

  it.each(STATES)('%s: a green badge exactly when its secret opens the API', async (state) => {
    const made = await tokenIn(state);
    const badges = tokenState(await viewOf(made.id)).badges;
    const works = (await me(t, asMember(made.secret, biz.id))).status === 200;
    expect({ badges: badges.map((b) => b.tone), works }).toEqual({
      badges: [works ? 'ok' : expect.stringMatching(/^(warn|bad)$/)],
      works,
    });
  });
});
