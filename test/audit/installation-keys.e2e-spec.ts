import { Logger } from '@nestjs/common';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { parse } from 'yaml';
import { startApp } from '../../src/app.factory';
import { DEFAULT_KEY_FILE } from '../../src/audit/checkpoints/audit-signer';
import { ConfigValidationError, loadConfig } from '../../src/config/load-config';
import { parseJwtKeySet } from '../../src/signing/jwt-key-set';
import { DEFAULT_JWT_KEYS_FILE } from '../../src/signing/jwt-key-source';
import { DEFAULT_SECRETS_KEY_FILE } from '../../src/webhooks/signing/webhook-secret-box';
import { REPO_ROOT } from '../harness/app-process';
import { createBusiness } from '../factories/tenancy.factory';
import { asOwner, asPlatform } from '../harness/app/api';
import { openCheckpoint } from './checkpoint-oracle';
import { cliInProcess } from '../harness/app/cli';
import { bootTestApp, createTestDatabase, TestApp } from '../harness/app/test-app';
import { WebhookReceiver } from '../harness/app/webhook-receiver';
import { lastReading } from '../harness/patience';
import { Driver, DRIVERS, TEST_DATABASE_URL } from '../setup/servers';

/**
 * The installation's keys (`keys init`, KEYS_DIR), and what a start does without them: refused on
 * PostgreSQL with the command to run, never a feature quietly off. In-process: the CLI through
 * `runCli`, the server through `startApp`. The table of every key source a start may be given is
 * src/wiring/installation-keys.spec.ts.
 */

const NO_DATABASE = 'postgres://nobody@127.0.0.1:1/none';
const UNSET_KEYS = { AUDIT_SIGNING_KEY: '', WEBHOOK_SECRETS_KEY: '', JWT_SIGNING_KEYS: '' };
const KEY_FILES = [DEFAULT_KEY_FILE, DEFAULT_SECRETS_KEY_FILE, DEFAULT_JWT_KEYS_FILE];

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-keys-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** What `keys init` printed, parsed. */
interface Printed {
  keys_dir: string;
  audit_signing_key: { path: string; status: string };
  webhook_secrets_key: { path: string; status: string };
  jwt_signing_keys: { path: string; status: string };
  audit_verifier_key: string;
}

