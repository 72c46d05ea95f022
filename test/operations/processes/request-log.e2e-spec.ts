import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../../harness/app-process';
import { BusinessSetup, LatchkeyClient } from '../../harness/latchkey-client';
import { buildApp } from '../../harness/app-cluster';

const TIMEOUT_MS = 180_000;

/** What main.ts itself prints outside the logger: the first token, and where it listens. */
const PLAIN_LINES = [
  /^$/,
  /^Platform admin \S+ created\.$/,
  /^Platform admin token \(shown once\): \S+$/,
  /^Latchkey listening on /,
  /^Audit signing key created in \S+ \(mode 0600\)\.$/,
  /^Its verifier key, to check the checkpoints you keep: \S+$/,
  /^Webhook secrets key created in \S+ \(mode 0600\): back it up with the database; /,
  /^SIGTERM received: draining requests, then shutting down$/,
];

/** The request log as an operator reads it: one line per request, at info only, no secrets. */
describe('request log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-log-'));
  beforeAll(() => buildApp(), TIMEOUT_MS);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Starts the built app at `level`, makes a business, calls /me and /health/live, and stops it:
   * its whole output is read once it has exited, so every line it wrote is there (and any it
   * should not have written would be).
   */
  async function callsAt(level: string) {
    const app: AppProcess = await startAppProcess({
      name: `log-${level}`,
      env: { SQLITE_PATH: join(dir, `${level}.sqlite`), LOG_LEVEL: level, ...RATE_LIMITS_OFF },
    });
    let owner: BusinessSetup;
    let tokenId: string;
    try {
      const client = new LatchkeyClient(app.url);
      owner = await client.createBusiness(app.platformToken!, 'log');
      const me = await client.request<{ data: { token: { id: string } } }>('GET', '/api/v1/me', {
        headers: {
          authorization: `Bearer ${owner.ownerToken}`,
          'x-business-id': owner.businessId,
          'x-request-id': `probe-${level}`,
        },
      });
      expect(me.status).toBe(200);
      tokenId = me.body.data.token.id;
      expect((await client.request('GET', '/health/live')).status).toBe(200);
    } finally {
      await app.stop();
    }
    const output = app.child.output();
    const lines = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { app, owner, tokenId, lines, output };
  }

  it(
    'writes one line per API request at info, naming business and token, and none for health',
    async () => {
      const { owner, tokenId, lines, output, app } = await callsAt('info');
      const completed = lines.filter((l) => l.msg === 'request completed');
      expect(completed.find((l) => l.client_request_id === 'probe-info')).toEqual(
        expect.objectContaining({
          request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          method: 'GET',
          url: '/api/v1/me',
          status: 200,
          business_id: owner.businessId,
          token_id: tokenId,
          remote_address: expect.any(String),
          response_time_ms: expect.any(Number),
        }),
      );
      expect(completed.filter((l) => String(l.url).startsWith('/health'))).toEqual([]);
      // Nest's start-up chatter (a line per module and route) is debug, not info.
      const chatter = ['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory'];
      expect(lines.filter((l) => chatter.includes(String(l.context)))).toEqual([]);
      expect(lines.some((l) => l.context === 'NestApplication')).toBe(true);
      // No secret in any log line: the owner's never, the admin's only in its one-time print.
      expect(output).not.toContain(owner.ownerToken);
      expect(output.split(app.platformToken!).length - 1).toBe(1);
      expect(output.toLowerCase()).not.toContain('authorization');
      // Not a terminal (a pipe): every log line is JSON.
      const notJson = output
        .split('\n')
        .filter((l) => !PLAIN_LINES.some((p) => p.test(l)))
        .filter((l) => {
          try {
            return typeof JSON.parse(l) !== 'object';
          } catch {
            return true;
          }
        });
      expect(notJson).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'prints readable lines, not JSON, in a terminal',
    async () => {
      // script(1) runs the server on a pseudo-terminal, as an operator's shell would.
      const app = await startAppProcess({
        name: 'log-tty',
        env: { SQLITE_PATH: join(dir, 'tty.sqlite'), LOG_LEVEL: 'info' },
        terminal: true,
      });
      const out = app.child.output();
      try {
        // eslint-disable-next-line no-control-regex -- ANSI colour sequences
        const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/);
        expect(lines).toContainEqual(
          expect.stringMatching(
            /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: Nest application successfully started {"context":"NestApplication"}$/,
          ),
        );
        expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
      } finally {
        await app.stop();
      }
    },
    TIMEOUT_MS,
  );

  it(
    'writes no request line at warn',
    async () => {
      const { lines } = await callsAt('warn');
      expect(lines.filter((l) => l.msg === 'request completed')).toEqual([]);
    },
    TIMEOUT_MS,
  );
});
