import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../harness/app-process';
import { SHARED_KEYS_ENV } from '../harness/keys';
import { LatchkeyClient } from '../harness/latchkey-client';
import { createScratchDatabase, ScratchDatabase } from '../harness/servers/postgres';
import { buildApp } from '../harness/app-cluster';
import { DRIVERS, TEST_DATABASE_URL } from '../setup/servers';

/**
 * Time is bounded: a request must arrive whole within REQUEST_TIMEOUT_MS. Before, a public POST
 * whose body trickled one byte every 10 s was still open after 150 s.
 */

const TIMEOUT_MS = 180_000;
const REQUEST_TIMEOUT_MS = 1500;

/** Sends headers promising `length` bytes, then a byte every `everyMs`; answers what came back. */
function trickle(port: number, length: number, everyMs: number, giveUpMs: number) {
  return new Promise<{ answer: string; openMs: number }>((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(limit);
      socket.destroy();
      resolve({ answer, openMs: Date.now() - started });
    };
    const limit = setTimeout(finish, giveUpMs);
    socket.on('data', (d: Buffer) => (answer += d.toString('utf8')));
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => {
      socket.write(
        'POST /oauth2/revoke HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
      );
      let sent = 0;
      timer = setInterval(() => {
        if (sent++ < length && socket.writable) socket.write(sent === 1 ? '{' : ' ');
      }, everyMs);
    });
  });
}

describe.each(DRIVERS)('request timeout on %s', (driver) => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-timeout-'));
  let db: ScratchDatabase | undefined;
  let app: AppProcess;

  beforeAll(async () => {
    await buildApp();
    const database: Record<string, string> =
      driver === 'postgres'
        ? {
            DATABASE_URL: (db = await createScratchDatabase(TEST_DATABASE_URL!, 'latchkey_timeout'))
              .url,
            ...SHARED_KEYS_ENV,
          }
        : { SQLITE_PATH: join(dir, 'timeout.sqlite') };
    app = await startAppProcess({
      name: `timeout-${driver}`,
      env: {
        ...database,
        ...RATE_LIMITS_OFF,
        LOG_LEVEL: 'warn',
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      },
    });
  }, TIMEOUT_MS);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, TIMEOUT_MS);

  it(
    'cuts a trickled body with 408 in the error shape, and keeps serving everyone else',
    async () => {
      const [cut, other] = await Promise.all([
        trickle(app.port, 100, 300, 15_000),
        (async () => {
          await new Promise((r) => setTimeout(r, 500));
          return new LatchkeyClient(app.url).request('GET', '/health/live');
        })(),
      ]);
      expect(other.status).toBe(200);
      expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
      const body = JSON.parse(cut.answer.slice(cut.answer.indexOf('\r\n\r\n') + 4)) as object;
      expect(body).toMatchObject({ success: false, code: 'REQUEST_TIMEOUT' });
      // Cut (a 408, where the whole body would have taken 30 s), and not before the timeout.
      // How soon after it is printed, never held to a clock a busy machine could break.
      expect(cut.openMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      console.log(
        `request-timeout ${driver}: a body trickled at 1 byte/300 ms was cut with 408 after ` +
          `${cut.openMs} ms (REQUEST_TIMEOUT_MS=${REQUEST_TIMEOUT_MS})`,
      );
      expect((await new LatchkeyClient(app.url).request('GET', '/health/live')).status).toBe(200);
    },
    TIMEOUT_MS,
  );

  it(
    'answers a request that arrives whole as usual',
    async () => {
      const res = await new LatchkeyClient(app.url).request('POST', '/oauth2/revoke', {
        body: { token: 'lk_not-a-token' },
      });
      expect(res.status).toBe(200);
    },
    TIMEOUT_MS,
  );
});
