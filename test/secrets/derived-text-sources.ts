import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintSecret } from '../../src/tokens/token-secret';
import type { BusinessFixture } from '../factories/tenancy.factory';
import { createToken } from '../factories/tenancy.factory';
import { asOwner } from '../harness/app/api';
import type { TestApp } from '../harness/app/test-app';
import type { WebhookReceiver } from '../harness/app/webhook-receiver';
import { listAttempts, waitForAttempts } from '../webhooks/webhook-suite';

/**
 * The places where the server keeps or logs text it did not write and cannot refuse: what a
 * caller's headers and URL say, what a leak report says, what a webhook receiver answers. Each
 * is a row of `SOURCES`: it puts a text where that source takes it, and answers what the API
 * answered, so a suite can look for a secret in every answer, row and log line after it.
 */

export interface World {
  t: TestApp;
  biz: BusinessFixture;
  receiver: WebhookReceiver;
  /** An endpoint of `biz` on `receiver`, whose answers are the texts under test. */
  answering: string;
  /** What the receiver answers that endpoint's next delivery. */
  answer: { body: string };
  leaks: LeakReporter;
}

export interface Source {
  name: string;
  /** Whether the source takes the text at all; by default, any text. */
  takes?: (text: string) => boolean;
  /** Where the text is cut, when the source keeps a capped excerpt of it (1024 bytes). */
  cutAt?: number;
  inject(w: World, text: string): Promise<string[]>;
}

/** `x-request-id`'s characters (docs/api.md): anything else is dropped before any check. */
const REQUEST_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/** The byte cap of a receiver's answer as the delivery history keeps it. */
export const ANSWER_CAP = 1024;

const auditedCreate = (w: World, headers: Record<string, string>) =>
  w.t.http().post('/api/v1/tokens').set(asOwner(w.biz)).set(headers).send({ name: 'probe' });

/** A leak report of a live token of `w.biz`, with `entry` merged into the reported entry. */
async function reportWith(w: World, entry: Record<string, string>): Promise<string[]> {
  const reported = await createToken(w.t, asOwner(w.biz), { name: 'pushed' });
  const body = JSON.stringify([
    { token: reported.secret, type: 'latchkey_api_token', url: 'https://github.com/o/r', ...entry },
  ]);
  const res = await w.t.http().post('/leaks/github').set(w.leaks.signed(body)).send(body);
  // The reported token is named back (GitHub's protocol): it is the reporter's, and revoked.
  return [res.text.replaceAll(reported.secret, '<reported>')];
}

/** A receiver's answer to a `webhook.test` delivery, kept in the delivery history. */
async function answered(w: World, body: string): Promise<string[]> {
  const before = (await listAttempts(w.t, w.biz, w.answering)).length;
  w.answer.body = body;
  await w.t.http().post(`/api/v1/webhooks/${w.answering}/test`).set(asOwner(w.biz)).expect(201);
  const attempts = await waitForAttempts(w.t, w.biz, w.answering, before + 1);
  if (attempts.length <= before) throw new Error('the receiver was never called');
  return [JSON.stringify(attempts)];
}

export const SOURCES: Source[] = [
  {
    name: 'the User-Agent of an audited request',
    inject: async (w, text) => [
      (await auditedCreate(w, { 'user-agent': `probe/1 (${text})` })).text,
    ],
  },
  {
    name: 'the x-request-id of an audited request',
    takes: (text) => REQUEST_ID.test(text),
    inject: async (w, text) => [(await auditedCreate(w, { 'x-request-id': text })).text],
  },
  {
    name: "a request's path (the request log, a 422's input)",
    // A longer parameter is refused by the router (find-my-way's 100), before any log or echo.
    takes: (text) => encodeURIComponent(text).length <= 100,
    inject: async (w, text) => [
      (
        await w.t
          .http()
          .get(`/api/v1/tokens/${encodeURIComponent(text)}`)
          .set(asOwner(w.biz))
      ).text,
    ],
  },
  {
    name: "a request's query (the request log)",
    inject: async (w, text) => [
      (
        await w.t
          .http()
          .get(`/api/v1/tokens?limit=1&name=${encodeURIComponent(text)}`)
          .set(asOwner(w.biz))
      ).text,
    ],
  },
  {
    name: "a leak report's url",
    inject: (w, text) => reportWith(w, { url: `https://github.com/o/r/blob/main/.env#${text}` }),
  },
  { name: "a leak report's source", inject: (w, text) => reportWith(w, { source: text }) },
  {
    name: "a leak report's type",
    // A longer type is refused whole (422): the report changes nothing.
    takes: (text) => text.length <= 128,
    inject: (w, text) => reportWith(w, { type: text }),
  },
  {
    name: "a webhook receiver's answer",
    inject: (w, text) => answered(w, JSON.stringify({ error: 'refused', detail: text })),
  },
  {
    name: "a webhook receiver's answer, cut at its cap inside the secret",
    cutAt: 0.8,
    inject: (w, text) => {
      // The cap falls 80% of the way into the text: what is kept is a token cut short.
      const lead = `{"error":"${' '.repeat(ANSWER_CAP)}`.slice(
        0,
        ANSWER_CAP - Math.floor(text.length * 0.8),
      );
      return answered(w, `${lead}${text}"}`);
    },
  },
];

/**
 * What must never be read anywhere once `encoded` (the secret in some form) went in: the secret's
 * random part, and the first and last 20 characters of the part of `encoded` that is the
 * secret's own (what two secrets encode to alike is not), so a copy cut at either end is found
 * too; each also as a URL writes it. For a source that keeps a cut excerpt, the last characters
 * kept before the cut. Compare with `flat` text.
 */
export function needlesOf(
  encode: (secret: string) => string,
  secret: string,
  cutAt?: number,
): string[] {
  const a = encode(secret);
  const b = encode(mintSecret(secret.slice(0, secret.indexOf('_'))).secret);
  let p = 0;
  while (p < a.length && a[p] === b[p]) p++;
  let q = 0;
  while (q < a.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
  const core = a.slice(p, a.length - q);
  const windows =
    cutAt === undefined
      ? [core.slice(4, 24), core.slice(-24, -4)]
      : [a.slice(0, Math.floor(a.length * cutAt)).slice(-16)];
  const forms = windows.flatMap((w) => [w, encodeURIComponent(w)]).map(flat);
  return [...new Set(cutAt === undefined ? [secret.slice(3, 33), ...forms] : forms)];
}

/**
 * Text with each run of backslashes made one: JSON escapes a backslash, and a row holding JSON
 * read out as JSON escapes it again, so `\u006c` is found however many times it was written.
 */
export const flat = (text: string) => text.replace(/\\+/g, '\\');

/** Signs leak reports as GitHub does, with a key in a keys file of its own. */
export interface LeakReporter {
  keysFile: string;
  signed(body: string): Record<string, string>;
  remove(): void;
}

export function leakReporter(): LeakReporter {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-derived-'));
  const keysFile = join(dir, 'github-keys.json');
  const key = publicKey.export({ type: 'spki', format: 'pem' });
  writeFileSync(
    keysFile,
    JSON.stringify({ public_keys: [{ key_identifier: 'k1', key, is_current: true }] }),
  );
  return {
    keysFile,
    signed: (body) => ({
      'content-type': 'application/json',
      'github-public-key-identifier': 'k1',
      'github-public-key-signature': sign('sha256', Buffer.from(body), {
        key: privateKey,
        dsaEncoding: 'der',
      }).toString('base64'),
    }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
