import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { DataSource } from 'typeorm';
import { startAppProcess } from '../harness/app-process';
import { freePort } from '../harness/ports';
import { buildApp } from '../harness/app-cluster';
import { createTestDatabase, TestDatabase } from '../harness/app/test-app';
import { sleep } from '../harness/app/assertions';
import { DRIVERS } from '../setup/servers';

interface Server {
  child: ChildProcess;
  token: string;
  exit: Promise<number | null>;
}

/** Starts the built server on `port`, and waits until it listens. */
async function startServer(db: TestDatabase, port: number): Promise<Server> {
  const app = await startAppProcess({
    name: 'shutdown',
    env: { LOG_LEVEL: 'silent', ...db.env },
    port,
  });
  if (!app.platformToken) throw new Error(`no platform token printed:\n${app.child.output()}`);
  return { child: app.child.proc, token: app.platformToken, exit: app.child.exited };
}

describe.each(DRIVERS)('Graceful shutdown on %s', (driver) => {
  let db: TestDatabase;
  let server: Server | null = null;
  beforeAll(async () => {
    await buildApp();
    db = await createTestDatabase(driver);
  }, 240_000);
  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await db.drop();
  });

  it('on SIGTERM, finishes the request in flight, refuses new connections, answers a request arriving on an open one 503 in the error shape, flushes last_used_at, exits 0', async () => {
    const port = await freePort();
    server = await startServer(db, port);

    // A request whose body is still arriving when SIGTERM lands: it is in flight, and it is
    // authenticated (and its token's use noted) only after the signal.
    const body = JSON.stringify({ name: 'Drained Co', owner_email: 'owner@drained.test' });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    const closed = once(socket, 'close');
    socket.write(
      'POST /platform/v1/businesses HTTP/1.1\r\nHost: localhost\r\n' +
        `Authorization: Bearer ${server.token}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    // A request whose headers are still arriving: its connection is busy, so the drain keeps it
    // open, and the request itself arrives during the drain.
    const late = connect(port, '127.0.0.1');
    await once(late, 'connect');
    let lateResponse = '';
    late.on('data', (chunk: Buffer) => (lateResponse += chunk.toString()));
    const lateClosed = once(late, 'close');
    late.write('GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n');
    await sleep(200);

    server.child.kill('SIGTERM');
    await sleep(300);
    const refused = connect(port, '127.0.0.1');
    const [outcome] = await Promise.race([
      once(refused, 'error').then(([e]) => [(e as NodeJS.ErrnoException).code]),
      once(refused, 'connect').then(() => ['connected']),
    ]);
    refused.destroy();
    expect(outcome).toBe('ECONNREFUSED');

    // It is answered 503 in the API's error shape, before authentication, and told to go.
    late.write(`Authorization: Bearer ${server.token}\r\nX-Request-Id: late-arrival\r\n\r\n`);
    await lateClosed;
    const [head, lateBody] = lateResponse.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/\r\nconnection: close\r\n/i);
    expect(head).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(JSON.parse(lateBody)).toEqual({
      success: false,
      message: 'The server is shutting down; retry the request',
      code: 'SERVICE_UNAVAILABLE',
      detail: 'The server is shutting down; retry the request',
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });

    // Not end(): a client that half-closes gives up its answer, and would not show the drain.
    socket.write(body.slice(10));
    await closed; // the server closes the connection once it has answered
    expect(response).toMatch(/^HTTP\/1\.1 201 /);

    expect(await server.exit).toBe(0);

    const ds = new DataSource(
      driver === 'postgres'
        ? { type: 'postgres', url: db.env.DATABASE_URL }
        : { type: 'better-sqlite3', database: db.env.SQLITE_PATH },
    );
    await ds.initialize();
    try {
      const businesses: unknown[] = await ds.query(
        "SELECT id FROM businesses WHERE name = 'Drained Co'",
      );
      expect(businesses).toHaveLength(1);
      const used: { last_used_at: unknown }[] = await ds.query(
        'SELECT last_used_at FROM api_tokens WHERE business_id IS NULL',
      );
      expect(used.map((row) => row.last_used_at)).toEqual([expect.anything()]);
    } finally {
      await ds.destroy();
    }
  });
});
