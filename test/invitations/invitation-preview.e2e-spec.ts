import {
  addMember,
  BusinessFixture,
  createToken,
  createUnexpiringBusiness,
} from '../factories/tenancy.factory';
import { asMember, asOwner, Caller } from '../harness/app/api';
import { dbTime, expectError } from '../harness/app/assertions';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { DRIVERS } from '../setup/servers';
import { MailSink } from './mail-sink';
import { uniqueEmail } from '../factories/unique';

const BASE_URL = 'http://latchkey.test';
const newEmail = () => uniqueEmail('previewed');

/**
 * What an invitation's link opens to before it is accepted: the business by name and who
 * invited, told to the link's holder alone. A link that no longer works (unknown, another kind of
 * token, used, revoked, replaced, expired, or left by an inviter removed since) tells nothing of
 * any business, and a preview changes nothing.
 */
describe.each(DRIVERS)('an invitation previewed on %s', (driver) => {
  let t: TestApp;
  let sink: MailSink;
  let biz: BusinessFixture;
  const bizName = `Acme preview ${process.pid}`;
  beforeAll(async () => {
    sink = await MailSink.start();
    t = await bootTestApp(driver, { SMTP_URL: sink.url, PUBLIC_BASE_URL: BASE_URL });
    biz = await createUnexpiringBusiness(t, bizName);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  const preview = (token: unknown) => t.http().post('/invitations/preview').send({ token });
  const accept = (token: string) => t.http().post('/invitations/accept').send({ token });
  const invited = async (caller: Caller = asOwner(biz), role = 'member') => {
    const email = newEmail();
    const res = await t
      .http()
      .post('/api/v1/invitations')
      .set(caller)
      .send({ email, role })
      .expect(201);
    const { secret } = await sink.lastLinkTo(email);
    return { id: res.body.data.id as string, email, secret };
  };
  /** A refusal that names no business, no inviter and no address. */
  const refusedBlind = async (token: string, status: number, code: string, email: string) => {
    const res = await preview(token);
    expectError(res, status, code);
    const body = JSON.stringify(res.body);
    for (const told of [bizName, biz.ownerEmail, email, token]) expect(body).not.toContain(told);
  };

  it('names the business, who invited, the role and the address, as the email does, and changes nothing', async () => {
    const { id, email, secret } = await invited(asOwner(biz), 'admin');
    const res = await preview(secret).expect(200);
    expect(res.body.data).toEqual({
      business_name: bizName,
      invited_by: biz.ownerEmail,
      email,
      role: 'admin',
      expires_at: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const [mail] = sink.mailsTo(email);
    expect(mail.text).toContain(`${biz.ownerEmail} invites you to join ${bizName}`);
    await preview(secret).expect(200);
    const [row] = await t.sql('SELECT status FROM invitations WHERE id = ?', [id]);
    expect(row.status).toBe('pending');
    await accept(secret).expect(201);
  });

  it('names a machine that invited as machine:<name>', async () => {
    const machine = await t
      .http()
      .post('/api/v1/machine-identities')
      .set(asOwner(biz))
      .send({ name: `inviter-${process.pid}`, role: 'admin' })
      .expect(201);
    const token = await createToken(t, asOwner(biz), { identity_id: machine.body.data.id });
    const { secret } = await invited(asMember(token.secret, biz.id));
    const res = await preview(secret).expect(200);
    expect(res.body.data.invited_by).toBe(`machine:inviter-${process.pid}`);
  });

  it('tells nothing of a link that is not one: unknown, malformed, or another kind of token', async () => {
    const { email, secret } = await invited();
    const tampered = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    await refusedBlind(tampered, 404, 'INVALID_INVITATION', email);
    await refusedBlind('x', 404, 'INVALID_INVITATION', email);
    await refusedBlind(biz.ownerToken, 404, 'INVALID_INVITATION', email);
    expectError(await preview(''), 422, 'VALIDATION_ERROR');
    expectError(await preview(null), 422, 'VALIDATION_ERROR');
    // The token rides in the body alone: no route takes it from an address a log would keep.
    expect((await t.http().get('/invitations/preview').query({ token: secret })).status).toBe(404);
  });

  it('tells nothing of a link that no longer works: used, revoked, replaced, expired, or left by an inviter removed since', async () => {
    const used = await invited();
    await accept(used.secret).expect(201);
    await refusedBlind(used.secret, 409, 'INVITATION_ALREADY_ACCEPTED', used.email);

    const revoked = await invited();
    await t.http().delete(`/api/v1/invitations/${revoked.id}`).set(asOwner(biz)).expect(200);
    await refusedBlind(revoked.secret, 409, 'INVITATION_REVOKED', revoked.email);

    const replaced = await invited();
    await t.sql('UPDATE invitations SET last_sent_at = ? WHERE id = ?', [
      dbTime(driver, new Date(Date.now() - 3_600_000)),
      replaced.id,
    ]);
    await t.http().post(`/api/v1/invitations/${replaced.id}/resend`).set(asOwner(biz)).expect(201);
    await refusedBlind(replaced.secret, 404, 'INVALID_INVITATION', replaced.email);
    await preview((await sink.lastLinkTo(replaced.email)).secret).expect(200);

    const late = await invited();
    await t.sql('UPDATE invitations SET expires_at = ? WHERE id = ?', [
      dbTime(driver, new Date(Date.now() - 1000)),
      late.id,
    ]);
    await refusedBlind(late.secret, 409, 'INVITATION_EXPIRED', late.email);

    const admin = await addMember(t, biz, 'admin');
    const orphan = await invited(asMember(admin.token, biz.id));
    await t.http().delete(`/api/v1/members/${admin.identityId}`).set(asOwner(biz)).expect(200);
    await refusedBlind(orphan.secret, 409, 'INVITATION_REVOKED', orphan.email);
  });
});
