import {
  addMember,
  type BusinessFixture,
  createMachine,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, getToken, postMember, postToken, rotate } from '../harness/app/api';
import { cliInProcess } from '../harness/app/cli';
import { tokenIdOf } from '../harness/app/db';
import { asDpop, DPOP_BASE, dpopKey, type DpopKey, dpopProof } from '../harness/app/dpop';
import { breachesOf, listViolations, putPolicy } from '../harness/app/token-policy';
import { bootTestApp, type TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { uniqueEmail } from '../factories/unique';

const email = () => uniqueEmail('require-dpop');
const REFUSED = [['body.dpop_jkt', 'require_dpop']];

/**
 * The business policy's `require_dpop` on every path that mints a token: create (a person's own,
 * a machine's), rotate, a member's first token, a re-issued one and the CLI. Under `all` each
 * refuses an unbound token at `dpop_jkt` and makes nothing; a key named, or proven on the
 * creating request, passes. Under `machines` only a machine's token is held to it.
 */
describe.each(DRIVERS)('require_dpop on every minting path, on %s', (driver) => {
  let t: TestApp;
  let key: DpopKey;
  beforeAll(async () => {
    t = await bootTestApp(driver, { PUBLIC_BASE_URL: DPOP_BASE });
    key = await dpopKey();
  });
  afterAll(() => t?.close());

  /** A business whose owner's token and one unbound token predate the rule. */
  async function businessUnder(rule: 'all' | 'machines') {
    const biz = await createUnexpiringBusiness(t);
    const old = await createToken(t, asOwner(biz), { name: 'before the rule' });
    await putPolicy(t, asOwner(biz), { require_dpop: rule }).expect(200);
    return { biz, old };
  }
  const tokensOf = async (identityId: string) =>
    (await t.sql('SELECT id FROM api_tokens WHERE identity_id = ?', [identityId])).length;

  it('all: a create without a key is refused at dpop_jkt; a key named, or proven, binds it', async () => {
    const { biz } = await businessUnder('all');
    const refused = await postToken(t, asOwner(biz), { name: 'unbound' }).expect(422);
    expect(breachesOf(refused.body)).toEqual(REFUSED);
    const named = await createToken(t, asOwner(biz), { name: 'named', dpop_jkt: key.jkt });
    expect(named.view.dpop_jkt).toBe(key.jkt);
    // RFC 9449 §5's binding: a proof on the creating request binds the new token to its key;
    // under the rule the caller's own token must be bound too (an unbound one with a proof is
    // refused), so the bound token proves it.
    const proof = await dpopProof(key, {
      method: 'POST',
      url: '/api/v1/tokens',
      token: named.secret,
    });
    const bound = asDpop(named.secret, proof, biz.id);
    const proven = await postToken(t, bound, { name: 'proven' });
    expect(proven.status).toBe(201);
    expect(proven.body.data.dpop_jkt).toBe(key.jkt);
    const unboundProof = await dpopProof(key, {
      method: 'POST',
      url: '/api/v1/tokens',
      token: null,
    });
    const unbound = await postToken(t, { ...asOwner(biz), dpop: unboundProof }, { name: 'x' });
    expect(unbound.status).toBe(401);
  });

  it('all: a machine’s token, a member’s first token and a re-issued one are refused unbound', async () => {
    const { biz } = await businessUnder('all');
    const machine = await createMachine(t, biz);
    const forMachine = { name: 'm', identity_id: machine.id };
    expect(breachesOf((await postToken(t, asOwner(biz), forMachine).expect(422)).body)).toEqual(
      REFUSED,
    );
    expect(await tokensOf(machine.id)).toBe(0);

    const members = () => t.sql('SELECT 1 FROM memberships WHERE business_id = ?', [biz.id]);
    const before = (await members()).length;
    const person = { email: email(), role: 'member' };
    const unbound = await postMember(t, asOwner(biz), person).expect(422);
    expect(breachesOf(unbound.body)).toEqual(REFUSED);
    expect((await members()).length).toBe(before);
    const added = await postMember(t, asOwner(biz), { ...person, dpop_jkt: key.jkt }).expect(201);
    expect(added.body.data.first_token.dpop_jkt).toBe(key.jkt);

    const id = added.body.data.member.identity_id as string;
    const oldId = await tokenIdOf(t, added.body.data.first_token.token as string);
    const reissue = (body: object) =>
      t.http().post(`/api/v1/members/${id}/token`).set(asOwner(biz)).send(body);
    expect(breachesOf((await reissue({}).expect(422)).body)).toEqual(REFUSED);
    // Refused in the transaction that would have replaced it: the old first token stays.
    expect((await getToken(t, asOwner(biz), oldId).expect(200)).body.data.status).toBe('active');
    const again = await reissue({ dpop_jkt: key.jkt }).expect(201);
    expect(again.body.data).toMatchObject({ dpop_jkt: key.jkt, replaced_token_ids: [oldId] });
  });

  it('all: rotating a token made before the rule asks for a key; given one, the successor is bound', async () => {
    const { biz, old } = await businessUnder('all');
    const refused = await rotate(t, asOwner(biz), old.id).expect(422);
    expect(breachesOf(refused.body)).toEqual(REFUSED);
    expect((await getToken(t, asOwner(biz), old.id).expect(200)).body.data.status).toBe('active');
    const rotated = await rotate(t, asOwner(biz), old.id, { dpop_jkt: key.jkt }).expect(201);
    expect(rotated.body.data.dpop_jkt).toBe(key.jkt);
  });

  it('all: the violations list names an unbound token made before the rule', async () => {
    const { biz, old } = await businessUnder('all');
    const listed = (await listViolations(t, asOwner(biz)).expect(200)).body.data.items as {
      id: string;
      violations: { rule: string; field: string }[];
    }[];
    const entry = listed.find((v) => v.id === old.id);
    expect(entry?.violations.map((b) => [b.rule, b.field])).toEqual([['require_dpop', 'dpop_jkt']]);
  });

  it('all: an unbound token made before the rule, shown with a proof, is refused; as a bearer it speaks', async () => {
    const biz = await createUnexpiringBusiness(t);
    const old = await createToken(t, asOwner(biz), { name: 'before the rule' });
    const withProof = async () => {
      const proof = await dpopProof(key, { method: 'GET', url: '/api/v1/me', token: null });
      return t
        .http()
        .get('/api/v1/me')
        .set({ ...asMember(old.secret, biz.id), dpop: proof });
    };
    // Cached while it speaks, so the rule's change must reach the verifier's cache.
    expect((await withProof()).status).toBe(200);
    await putPolicy(t, asOwner(biz), { require_dpop: 'all' }).expect(200);
    const refused = await withProof();
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 401,
      code: 'INVALID_TOKEN',
    });
    expect(refused.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token"/);
    await t.http().get('/api/v1/me').set(asMember(old.secret, biz.id)).expect(200);
    // Under `machines`, a person's unbound token with a proof speaks as before.
    await putPolicy(t, asOwner(biz), { require_dpop: 'machines' }).expect(200);
    expect((await withProof()).status).toBe(200);
  });

  it('machines: a person’s unbound token is made; a machine’s is refused, bound it is made', async () => {
    const { biz } = await businessUnder('machines');
    await createToken(t, asOwner(biz), { name: 'a person’s' });
    const member = await addMember(t, biz);
    await createToken(t, asMember(member.token, biz.id), { name: 'own' });
    const machine = await createMachine(t, biz, 'admin');
    const forMachine = { name: 'm', identity_id: machine.id };
    const refused = await postToken(t, asOwner(biz), forMachine).expect(422);
    expect(breachesOf(refused.body)).toEqual(REFUSED);
    const made = await createToken(t, asOwner(biz), { ...forMachine, dpop_jkt: key.jkt });
    expect(made.view.dpop_jkt).toBe(key.jkt);
  });

  it('the CLI: a token with no key is refused at dpop_jkt; --dpop-jkt makes it', async () => {
    const { biz } = await businessUnder('all');
    const env = t.db.env;
    const owner = ['--business', biz.id, '--email', biz.ownerEmail, '--name', 'cli'];
    const refused = await cliInProcess(['tokens', 'create', ...owner], env);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^ {2}dpop_jkt: require_dpop: /m);
    const made = await cliInProcess(['tokens', 'create', ...owner, '--dpop-jkt', key.jkt], env);
    expect(made.code).toBe(0);
    const id = await tokenIdOf(t, made.stdout.trim());
    expect((await getToken(t, asOwner(biz), id).expect(200)).body.data.dpop_jkt).toBe(key.jkt);
    const member = ['members', 'add', '--business', biz.id, '--email', email()];
    const unbound = await cliInProcess(member, env);
    expect(unbound.code).toBe(1);
    expect(unbound.stderr).toMatch(/^ {2}dpop_jkt: require_dpop: /m);
    const added = await cliInProcess([...member, '--dpop-jkt', key.jkt], env);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).first_token.dpop_jkt).toBe(key.jkt);
  });
});

/** What an owner's policy may say of `require_dpop`, and what it refuses. */
describe.each(DRIVERS)('require_dpop as a policy field, on %s', (driver) => {
  let t: TestApp;
  let biz: BusinessFixture;
  beforeAll(async () => {
    t = await bootTestApp(driver);
    biz = await createUnexpiringBusiness(t);
  });
  afterAll(() => t?.close());

  it.each(['all', 'machines', null])('%s is kept and read back', async (rule) => {
    const set = await putPolicy(t, asOwner(biz), { require_dpop: rule }).expect(200);
    expect(set.body.data.require_dpop).toBe(rule);
  });

  it.each([['some'], [''], [true], [1], [['all']], ['ALL']])('%j is 422', async (rule) => {
    const res = await putPolicy(t, asOwner(biz), { require_dpop: rule }).expect(422);
    expect(res.body.detail[0].loc).toEqual(['body', 'require_dpop']);
  });
});
