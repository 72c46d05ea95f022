import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { checksumOf } from '../../src/common/secrets/secret-shape';
import { BusinessFixture, createBusiness, createToken } from '../factories/tenancy.factory';
import { asMember, asOwner, getToken, me, revoke } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';

/**
 * Leak reports: GitHub's secret scanning partner program POSTs the tokens it found in
 * public, signed with ECDSA P-256. A signed report revokes each token that exists; nothing
 * unsigned changes anything or says whether a token exists.
 */

const KEY_ID = 'test-key-1';
const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const github = keyPair();
const stranger = keyPair();
/** A well-formed token (its checksum holds) that no installation issued. */
const UNKNOWN = `lk_${'0'.repeat(30)}${checksumOf('0'.repeat(30))}`;

function signed(body: string, key: KeyObject = github.privateKey, keyId = KEY_ID) {
  return {
    'content-type': 'application/json',
    'github-public-key-identifier': keyId,
    'github-public-key-signature': sign('sha256', Buffer.from(body), {
      key,
      dsaEncoding: 'der',
    }).toString('base64'),
  };
}

const entry = (token: string, url = 'https://github.com/octo/repo/blob/abc/config.js#L3') => ({
  token,
  type: 'latchkey_api_token',
  url,
  source: 'content',
});

