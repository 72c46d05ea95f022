import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { RevocationBus } from '../../src/bus/revocation-bus';
import { CASCADE_BATCH } from '../../src/tokens/lifecycle/revocation/batch-revocation.service';
import { addMember, createBusiness } from '../factories/tenancy.factory';
import { seedTokenRows } from '../factories/token-rows.factory';
import { asOwner, removeMember } from '../harness/app/api';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../setup/servers';
import { lastReading } from '../harness/patience';

/**
 * A cascade publishes one invalidation per token. The bus sends them coalesced: a lone message
 * at once, and what is published while a send is under way together in the next payload, so that
 * removing a member with hundreds of tokens is a handful of NOTIFYs or PUBLISHes, not hundreds
 * (each NOTIFY took a pool connection and the database's notify lock). What the other instance
 * hears must still be every token, and every payload must fit PostgreSQL's NOTIFY limit.
 */

const TOKENS = 300;
const NOTIFY_LIMIT_BYTES = 8000;

/** A raw listener on the bus's channel, counting what crosses it. */
interface ChannelTap {
  payloads: string[];
  close(): Promise<void>;
}

async function tapRedis(url: string, channel: string): Promise<ChannelTap> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const payloads: string[] = [];
  client.on('message', (ch: string, text: string) => {
    if (ch === channel) payloads.push(text);
  });
  await client.subscribe(channel);
  return { payloads, close: async () => void (await client.quit()) };
}

async function tapPostgres(url: string, channel: string): Promise<ChannelTap> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const payloads: string[] = [];
  client.on('notification', (n) => {
    if (n.channel === channel && n.payload !== undefined) payloads.push(n.payload);
  });
  await client.query(`LISTEN "${channel}"`);
  return { payloads, close: () => client.end() };
}

type Transport = 'redis' | 'postgres';
const TRANSPORTS: Transport[] = [
  ...(TEST_REDIS_URL ? (['redis'] as const) : []),
  ...(TEST_DATABASE_URL ? (['postgres'] as const) : []),
];
// Runs with REDIS_URL or TEST_DATABASE_URL, which .ci/run always sets.
const suite = TRANSPORTS.length > 0 ? describe.each(TRANSPORTS) : describe.skip.each(['none']);

suite('a burst of invalidations over %s', (transport) => {
  const prefix = `latchkey-test-${randomBytes(4).toString('hex')}:`;
  const channel = `${prefix}invalidation`;
  let a: TestApp;
  let b: TestApp;
  let tap: ChannelTap;

  beforeAll(async () => {
    const env: Record<string, string> = { REDIS_KEY_PREFIX: prefix };
    if (transport === 'redis') env.REDIS_URL = TEST_REDIS_URL!;
    const driver = transport === 'postgres' ? 'postgres' : 'sqlite';
    a = await bootTestApp(driver, { ...env, MAX_ACTIVE_TOKENS_PER_IDENTITY: '0' });
    b = await bootTestApp(driver, env, a.db);
    tap =
      transport === 'redis'
        ? await tapRedis(TEST_REDIS_URL!, channel)
        : await tapPostgres(a.db.env.DATABASE_URL, channel);
    for (const app of [a, b]) {
      expect(app.app.get(RevocationBus).state).toEqual({ transport, connected: true });
    }
  });
  afterAll(async () => {
    await tap?.close();
    await b?.close({ keepDatabase: true });
    await a?.close();
  });

  it(`removing a member with ${TOKENS} tokens: the other instance hears every one, in far fewer payloads`, async () => {
    const biz = await createBusiness(a);
    const member = await addMember(a, biz);
    await seedTokenRows(a, biz.id, member.identityId, TOKENS - 1);
    const jtis = new Set(
      (
        await a.sql<{ jti: string }>(
          'SELECT jti FROM api_tokens WHERE business_id = ? AND identity_id = ?',
          [biz.id, member.identityId],
        )
      ).map((row) => row.jti),
    );
    expect(jtis.size).toBe(TOKENS);

    const heard = new Set<string>();
    const unsubscribe = b.app.get(RevocationBus).subscribe((m) => {
      if (m.type === 'token.changed' && m.business_id === biz.id) heard.add(m.jti);
    });
    try {
      await removeMember(a, asOwner(biz), member.identityId).expect(200);
      await lastReading(
        () => heard.size,
        (size) => size >= TOKENS,
        20,
      );
      expect([...jtis].filter((jti) => !heard.has(jti))).toEqual([]);
    } finally {
      unsubscribe();
    }

    const ours = tap.payloads.filter((p) => p.includes(biz.id));
    expect(ours.length).toBeGreaterThan(0);
    // At most one payload per cascade batch (SQLite's are the smaller), whose messages one
    // commit publishes together, and the member's own message: never one per token.
    expect(ours.length).toBeLessThanOrEqual(TOKENS / CASCADE_BATCH.sqlite + 1);
    for (const payload of ours) {
      expect(Buffer.byteLength(payload)).toBeLessThan(NOTIFY_LIMIT_BYTES);
    }
    console.log(
      `bus over ${transport}: ${TOKENS} tokens revoked by a cascade crossed in ${ours.length} payloads`,
    );
  });
});
