import { createHash } from 'node:crypto';
import { CLI_AUTHOR } from '../../src/database/units/domain-event';
import { CreateTokenDto } from '../../src/tokens/dto/token-requests.dto';
import { TokenIssuanceService } from '../../src/tokens/lifecycle/issuance/token-issuance.service';
import {
  BusinessFixture,
  createMachine,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asOwner, postToken, rotate } from '../harness/app/api';
import { expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { getPolicy, putPolicy } from '../harness/app/token-policy';
import { DRIVERS } from '../setup/servers';

type Part = 'scopes' | 'lifetime_days_over' | 'machine_tokens';
const PARTS: Part[] = ['scopes', 'lifetime_days_over', 'machine_tokens'];
/** Every subset of the rule's parts: what a business may mark. */
const RULES: Part[][] = [0, 1, 2, 3, 4, 5, 6, 7].map((bits) =>
  PARTS.filter((_, i) => bits & (1 << i)),
);
/** A token's terms: whether each part's condition holds of it. */
const TERMS = RULES;

const ruleBody = (parts: Part[]) =>
  parts.length === 0
    ? null
    : {
        ...(parts.includes('scopes') ? { scopes: ['deploy:*'] } : {}),
        ...(parts.includes('lifetime_days_over') ? { lifetime_days_over: 30 } : {}),
        ...(parts.includes('machine_tokens') ? { machine_tokens: true } : {}),
      };

/**
 * The business policy's `approval_required` on `POST /api/v1/tokens`: the rule table tested
 * whole (each subset of the rule's parts against each subset of a token's terms that meet them),
 * and the same create refused in a business that marks it and made in one that does not.
 */
describe.each(DRIVERS)('approval_required on POST /api/v1/tokens, on %s', (driver) => {
  let t: TestApp;
  const businesses = new Map<string, { biz: BusinessFixture; machineId: string }>();
  beforeAll(async () => {
    t = await bootTestApp(driver);
    for (const parts of RULES) {
      const biz = await createUnexpiringBusiness(t);
      const machine = await createMachine(t, biz, 'member');
      await putPolicy(t, asOwner(biz), { approval_required: ruleBody(parts) }).expect(200);
      businesses.set(parts.join('+'), { biz, machineId: machine.id });
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is null by default, kept as set, and a rule that marks nothing reads back as null', async () => {
    const none = businesses.get('')!.biz;
    expect((await getPolicy(t, asOwner(none)).expect(200)).body.data.approval_required).toBeNull();
    const all = businesses.get('scopes+lifetime_days_over+machine_tokens')!.biz;
    expect((await getPolicy(t, asOwner(all)).expect(200)).body.data.approval_required).toEqual({
      scopes: ['deploy:*'],
      lifetime_days_over: 30,
      machine_tokens: true,
    });
    const cleared = await putPolicy(t, asOwner(none), {
      approval_required: { scopes: [], machine_tokens: false },
    }).expect(200);
    expect(cleared.body.data.approval_required).toBeNull();
    const [row] = await t.sql(
      'SELECT approval_required FROM business_token_policies WHERE business_id = ?',
      [none.id],
    );
    expect(row.approval_required).toBeNull();
  });

  it.each([
    [{ approval_required: 'yes' }, 'approval_required'],
    [{ approval_required: { lifetime_days_over: -1 } }, 'lifetime_days_over'],
    [{ approval_required: { scopes: ['Not A Scope'] } }, 'scopes'],
    [{ approval_required: { machine_tokens: 'true' } }, 'machine_tokens'],
  ])('refuses a malformed rule %j with 422', async (body, field) => {
    const biz = businesses.get('')!.biz;
    const res = await putPolicy(t, asOwner(biz), body);
    expectError(res, 422, 'VALIDATION_ERROR');
    expect(JSON.stringify(res.body.detail)).toContain(field);
  });

  const cases = RULES.flatMap((rule) => TERMS.map((terms) => [rule, terms] as const));
  it.each(cases)('a business marking %j, a token meeting %j', async (rule, terms) => {
    const { biz, machineId } = businesses.get(rule.join('+'))!;
    const name = `rule-${rule.join('+')}-terms-${terms.join('+')}`;
    const body = {
      name,
      scopes: terms.includes('scopes') ? ['deploy:prod'] : ['reports:read'],
      expires_in_days: terms.includes('lifetime_days_over') ? 60 : 10,
      ...(terms.includes('machine_tokens') ? { identity_id: machineId } : {}),
    };
    const res = await postToken(t, asOwner(biz), body);
    const met = rule.filter((part) => terms.includes(part));
    const rows = await t.sql('SELECT id FROM api_tokens WHERE business_id = ? AND name = ?', [
      biz.id,
      name,
    ]);
    if (met.length === 0) {
      expect(res.status).toBe(201);
      expect(rows).toEqual([{ id: res.body.data.id }]);
      return;
    }
    expectError(res, 403, 'APPROVAL_REQUIRED');
    for (const part of PARTS) {
      expect(res.body.detail.includes(`approval_required.${part}`)).toBe(met.includes(part));
    }
    expect(res.body.detail).toContain('POST /api/v1/token-requests');
    expect(rows).toEqual([]);
  });

  it('an unrestricted token reaches every scope, and one that never expires outlives any bound', async () => {
    const scopes = businesses.get('scopes')!.biz;
    const unrestricted = await postToken(t, asOwner(scopes), { name: 'all', expires_in_days: 1 });
    expectError(unrestricted, 403, 'APPROVAL_REQUIRED');
    expect(unrestricted.body.detail).toContain('(unrestricted)');
    const lifetime = businesses.get('lifetime_days_over')!.biz;
    const forever = await postToken(t, asOwner(lifetime), { name: 'forever', scopes: [] });
    expectError(forever, 403, 'APPROVAL_REQUIRED');
    expect(forever.body.detail).toContain('never expires');
  });

  it('the same create is made in a business without the rule', async () => {
    const body = { name: 'deploy', scopes: ['deploy:prod'], expires_in_days: 60 };
    const marked = businesses.get('scopes+lifetime_days_over')!.biz;
    expectError(await postToken(t, asOwner(marked), body), 403, 'APPROVAL_REQUIRED');
    const unmarked = businesses.get('')!.biz;
    const made = await postToken(t, asOwner(unmarked), body).expect(201);
    const [row] = await t.sql('SELECT business_id, scopes FROM api_tokens WHERE id = ?', [
      made.body.data.id,
    ]);
    expect(row.business_id).toBe(unmarked.id);
  });

  it('holds back an import over HTTP as it does a create: an owner brings in nothing they may not make alone', async () => {
    const { biz } = businesses.get('scopes')!;
    const key = {
      name: 'brought',
      identity_id: biz.ownerId,
      hash: createHash('sha256').update(`key-${biz.id}`).digest('hex'),
    };
    const send = (extra: object) =>
      t
        .http()
        .post('/api/v1/tokens/import')
        .set(asOwner(biz))
        .send({ keys: [{ ...key, ...extra }] });
    expectError(await send({ scopes: ['deploy:prod'] }), 403, 'APPROVAL_REQUIRED');
    expect(await t.sql('SELECT id FROM api_tokens WHERE token_hash = ?', [key.hash])).toEqual([]);
    await send({ scopes: ['audit:read'] }).expect(201);
  });

  it('holds back neither the CLI (the operator) nor a rotation, which grows no power', async () => {
    const { biz } = businesses.get('scopes+lifetime_days_over+machine_tokens')!;
    const dto = Object.assign(new CreateTokenDto(), {
      name: 'cli-deploy',
      scopes: ['deploy:prod'],
    });
    const made = await t.app
      .get(TokenIssuanceService)
      .issueForMember(CLI_AUTHOR, biz.id, biz.ownerEmail, dto);
    expect(made).toMatchObject({ scopes: ['deploy:prod'], expires_at: null });
    const asked = { name: 'cli-deploy', scopes: ['deploy:prod'] };
    expectError(await postToken(t, asOwner(biz), asked), 403, 'APPROVAL_REQUIRED');
    const next = await rotate(t, asOwner(biz), made.id).expect(201);
    expect(next.body.data).toMatchObject({ scopes: ['deploy:prod'], rotated_from_id: made.id });
    const rows = await t.sql('SELECT id FROM api_tokens WHERE business_id = ? AND name = ?', [
      biz.id,
      'cli-deploy',
    ]);
    expect(rows).toHaveLength(2);
  });
});