describe.each(DRIVERS)('leak reports on %s', (driver) => {
  let t: TestApp;
  let dir: string;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-leaks-'));
    const keysFile = join(dir, 'github-keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify({
        public_keys: [
          {
            key_identifier: KEY_ID,
            key: github.publicKey.export({ type: 'spki', format: 'pem' }),
            is_current: true,
          },
        ],
      }),
    );
    await receiver.start();
    t = await bootTestApp(driver, {
      GITHUB_SECRET_SCANNING_KEYS_FILE: keysFile,
      WEBHOOK_POLL_MS: '50',
      RATE_LIMIT_LEAKS_PER_MINUTE: '0',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const report = (body: string, headers: Record<string, string>) =>
    t.http().post('/leaks/github').set(headers).send(body);

  const auditOf = (tokenId: string) =>
    t.sql<{ action: string; actor_label: string; metadata: string }>(
      'SELECT action, actor_label, metadata FROM audit_events WHERE target_id = ? ORDER BY seq',
      [tokenId],
    );

  async function leakable(biz: BusinessFixture) {
    return createToken(t, asOwner(biz), { name: 'pushed-to-github' });
  }

  /** An endpoint of the business's that hears token.leaked. */
  const hearLeaks = (biz: BusinessFixture) =>
    t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.leaked'] })
      .expect(201);

  it('revokes a reported token, labels it true_positive, and sends token.leaked to its business', async () => {
    const biz = await createBusiness(t);
    const hook = await hearLeaks(biz);
    const token = await leakable(biz);
    const body = JSON.stringify([entry(token.secret), entry(UNKNOWN), entry('not-a-token')]);

    const res = await report(body, signed(body)).expect(200);

    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual([
      { token_raw: token.secret, token_type: 'latchkey_api_token', label: 'true_positive' },
      { token_raw: UNKNOWN, token_type: 'latchkey_api_token', label: 'false_positive' },
      { token_raw: 'not-a-token', token_type: 'latchkey_api_token', label: 'false_positive' },
    ]);
    const view = await getToken(t, asOwner(biz), token.id).expect(200);
    expect(view.body.data).toMatchObject({
      status: 'revoked',
      revoked_by: 'github-secret-scanning',
      revocation_reason: 'leaked',
    });
    const events = await auditOf(token.id);
    expect(events.map((e) => [e.action, e.actor_label])).toEqual([
      ['token.created', expect.any(String)],
      ['token.revoked', 'github-secret-scanning'],
      ['token.leaked', 'github-secret-scanning'],
    ]);
    expect(JSON.parse(events[2].metadata)).toMatchObject({
      url: 'https://github.com/octo/repo/blob/abc/config.js#L3',
      source: 'content',
      token_type: 'latchkey_api_token',
      revoked_by_report: true,
    });
    for (const e of events) expect(JSON.stringify(e)).not.toContain(token.secret);
    expect((await me(t, asMember(token.secret, biz.id))).body.code).toBe('TOKEN_REVOKED');

    const [delivery] = await receiver.waitFor((all) =>
      all.some((r) => r.json.type === 'token.leaked' && r.body.includes(token.id)),
    );
    const leaked = receiver.received.find((r) => r.json.type === 'token.leaked')!;
    expect(delivery).toBeDefined();
    new Webhook(hook.body.data.secret).verify(leaked.body, {
      'webhook-id': String(leaked.headers['webhook-id']),
      'webhook-timestamp': String(leaked.headers['webhook-timestamp']),
      'webhook-signature': String(leaked.headers['webhook-signature']),
    });
    expect(leaked.body).not.toContain(token.secret);
  });

  it('a report sent twice changes nothing the second time, and answers the same', async () => {
    const biz = await createBusiness(t);
    const token = await leakable(biz);
    const body = JSON.stringify([entry(token.secret), entry(token.secret)]);
    const first = await report(body, signed(body)).expect(200);
    const events = await auditOf(token.id);
    const second = await report(body, signed(body)).expect(200);
    expect(second.body).toEqual(first.body);
    expect(first.body.map((a: { label: string }) => a.label)).toEqual([
      'true_positive',
      'true_positive',
    ]);
    expect(await auditOf(token.id)).toEqual(events);
    expect(events.filter((e) => e.action === 'token.revoked')).toHaveLength(1);
  });

  it('a token revoked before keeps its revocation, and its business is still told of the leak, once', async () => {
    const biz = await createBusiness(t);
    await hearLeaks(biz);
    const token = await leakable(biz);
    await revoke(t, asOwner(biz), token.id, { reason: 'left the team' }).expect(201);
    const body = JSON.stringify([entry(token.secret)]);

    const first = await report(body, signed(body)).expect(200);
    expect(first.body).toEqual([expect.objectContaining({ label: 'true_positive' })]);
    const view = await getToken(t, asOwner(biz), token.id).expect(200);
    expect(view.body.data).toMatchObject({
      status: 'revoked',
      revocation_reason: 'left the team',
    });
    expect(view.body.data.revoked_by).not.toBe('github-secret-scanning');
    const events = await auditOf(token.id);
    expect(events.map((e) => [e.action, e.actor_label])).toEqual([
      ['token.created', expect.any(String)],
      ['token.revoked', expect.not.stringMatching('github-secret-scanning')],
      ['token.leaked', 'github-secret-scanning'],
    ]);
    expect(JSON.parse(events[2].metadata)).toMatchObject({ revoked_by_report: false });
    await receiver.waitFor((all) =>
      all.some((r) => r.json.type === 'token.leaked' && r.body.includes(token.id)),
    );

    // Again, and in parallel: nothing more is written, and the answer is the same.
    const again = await Promise.all([1, 2, 3].map(() => report(body, signed(body))));
    expect(again.map((a) => a.body)).toEqual([first.body, first.body, first.body]);
    expect(await auditOf(token.id)).toEqual(events);
  });

  it('the first reports of a token revoked before, in parallel, tell of the leak once', async () => {
    const biz = await createBusiness(t);
    const token = await leakable(biz);
    await revoke(t, asOwner(biz), token.id, { reason: 'rotated out' }).expect(201);
    const body = JSON.stringify([entry(token.secret)]);
    const answers = await Promise.all([1, 2, 3, 4].map(() => report(body, signed(body))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const actions = (await auditOf(token.id)).map((e) => e.action);
    expect(actions).toEqual(['token.created', 'token.revoked', 'token.leaked']);
  });

  it('the same reports in parallel revoke the token once', async () => {
    const biz = await createBusiness(t);
    const token = await leakable(biz);
    const body = JSON.stringify([entry(token.secret)]);
    const answers = await Promise.all([1, 2, 3, 4].map(() => report(body, signed(body))));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const actions = (await auditOf(token.id)).map((e) => e.action);
    expect(actions).toEqual(['token.created', 'token.revoked', 'token.leaked']);
  });

  describe('a report that is not GitHub’s changes nothing and tells nothing', () => {
    let biz: BusinessFixture;
    let secret: string;
    let tokenId: string;
    let body: string;
    beforeAll(async () => {
      biz = await createBusiness(t);
      const token = await leakable(biz);
      secret = token.secret;
      tokenId = token.id;
      body = JSON.stringify([entry(secret)]);
    });

    const cases: [string, () => Record<string, string>][] = [
      ['no signature headers', () => ({ 'content-type': 'application/json' })],
      ['signed by another key', () => signed(body, stranger.privateKey)],
      ['a key id GitHub never listed', () => signed(body, github.privateKey, 'other-key')],
      ['a signature over other bytes', () => signed(`${body} `)],
      [
        'a signature that is not base64',
        () => ({ ...signed(body), 'github-public-key-signature': '***' }),
      ],
      [
        'a signature that is not DER',
        () => ({ ...signed(body), 'github-public-key-signature': 'AAAA' }),
      ],
      ['an overlong key id', () => signed(body, github.privateKey, 'k'.repeat(5000))],
    ];

    it.each(cases)('%s: 401 INVALID_SIGNATURE, token untouched', async (_name, headers) => {
      const res = await report(body, headers());
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ success: false, code: 'INVALID_SIGNATURE' });
      expect(res.text).not.toContain(secret);
      await me(t, asMember(secret, biz.id)).expect(200);
      expect((await auditOf(tokenId)).map((e) => e.action)).toEqual(['token.created']);
    });

    it('an unsigned caller gets the same answer for a real token and an unknown one', async () => {
      const unknown = JSON.stringify([entry(UNKNOWN)]);
      const a = await report(body, signed(body, stranger.privateKey));
      const b = await report(unknown, signed(unknown, stranger.privateKey));
      const shape = (r: typeof a) => ({
        status: r.status,
        code: r.body.code,
        detail: r.body.detail,
      });
      expect(shape(a)).toEqual(shape(b));
    });
  });

  it.each([
    ['an object, not an array', { token: 'x' }],
    ['an entry without a token', [{ type: 'x' }]],
    ['a token that is not a string', [{ token: 7 }]],
    ['an overlong token', [{ token: 'a'.repeat(300) }]],
    ['more than 1,000 entries', Array.from({ length: 1001 }, () => entry(UNKNOWN))],
  ])('a signed report that is %s is 422 and revokes nothing', async (_name, payload) => {
    const biz = await createBusiness(t);
    const token = await leakable(biz);
    const withToken = Array.isArray(payload) ? [entry(token.secret), ...payload] : payload;
    const body = JSON.stringify(withToken);
    const res = await report(body, signed(body));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(res.text).not.toContain(token.secret);
    await me(t, asMember(token.secret, biz.id)).expect(200);
  });

  it('keeps where it was seen on one line, with any other secret in it masked', async () => {
    const biz = await createBusiness(t);
    const token = await leakable(biz);
    const other = await leakable(biz);
    const url = `https://gist.github.com/x\r\n{"forged":true}\u2028?t=${other.secret}`;
    const body = JSON.stringify([entry(token.secret, url)]);
    await report(body, signed(body)).expect(200);
    const leaked = (await auditOf(token.id)).find((e) => e.action === 'token.leaked')!;
    const metadata = JSON.parse(leaked.metadata) as { url: string };
    expect(metadata.url).toBe('https://gist.github.com/x {"forged":true} ?t=[REDACTED]');
    expect(leaked.metadata).not.toContain(other.secret);
  });
});

