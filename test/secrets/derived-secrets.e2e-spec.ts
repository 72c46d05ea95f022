import { mintSecret } from '../../src/tokens/token-secret';
import { createBusiness, createToken } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import { ANSWER_CAP, flat, leakReporter, needlesOf, SOURCES, World } from './derived-text-sources';
import { bootLoggedApp, LoggedApp } from './logged-app';
import { SECRET_ENCODINGS } from '../harness/app/secret-encodings';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { DRIVERS } from '../setup/servers';
import { sample } from '../harness/sampling';

/**
 * Text the server keeps or logs but did not write, and cannot refuse (a caller's User-Agent,
 * x-request-id and URL, a leak report's url, source and type, a webhook receiver's answer),
 * never holds a live Latchkey token: not in a stored row, an API answer, the audit log or its
 * export, nor a log line. Each source × each encoding a secret takes by accident
 * (test/harness/app/secret-encodings.ts), written as an attacker would: a live token of the
 * business, sent where the source takes text. Before, each source kept what it was given, bar a
 * token written as is in a User-Agent or a leak report.
 */

const TABLES = [
  'audit_events',
  'webhook_messages',
  'webhook_attempts',
  'api_tokens',
  'identities',
  'businesses',
];

/** Every source × every encoding it takes (an x-request-id of `%` is dropped before any check). */
const SAMPLE = mintSecret('lk').secret;
const ALL_CASES = SOURCES.flatMap((source, sourceAt) =>
  SECRET_ENCODINGS.flatMap(([form, encode], encodingAt) =>
    (source.takes?.(encode(SAMPLE)) ?? true)
      ? // A diagonal of the table, kept whatever the seed: each encoding with a source in turn.
        [{ source, form, encode, diagonal: encodingAt % SOURCES.length === sourceAt }]
      : [],
  ),
);
/** Each case reads every table, export and log line: a third in `npm test`, all in test:full. */
const CASES = sample('sources × encodings', ALL_CASES, Math.ceil(ALL_CASES.length / 3), {
  always: (c) => c.diagonal,
  testsPerRow: DRIVERS.length,
});

describe.each(DRIVERS)('secrets in text from outside, on %s', (driver) => {
  let t: LoggedApp;
  let w: World;
  const receiver = new WebhookReceiver();
  const leaks = leakReporter();
  const answer = { body: 'ok' };

  beforeAll(async () => {
    await receiver.start();
    receiver.answer = (r) => ({
      status: 200,
      body: r.url.includes('answering') ? answer.body : 'ok',
    });
    t = await bootLoggedApp(driver, {
      GITHUB_SECRET_SCANNING_KEYS_FILE: leaks.keysFile,
      WEBHOOK_POLL_MS: '50',
      RATE_LIMIT_LEAKS_PER_MINUTE: '0',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
    });
    const biz = await createBusiness(t);
    const register = async (url: string, eventTypes: string[]) =>
      (
        await t
          .http()
          .post('/api/v1/webhooks')
          .set(asOwner(biz))
          .send({ url, event_types: eventTypes })
          .expect(201)
      ).body.data.id as string;
    // One endpoint hears leaks, so their sightings are queued (webhook_messages) and sent too.
    await register(`${receiver.url}?leaks`, ['token.leaked']);
    const answering = await register(`${receiver.url}?answering`, ['token.expiring']);
    w = { t, biz, receiver, answering, answer, leaks };
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
    leaks.remove();
  });

  /** Everything a reader could read afterwards: rows, the audit log and its exports, logs. */
  async function everything(answers: string[]): Promise<Record<string, string>> {
    const read: Record<string, string> = {};
    answers.forEach((a, i) => (read[`answer ${i}`] = a));
    for (const table of TABLES) read[table] = JSON.stringify(await t.sql(`SELECT * FROM ${table}`));
    const owner = asOwner(w.biz);
    const get = async (path: string) => (await t.http().get(path).set(owner).expect(200)).text;
    read['audit list'] = await get('/api/v1/audit-events?limit=200');
    read['audit ndjson'] = await get('/api/v1/audit-events/export?format=ndjson');
    read['audit csv'] = await get('/api/v1/audit-events/export?format=csv');
    read['deliveries'] = await get(`/api/v1/webhooks/${w.answering}/deliveries?limit=200`);
    read['sent webhooks'] = JSON.stringify(receiver.received.map((r) => r.body));
    // Read last: the request log's line for a request is written once it was answered.
    read.logs = t.logs.join('');
    return read;
  }

  it.each(CASES.map((c) => [c.source.name, c.form, c]))(
    '%s holding a live token %s: kept nowhere, answered nowhere, logged nowhere',
    async (_source, _form, { source, encode }) => {
      const secret = (await createToken(t, asOwner(w.biz), { name: 'the-leaked-one' })).secret;
      const answers = await source.inject(w, encode(secret));
      const read = await everything(answers);
      const found = needlesOf(encode, secret, source.cutAt).flatMap((needle) =>
        Object.entries(read)
          .filter(([, content]) => flat(content).includes(needle))
          .map(([where]) => `${where} holds ${JSON.stringify(needle)}`),
      );
      expect(found).toEqual([]);
    },
  );

  it('keeps the rest of what was said, with the secret masked where it stood', async () => {
    const secret = (await createToken(t, asOwner(w.biz), { name: 'kept' })).secret;
    const [listed] = await SOURCES[7].inject(
      w,
      `see ${secret} and ${Buffer.from(secret).toString('base64')}`,
    );
    const [newest] = JSON.parse(listed) as { response_body: string }[];
    expect(JSON.parse(newest.response_body)).toEqual({
      error: 'refused',
      detail: `see ${secret.slice(0, 7)}…${secret.slice(-4)} and [REDACTED]`,
    });
  });

  it(`keeps a receiver's answer whole when it holds no secret, up to ${ANSWER_CAP} bytes`, async () => {
    const [listed] = await SOURCES[7].inject(w, 'lk_notatoken and %41%42 and QUJD');
    const [newest] = JSON.parse(listed) as { response_body: string }[];
    expect(JSON.parse(newest.response_body)).toEqual({
      error: 'refused',
      detail: 'lk_notatoken and %41%42 and QUJD',
    });
  });
});