async function keysInit(env: Record<string, string>): Promise<Printed> {
  const run = await cliInProcess(['keys', 'init'], env);
  if (run.code !== 0) throw new Error(`keys init exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Printed;
}

/**
 * A started app signs checkpoints with the key `keys init` printed, and delivers signed webhooks:
 * both features on, with the files' keys.
 */
async function expectBothOn(t: TestApp, verifierKey: string): Promise<void> {
  const served = await t.http().get('/.well-known/latchkey-audit-key').expect(200);
  expect(served.text).toBe(`${verifierKey}\n`);
  const biz = await createBusiness(t);
  const checkpoint = async () => t.http().get('/api/v1/audit-events/checkpoint').set(asOwner(biz));
  const note = await lastReading(checkpoint, (res) => res.status === 200, 100);
  expect(note.status).toBe(200);
  expect(openCheckpoint(note.text, verifierKey)).toMatchObject({ signed: true });

  const receiver = await new WebhookReceiver().start();
  try {
    const created = await t
      .http()
      .post('/api/v1/webhooks')
      .set(asOwner(biz))
      .send({ url: receiver.url, event_types: ['token.revoked'] })
      .expect(201);
    await t
      .http()
      .post(`/api/v1/webhooks/${created.body.data.id as string}/test`)
      .set(asOwner(biz))
      .expect(201);
    const [delivery] = await receiver.waitFor((got) => got.length >= 1);
    const verified = new Webhook(created.body.data.secret as string).verify(delivery.body, {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    });
    expect(verified).toMatchObject({ type: 'webhook.test' });
  } finally {
    await receiver.stop();
  }
}

describe('keys init', () => {
  it('is in the grammar: --help lists the group, and the group its command', async () => {
    const top = await cliInProcess(['--help'], {});
    expect(top.stdout).toMatch(/^ {2}keys +Make the installation's keys/m);
    const group = await cliInProcess(['keys', '--help'], {});
    expect(group.stdout).toMatch(/^ {2}init +Make the installation's keys in KEYS_DIR/m);
    expect(group.stdout).toMatch(/^ {2}rotate-jwt +Add a JWT signing key/m);
  });

  it('writes the keys without opening a database, prints no key, and keeps them when run again', async () => {
    const dir = join(tempDir(), 'keys');
    // An unreachable database: the command never opens one (compose runs it before there is one).
    const env = { DATABASE_URL: NO_DATABASE, KEYS_DIR: dir };
    const first = await cliInProcess(['keys', 'init'], env);
    expect(first.code).toBe(0);
    const printed = JSON.parse(first.stdout) as Printed;
    expect(printed).toEqual({
      keys_dir: dir,
      audit_signing_key: { path: join(dir, DEFAULT_KEY_FILE), status: 'created' },
      webhook_secrets_key: { path: join(dir, DEFAULT_SECRETS_KEY_FILE), status: 'created' },
      jwt_signing_keys: { path: join(dir, DEFAULT_JWT_KEYS_FILE), status: 'created' },
      audit_verifier_key: expect.stringMatching(/^latchkey\.local\+[0-9a-f]{8}\+/),
    });
    const keys = KEY_FILES.map((f) => readFileSync(join(dir, f), 'utf8'));
    // The signer key's secret is its base64 after `<name>+<key id>+`, whole (base64 may hold `+`).
    const secretParts = [
      /\+[0-9a-f]{8}\+(.+)$/.exec(keys[0].trim())![1],
      keys[1].trim(),
      ...parseJwtKeySet('test', keys[2]).map((key) => key.d),
    ];
    for (const part of secretParts) {
      expect(first.stdout).not.toContain(part);
      expect(first.stderr).not.toContain(part);
    }
    expect(first.stderr).toContain(`Keys in ${dir} (mode 0600)`);

    const again = await cliInProcess(['keys', 'init'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      ...printed,
      audit_signing_key: { ...printed.audit_signing_key, status: 'kept' },
      webhook_secrets_key: { ...printed.webhook_secrets_key, status: 'kept' },
      jwt_signing_keys: { ...printed.jwt_signing_keys, status: 'kept' },
    });
    expect(again.stderr).toContain(`Kept the keys already in ${dir}: nothing was overwritten.`);
    expect(KEY_FILES.map((f) => readFileSync(join(dir, f), 'utf8'))).toEqual(keys);
  });

  it('refuses PostgreSQL with no KEYS_DIR, exit 1 with the command, and writes nothing', async () => {
    const run = await cliInProcess(['keys', 'init'], { DATABASE_URL: NO_DATABASE });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('KEYS_DIR=./keys npm run -s cli -- keys init');
  });

  it('refuses extra arguments before anything runs', async () => {
    const dir = join(tempDir(), 'never');
    const run = await cliInProcess(['keys', 'init', 'now'], { KEYS_DIR: dir });
    expect(run.code).not.toBe(0);
    expect(() => readFileSync(join(dir, DEFAULT_KEY_FILE))).toThrow();
  });
});

describe('keys rotate-jwt', () => {
  /** The private parts of the set in `dir`. */
  const privateParts = (dir: string) =>
    parseJwtKeySet('test', readFileSync(join(dir, DEFAULT_JWT_KEYS_FILE), 'utf8')).map((k) => k.d);

  it('adds a key published an hour ahead, prints no key, and a start reads the set', async () => {
    const dir = join(tempDir(), 'keys');
    const printed = await keysInit({ KEYS_DIR: dir });
    const [first] = parseJwtKeySet('test', readFileSync(printed.jwt_signing_keys.path, 'utf8'));
    const before = Date.now();
    const run = await cliInProcess(['keys', 'rotate-jwt'], {
      DATABASE_URL: NO_DATABASE,
      KEYS_DIR: dir,
    });
    expect(run.code).toBe(0);
    const rotated = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(rotated).toEqual({
      file: join(dir, DEFAULT_JWT_KEYS_FILE),
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      active_from: expect.any(String),
      listed_kids: [first.kid, rotated.kid],
      removed_kids: [],
    });
    expect(Date.parse(rotated.active_from as string)).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(run.stderr).toContain('restart every instance before then');
    const parts = privateParts(dir);
    expect(parts).toHaveLength(2);
    for (const d of parts) expect(run.stdout + run.stderr).not.toContain(d);

    const t = await bootTestApp('sqlite', { ...UNSET_KEYS, KEYS_DIR: dir });
    await t.close();
  });

  it('refuses a set that JWT_SIGNING_KEYS holds, saying to rotate a file, exit 1', async () => {
    const dir = join(tempDir(), 'keys');
    const printed = await keysInit({ KEYS_DIR: dir });
    const text = readFileSync(printed.jwt_signing_keys.path, 'utf8');
    const run = await cliInProcess(['keys', 'rotate-jwt'], {
      DATABASE_URL: NO_DATABASE,
      JWT_SIGNING_KEYS: text,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('JWT_SIGNING_KEYS: the keys come from this variable');
    expect(run.stderr).toContain('rotate the file instead');
    expect(run.stderr).not.toContain(privateParts(dir)[0]);
    expect(readFileSync(printed.jwt_signing_keys.path, 'utf8')).toBe(text);
  });

  it('refuses extra arguments before anything runs', async () => {
    const dir = join(tempDir(), 'keys');
    const printed = await keysInit({ KEYS_DIR: dir });
    const text = readFileSync(printed.jwt_signing_keys.path, 'utf8');
    const run = await cliInProcess(['keys', 'rotate-jwt', 'now'], { KEYS_DIR: dir });
    expect(run.code).not.toBe(0);
    expect(readFileSync(printed.jwt_signing_keys.path, 'utf8')).toBe(text);
  });
});

describe.each(DRIVERS)('a start on %s and its keys', (driver: Driver) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  if (driver === 'postgres') {
    it('is refused with no keys, with the command that makes them, before any database opens', async () => {
      const config = loadConfig({ DATABASE_URL: TEST_DATABASE_URL!, LOG_LEVEL: 'silent' });
      const refused = await startApp(config, { logs: false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ConfigValidationError);
      const message = (refused as Error).message;
      expect(message).toContain('KEYS_DIR=./keys npm run -s cli -- keys init');
      expect(message).toContain(
        'the audit signing key, the webhook secrets key and the JWT signing keys',
      );
    });
  }

  it('is refused with an empty KEYS_DIR, which it leaves empty', async () => {
    const dir = tempDir();
    const db = await createTestDatabase(driver);
    try {
      const refused = await bootTestApp(driver, { ...UNSET_KEYS, KEYS_DIR: dir }, db).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ConfigValidationError);
      expect((refused as Error).message).toContain(
        `KEYS_DIR: ${dir} lacks the audit signing key, the webhook secrets key and the JWT signing keys; make the keys with: KEYS_DIR=${dir} npm run -s cli -- keys init`,
      );
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('signs checkpoints and delivers webhooks with the keys keys init made', async () => {
    const dir = join(tempDir(), 'keys');
    const printed = await keysInit({ KEYS_DIR: dir });
    t = await bootTestApp(driver, {
      ...UNSET_KEYS,
      KEYS_DIR: dir,
      AUDIT_CHECKPOINT_FIRST_SECONDS: '1',
    });
    await expectBothOn(t, printed.audit_verifier_key);
  });

  it('starts with either feature turned off on purpose, says so at warn, and answers it is off', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      // The JWT signing keys have no switch: the database's keys (SHARED_KEYS_ENV on PostgreSQL).
      t = await bootTestApp(driver, {
        AUDIT_SIGNING_KEY: '',
        WEBHOOK_SECRETS_KEY: '',
        AUDIT_CHECKPOINTS_ENABLED: 'false',
        WEBHOOKS_ENABLED: 'false',
      });
      const warned = warn.mock.calls.map((call) => String(call[0]));
      expect(warned).toContainEqual(
        expect.stringContaining('Audit checkpoints are off (AUDIT_CHECKPOINTS_ENABLED=false)'),
      );
      expect(warned).toContainEqual(
        expect.stringContaining('Webhooks are off (WEBHOOKS_ENABLED=false)'),
      );
    } finally {
      warn.mockRestore();
    }
    const key = await t.http().get('/.well-known/latchkey-audit-key');
    expect({ status: key.status, code: key.body.code }).toEqual({
      status: 404,
      code: 'CHECKPOINTS_OFF',
    });
    const hook = await t
      .http()
      .post('/platform/v1/webhooks')
      .set(asPlatform(t))
      .send({ url: 'https://hooks.example.com/x', event_types: ['*'] });
    expect({ status: hook.status, code: hook.body.code }).toEqual({
      status: 503,
      code: 'WEBHOOKS_OFF',
    });
  });
});

describe('docker-compose.yml', () => {
  interface Service {
    command?: string[];
    environment?: Record<string, string>;
    volumes?: string[];
    depends_on?: Record<string, { condition: string }>;
  }
  const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };
  const { keys, app } = compose.services;
  const keysDir = keys.environment?.KEYS_DIR ?? '';

  it('makes the keys in a one-shot service, into a named volume the app reads them from', () => {
    expect(keys.command).toEqual(['node', 'dist/src/cli/main.js', 'keys', 'init']);
    expect(keysDir).toMatch(/^\//);
    const [volume] = keys.volumes ?? [];
    expect(volume).toBe(`keys:${keysDir}`);
    expect(Object.keys(compose.volumes)).toContain('keys');
    expect(app.environment?.KEYS_DIR).toBe(keysDir);
    expect(app.volumes).toContain(`keys:${keysDir}:ro`);
    expect(app.depends_on?.keys).toEqual({ condition: 'service_completed_successfully' });
    // On PostgreSQL, with no key of its own: the files are the only keys it has.
    expect(app.environment?.DATABASE_URL).toMatch(/^postgres:\/\//);
    for (const name of Object.keys(app.environment ?? {})) {
      expect(name).not.toMatch(/^(AUDIT_SIGNING_KEY|WEBHOOK_SECRETS_KEY|JWT_SIGNING_KEYS)/);
    }
  });

  it('names the audit logs by the host of PUBLIC_BASE_URL, the same in the keys service and the app', () => {
    const origin = app.environment?.LATCHKEY_ORIGIN;
    expect(origin).toBe(new URL(app.environment?.PUBLIC_BASE_URL ?? '').hostname);
    expect(keys.environment?.LATCHKEY_ORIGIN).toBe(origin);
  });

  it("has its image make the volume's folder, the node user's alone", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const made = dockerfile
      .split('\n')
      .find((line) => line.startsWith('RUN mkdir') && line.includes(keysDir));
    expect(made).toContain(`chown node:node`);
    expect(made).toContain(`chmod 700 ${keysDir}`);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  const onPostgres = DRIVERS.includes('postgres') ? it : it.skip;
  onPostgres('starts with working checkpoints and webhooks, run as compose runs it', async () => {
    // The keys service: its command and environment, its volume a temp folder.
    const volume = join(tempDir(), 'volume');
    const [, , ...args] = keys.command!;
    const run = await cliInProcess(args, { ...keys.environment, KEYS_DIR: volume });
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Printed;
    // The app: its environment, with this suite's database and no Redis of compose's.
    const db = await createTestDatabase('postgres');
    const env: Record<string, string> = { ...app.environment, ...UNSET_KEYS, KEYS_DIR: volume };
    delete env.REDIS_URL;
    let t: TestApp | undefined;
    try {
      t = await bootTestApp(
        'postgres',
        { ...env, DATABASE_URL: db.env.DATABASE_URL, AUDIT_CHECKPOINT_FIRST_SECONDS: '1' },
        db,
      );
      await expectBothOn(t, printed.audit_verifier_key);
    } finally {
      if (t) await t.close();
      else await db.drop();
    }
  });
});