describe('leak reports switched off or limited', () => {
  it('without GITHUB_SECRET_SCANNING_KEYS_FILE the route is 404 LEAK_REPORTS_OFF', async () => {
    const t = await bootTestApp('sqlite');
    try {
      const body = JSON.stringify([entry(UNKNOWN)]);
      const res = await t.http().post('/leaks/github').set(signed(body)).send(body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('LEAK_REPORTS_OFF');
    } finally {
      await t.close();
    }
  });

  it('is rate limited per client IP, signed or not', async () => {
    const t = await bootTestApp('sqlite', { RATE_LIMIT_LEAKS_PER_MINUTE: '2' });
    try {
      const body = JSON.stringify([entry(UNKNOWN)]);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await t.http().post('/leaks/github').set(signed(body)).send(body)).status);
      }
      expect(statuses).toEqual([404, 404, 429]);
    } finally {
      await t.close();
    }
  });

  it.each([
    ['a missing file', (dir: string) => join(dir, 'absent.json'), /cannot read/],
    [
      'a file that is not GitHub’s keys',
      (dir: string) => {
        writeFileSync(join(dir, 'bad.json'), '{"public_keys": []}');
        return join(dir, 'bad.json');
      },
      /not GitHub's public keys JSON/,
    ],
  ])('refuses to start with %s, naming the variable', async (_name, pathOf, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-leaks-'));
    try {
      await expect(
        bootTestApp('sqlite', { GITHUB_SECRET_SCANNING_KEYS_FILE: pathOf(dir) }),
      ).rejects.toThrow(message);
      await expect(
        bootTestApp('sqlite', { GITHUB_SECRET_SCANNING_KEYS_FILE: pathOf(dir) }),
      ).rejects.toThrow(/GITHUB_SECRET_SCANNING_KEYS_FILE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
