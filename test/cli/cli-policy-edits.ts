import { randomUUID } from 'node:crypto';
import type { TargetClass } from '../../src/tokens/policy/token-policy-terms';
import { createBusiness } from '../factories/tenancy.factory';
import { asMember, asOwner, me } from '../harness/app/api';
import {
  Attempt,
  Command,
  expectStatus,
  holderOf,
  json,
  noSelf,
  tokenOf,
  tokenRow,
  Unreachable,
  World,
} from './cli-policy';

/**
 * The cli-policy.e2e-spec.ts commands of the actions that change an existing token and hand out
 * nothing: `tokens update` (rename), `tokens disable` and `tokens enable`. Each names
 * the business with --business, so a token of another business is one it cannot see.
 */

/** A token of the business, of each target the operator may name; for `unknown`, none it may. */
async function existingTokenAttempts(
  w: World,
  target: TargetClass,
  args: (tokenId: string) => string[],
  prepare: (token: { id: string; secret: string }) => Promise<void> = () => Promise.resolve(),
): Promise<Attempt[] | Unreachable> {
  switch (target) {
    case 'self':
      return noSelf(w);
    case 'machine':
    case 'owner':
    case 'admin':
    case 'member': {
      const token = await tokenOf(w, target);
      await prepare(token);
      return [{ args: args(token.id), token, holderId: holderOf(w, target) }];
    }
    case 'unknown': {
      // An id that names no token, and a live token of another business.
      const other = await createBusiness(w.t);
      const res = await me(w.t, asMember(other.ownerToken, other.id));
      expectStatus(res, 200);
      return [{ args: args(randomUUID()) }, { args: args(res.body.data.token.id as string) }];
    }
  }
}

const disableBody = (w: World, id: string) =>
  w.t.http().post(`/api/v1/tokens/${id}/disable`).set(asOwner(w.biz)).send({ reason: 'hold' });

export const tokensUpdate: Command = {
  action: 'rename',
  name: 'tokens update',
  hiddenAs: 'TOKEN_NOT_FOUND',
  arrange: (w, target) =>
    existingTokenAttempts(w, target, (id) => [
      'tokens',
      'update',
      id,
      '--business',
      w.biz.id,
      '--uses-limit',
      '10',
    ]),
  async expectDone(w, { token }, run) {
    expect(json(run.stdout)).toMatchObject({ id: token!.id, uses_limit: 10, uses_remaining: 10 });
    expect(await tokenRow(w.t, token!.id)).toMatchObject({ uses_limit: 10 });
    return { event: 'token.updated', targetId: token!.id };
  },
};

export const tokensDisable: Command = {
  action: 'disable',
  name: 'tokens disable',
  hiddenAs: 'TOKEN_NOT_FOUND',
  arrange: (w, target) =>
    existingTokenAttempts(w, target, (id) => [
      'tokens',
      'disable',
      id,
      '--business',
      w.biz.id,
      '--reason',
      'cli policy',
    ]),
  async expectDone(w, { token }, run) {
    expect(json(run.stdout)).toMatchObject({
      id: token!.id,
      disabled_by: 'cli',
      disabled_reason: 'cli policy',
    });
    const res = await me(w.t, asMember(token!.secret, w.biz.id));
    expect({ status: res.status, code: res.body?.code }).toEqual({
      status: 401,
      code: 'TOKEN_DISABLED',
    });
    return { event: 'token.disabled', targetId: token!.id };
  },
};

export const tokensEnable: Command = {
  action: 'enable',
  name: 'tokens enable',
  hiddenAs: 'TOKEN_NOT_FOUND',
  arrange: (w, target) =>
    existingTokenAttempts(
      w,
      target,
      (id) => ['tokens', 'enable', id, '--business', w.biz.id],
      // Paused by the founding owner over HTTP, so the operator has something to resume.
      async (token) => expectStatus(await disableBody(w, token.id), 200),
    ),
  async expectDone(w, { token }, run) {
    expect(json(run.stdout)).toMatchObject({ id: token!.id, disabled_at: null });
    expectStatus(await me(w.t, asMember(token!.secret, w.biz.id)), 200);
    return { event: 'token.enabled', targetId: token!.id };
  },
};
