import { tokenIdOf } from '../harness/app/db';
import {
  BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asOwner, getToken, postMember, postToken, rotate } from '../harness/app/api';
import { cliInProcess } from '../harness/app/cli';
import { exchange, githubRule, postRule } from '../federation/federation-fixtures';
import { githubClaims, makeKey, sign } from '../federation/oidc-issuer';
import { breachesOf, daysLeft, inDays, putPolicy } from '../harness/app/token-policy';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { uniqueEmail } from '../factories/unique';

/** The suite's policy: 3 days at most (a first token's 7 are cut), and deploy scopes only. */
const POLICY = { max_lifetime_days: 3, allowed_scopes: ['deploy:*'] };

const email = () => uniqueEmail('policy-path');

// The business token policy on every path that issues a token but a plain create (which
// business-policy.e2e-spec.ts tries field by field): a machine's token, first tokens, re-issue,
// rotation, the CLI (which goes through the same issuance in-process) and the RFC 8693 exchange.
describe.each(DRIVERS)('business token policy on every issuing path, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  /** Tokens made before the policy: one outside its scopes, one living 100 days. */
  let wide: string;
  let long: string;
  beforeAll(async () => {
    // The RFC 8693 exchange's issuer keys are inline in its rule; these let it run on 127.0.0.1.
    t = await bootTestApp(driver, { RATE_LIMIT_OAUTH_PER_MINUTE: '0' });
    biz = await createUnexpiringBusiness(t);
    wide = (await createToken(t, asOwner(biz), { name: 'wide', scopes: ['audit:read'] })).id;
    const longBody = { name: 'long', scopes: ['deploy:web'], expires_in_days: 100 };
    long = (await createToken(t, asOwner(biz), longBody)).id;
    await putPolicy(t, asOwner(biz), POLICY).expect(200);
  });
  afterAll(() => t?.close());

  const members = async () =>
    (await t.sql('SELECT identity_id FROM memberships WHERE business_id = ?', [biz.id])).length;

  it('a machine’s token: refused outside, bounded within', async () => {
    const machine = await createMachine(t, biz);
    // A scope of the business's own: a member machine asking for audit:read is refused by its
    // role first (403 SCOPE_ESCALATION), before the policy's 422.
    const outside = { name: 'm', identity_id: machine.id, scopes: ['billing:read'] };
    const refused = await postToken(t, asOwner(biz), outside).expect(422);
    expect(breachesOf(refused.body)).toEqual([['body.scopes', 'allowed_scopes']]);
    const made = await createToken(t, asOwner(biz), { name: 'm', identity_id: machine.id });
    expect(made.view).toMatchObject({ identity_id: machine.id, scopes: ['deploy:*'] });
    expect(daysLeft(made.view.expires_at)).toBe(3);
  });

  it('a new member’s first token: 7 days cut to the maximum; asked past it, refused with no member added', async () => {
    const added = await postMember(t, asOwner(biz), { email: email(), role: 'member' }).expect(201);
    const first = added.body.data.first_token;
    expect(daysLeft(first.expires_at)).toBe(3);
    expect(first.scopes).toEqual(['deploy:*']);
    const before = await members();
    const body = { email: email(), role: 'member', expires_in_days: 5 };
    const refused = await postMember(t, asOwner(biz), body).expect(422);
    expect(breachesOf(refused.body)).toEqual([['body.expires_in_days', 'max_lifetime_days']]);
    expect(await members()).toBe(before);
  });

  it('a re-issued first token: cut to the maximum; asked past it, refused and the old one kept', async () => {
    const added = await postMember(t, asOwner(biz), { email: email(), role: 'member' }).expect(201);
    const id = added.body.data.member.identity_id as string;
    const oldId = await tokenIdOf(t, added.body.data.first_token.token as string);
    const reissue = (body: object) =>
      t.http().post(`/api/v1/members/${id}/token`).set(asOwner(biz)).send(body);
    const refused = await reissue({ expires_in_days: 5 }).expect(422);
    expect(breachesOf(refused.body)).toEqual([['body.expires_in_days', 'max_lifetime_days']]);
    expect((await getToken(t, asOwner(biz), oldId).expect(200)).body.data.status).toBe('active');
    const again = await reissue({}).expect(201);
    expect(daysLeft(again.body.data.expires_at)).toBe(3);
    expect(again.body.data.replaced_token_ids).toEqual([oldId]);
  });

  it('rotation: a successor keeps the policy, or the rotation is refused and the old token stays', async () => {
    const refused = await rotate(t, asOwner(biz), wide).expect(422);
    expect(breachesOf(refused.body)).toEqual([['body.scopes', 'allowed_scopes']]);
    expect((await getToken(t, asOwner(biz), wide).expect(200)).body.data.status).toBe('active');
    const asked = await rotate(t, asOwner(biz), long, { expires_at: inDays(10) }).expect(422);
    expect(breachesOf(asked.body)).toEqual([['body.expires_at', 'max_lifetime_days']]);
    // Rotation keeps the lifetime's length by default: 100 days, cut to the maximum.
    const rotated = await rotate(t, asOwner(biz), long).expect(201);
    expect(daysLeft(rotated.body.data.expires_at)).toBe(3);
  });

  it('the CLI: create and rotate refused at the field, a default cut to the maximum', async () => {
    const env = t.db.env;
    const owner = ['--business', biz.id, '--email', biz.ownerEmail];
    const refused = await cliInProcess(
      ['tokens', 'create', ...owner, '--name', 'cli', '--expires-in-days', '5'],
      env,
    );
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain('POLICY_VIOLATION');
    expect(refused.stderr).toMatch(/^ {2}expires_in_days: max_lifetime_days: /m);
    const made = await cliInProcess(['tokens', 'create', ...owner, '--name', 'cli'], env);
    expect(made.code).toBe(0);
    const id = await tokenIdOf(t, made.stdout.trim());
    const view = (await getToken(t, asOwner(biz), id).expect(200)).body.data;
    expect(daysLeft(view.expires_at)).toBe(3);
    expect(view.scopes).toEqual(['deploy:*']);
    const rotation = await cliInProcess(['tokens', 'rotate', wide], env);
    expect(rotation).toMatchObject({ code: 1, stdout: '' });
    expect(rotation.stderr).toMatch(/^ {2}scopes: allowed_scopes: /m);
    const before = await members();
    const member = await cliInProcess(
      ['members', 'add', '--business', biz.id, '--email', email(), '--expires-in-days', '5'],
      env,
    );
    expect(member.code).toBe(1);
    expect(member.stderr).toMatch(/^ {2}expires_in_days: max_lifetime_days: /m);
    expect(await members()).toBe(before);
  });

  it('the RFC 8693 exchange: a token outside the policy’s scopes is invalid_scope, none made', async () => {
    const key = await makeKey('RS256');
    const machine = await createMachine(t, biz, 'member');
    const rule = githubRule(key, { scopes: ['billing:read'] });
    await postRule(t, asOwner(biz), machine.id, rule).expect(201);
    const jwt = await sign(key, githubClaims());
    const res = await exchange(t, jwt, biz.id).expect(400);
    expect(res.body).toMatchObject({ error: 'invalid_scope' });
    expect(res.body.error_description).toMatch(/token policy refuses it: allowed_scopes: /);
    const made = await t.sql('SELECT id FROM api_tokens WHERE identity_id = ?', [machine.id]);
    expect(made).toEqual([]);
  });
});
