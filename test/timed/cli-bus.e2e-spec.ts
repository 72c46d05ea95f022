import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { buildApp } from '../harness/app-cluster';
import { asOwner } from '../harness/app/api';
import { cli, packagesLoaded } from '../harness/app/cli';
import { bootTestApp, TestApp } from '../harness/app/test-app';
import { waitFor } from '../harness/patience';
import { VerifierCache } from '../../src/tokens/verify/verifier-cache';
import { createBusiness, createToken, IssuedToken } from '../factories/tenancy.factory';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../setup/servers';

/**
 * The bus of a CLI process, as processes of the built CLI: a read (`tokens list`) opens no
 * transport (no ioredis loaded, no connection, no LISTEN session); a revoke still publishes,
 * before its process exits, so a server that had the token cached refuses it at once. On Redis,
 * and on PostgreSQL's NOTIFY when there is no Redis.
 */
jest.setTimeout(240_000);

beforeAll(() => buildApp(), 240_000);

/** The payloads published on a channel, heard by a client of our own. */
async function tap(transport: Transport, url: string, channel: string) {
  const payloads: string[] = [];
  if (transport === 'redis') {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    client.on(
      'message',
      (ch: string, text: string) => void (ch === channel && payloads.push(text)),
    );
    await client.subscribe(channel);
    return { payloads, close: async () => void (await client.quit()) };
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  client.on('notification', (n) => void (n.channel === channel && payloads.push(n.payload ?? '')));
  await client.query(`LISTEN "${channel}"`);
  return { payloads, close: () => client.end() };
}

/** The app's compiled files (under dist/src/) a process of the built CLI loaded. */
async function filesLoaded(dir: string, args: string[], env: Record<string, string>) {
  const preload = join(dir, 'files-loaded.js');
  const out = join(dir, 'files-loaded.json');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, ` +
      "JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('/dist/src/'))" +
      ".map((f) => f.slice(f.indexOf('/dist/src/') + 10)))));",
  );
  const run = await cli(args, { ...env, NODE_OPTIONS: `--require ${preload}` });
  return { run, files: JSON.parse(readFileSync(out, 'utf8')) as string[] };
}

const CACHE_TTL_MS = 10_000;

type Transport = 'redis' | 'postgres';
const TRANSPORTS: Transport[] = [
  ...(TEST_REDIS_URL ? (['redis'] as const) : []),
  ...(TEST_DATABASE_URL ? (['postgres'] as const) : []),
];
// Runs with REDIS_URL or TEST_DATABASE_URL, which .ci/run always sets.
const suite = TRANSPORTS.length > 0 ? describe.each(TRANSPORTS) : describe.skip.each(['none']);

suite('a CLI process on the %s bus', (name) => {
  const transport = name as Transport;
  const prefix = `latchkey-cli-${randomBytes(4).toString('hex')}:`;
  const channel = `${prefix}invalidation`;
  let t: TestApp;
  let env: Record<string, string>;
  let dir: string;
  let heard: Awaited<ReturnType<typeof tap>>;
  let token: IssuedToken;
  let owner: Awaited<ReturnType<typeof createBusiness>>;

  beforeAll(async () => {
    const bus: Record<string, string> = { REDIS_KEY_PREFIX: prefix };
    if (transport === 'redis') bus.REDIS_URL = TEST_REDIS_URL!;
    // The longest a cached token lives: only a message evicts it sooner.
    t = await bootTestApp(transport === 'redis' ? 'sqlite' : 'postgres', {
      ...bus,
      TOKEN_CACHE_TTL_MS: String(CACHE_TTL_MS),
    });
    env = { ...t.db.env, ...bus };
    dir = mkdtempSync(join(tmpdir(), 'cli-bus-'));
    heard = await tap(
      transport,
      transport === 'redis' ? TEST_REDIS_URL! : t.db.env.DATABASE_URL,
      channel,
    );
    owner = await createBusiness(t);
    token = await createToken(t, asOwner(owner), { name: 'bus' });
  });
  afterAll(async () => {
    await heard?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tokens list opens no bus: no transport loaded, no connection, nothing sent', async () => {
    const args = ['tokens', 'list', '--business', owner.id, '--limit', '1'];
    const { run, files } = await filesLoaded(dir, args, env);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(files).toContain('bus/revocation-bus.js');
    expect(files.filter((f) => /^bus\/.*-transport\.js$/.test(f))).toEqual([
      'bus/publish-only-transport.js',
    ]);
    if (transport === 'redis') {
      const { packages } = await packagesLoaded(dir, args, env);
      expect(packages).not.toContain('ioredis');
    }
    expect(heard.payloads).toEqual([]);
  });

  it('a revoke publishes before its process exits, and the server refuses at once', async () => {
    const me = () =>
      t
        .http()
        .get('/api/v1/me')
        .set({
          authorization: `Bearer ${token.secret}`,
          'x-business-id': owner.id,
        });
    await me().expect(200); // now in the server's cache
    const heardByServer = jest.spyOn(t.app.get(VerifierCache), 'evict');

    const { run, files } = await filesLoaded(
      dir,
      ['tokens', 'revoke', token.id, '--reason', 'over the bus'],
      env,
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(files).toContain(`bus/${transport === 'redis' ? 'redis' : 'pg-notify'}-transport.js`);
    await waitFor('the tap to hear the revocation', () => heard.payloads.length > 0);
    expect(heard.payloads.map((p) => JSON.parse(p) as unknown)).toEqual([
      expect.objectContaining({ type: 'token.changed', jti: token.jti }),
    ]);
    // The server hears it as our tap does, and its cache drops the token for it. Its age is not
    // the proof: a busy machine can take longer to start the CLI than the cache keeps an entry.
    await waitFor('the server to hear the revocation on the bus', () =>
      heardByServer.mock.calls.some(([m]) => m.type === 'token.changed' && m.jti === token.jti),
    );
    heardByServer.mockRestore();
    const refused = await me();
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 401,
      code: 'TOKEN_REVOKED',
    });
  });
});
