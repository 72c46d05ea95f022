import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../../../src/app.factory';
import { loadConfig } from '../../../src/config/load-config';
import { spawnApp } from '../../harness/app-process';
import { Child } from '../../harness/child';
import { freePort } from '../../harness/ports';
import { buildApp } from '../../harness/app-cluster';
import { assignedNames, curlCalls, SHELL_PRELUDE, shellScript } from '../docs-shell';
import { CodeBlock, codeBlocks } from '../markdown-blocks';
import { ShellSession } from '../shell-session';
import { runSnippet, snippetModule, typeErrors } from '../ts-snippet';
import { createTestDatabase, TestDatabase } from '../../harness/app/test-app';
import { PATIENCE_MS } from '../../harness/patience';

const ROOT = join(__dirname, '..', '..', '..');

/** The documents, in the order a reader goes: the README, docs/, then the typed client's. */
const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
  'packages/client/README.md',
];

/**
 * Blocks that a suite of their own runs as written, each found by a line it holds: they need what
 * this run does not give (a PostgreSQL server, the server's default checkpoint cadence, Docker,
 * nginx and Caddy).
 * Each suite named here must exist, and read what it runs from the file it names (`reads`; the
 * test below checks both). Nothing else is left out unmarked.
 */
const RUN_ELSEWHERE = [
  {
    file: 'README.md',
    holds: "psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE latchkey'",
    by: 'test/docs/processes/readme-postgres.e2e-spec.ts',
    reads: "'README.md'",
  },
  {
    // Docker has no daemon on these machines: the suite runs what the compose file's services run.
    file: 'README.md',
    holds: 'docker compose up --build -d',
    by: 'test/audit/installation-keys.e2e-spec.ts',
    reads: "'docker-compose.yml'",
  },
  {
    file: 'README.md',
    holds: 'audit verify-consistency --old cp1.txt',
    by: 'test/docs/processes/readme-audit-proof.e2e-spec.ts',
    reads: "'README.md'",
  },
  // Each framework's example, from the packed package installed in a project of its own.
  ...['express', 'fastify', 'nestjs', 'hono'].map((framework) => ({
    file: 'packages/client/README.md',
    holds: `from '@latchkey/client/${framework}';`,
    by: 'test/clients/processes/client-package.e2e-spec.ts',
    reads: "'README.md'",
  })),
  // The clients' release artifacts, packed and installed by the suites that install them into
  // projects of their own (docs/clients.md#install).
  {
    file: 'docs/clients.md',
    holds: 'npm run pack:clients',
    by: 'test/clients/processes/client-package.e2e-spec.ts',
    reads: "'docs/clients.md'",
  },
  ...['docs/clients.md', 'packages/client/README.md'].map((file) => ({
    file,
    holds: 'npm install ../latchkey/dist/packages/latchkey-client-',
    by: 'test/clients/processes/client-package.e2e-spec.ts',
    reads: `'${file}'`,
  })),
  {
    file: 'docs/clients.md',
    holds: 'pip install ../latchkey/dist/packages/latchkey-',
    by: 'test/clients/processes/python-package.e2e-spec.ts',
    reads: "'docs/clients.md'",
  },
  // Real nginx and Caddy, between a client and an upstream (test/timed/gateways.e2e-spec.ts).
  {
    file: 'docs/gateways.md',
    holds: 'upstream latchkey {',
    by: 'test/harness/app/gateways.ts',
    reads: "'gateways.md'",
  },
  {
    file: 'docs/gateways.md',
    holds: '(latchkey_check) {',
    by: 'test/harness/app/gateways.ts',
    reads: "'gateways.md'",
  },
];

/** Languages the run knows how to run: shell in one session, JavaScript files, the typed client. */
const SHELL = new Set(['sh', 'bash']);
const RUNNABLE = new Set([...SHELL, 'js', 'ts']);

const ALL = DOCUMENTS.flatMap((file) => codeBlocks(ROOT, file));
const runElsewhere = (b: CodeBlock) =>
  RUN_ELSEWHERE.some((o) => o.file === b.file && b.text.includes(o.holds));
const where = (b: CodeBlock) => `${b.file}:${b.line}`;

/** What is run, in order: each shell or js block, and each document's TypeScript as one. */
const STEPS: CodeBlock[][] = [];
for (const block of ALL.filter((b) => b.notRun === null && !runElsewhere(b))) {
  const last = STEPS[STEPS.length - 1];
  const joins = block.lang === 'ts' && last?.[0].lang === 'ts' && last[0].file === block.file;
  if (joins) last.push(block);
  else if (RUNNABLE.has(block.lang)) STEPS.push([block]);
}

/** What the reader fills in for the TypeScript snippets' undeclared names: shell variables. */
const TS_GIVENS: Record<string, string> = {
  platformToken: 'ADMIN',
  ownerToken: 'OWNER',
  businessId: 'BIZ',
  tokenId: 'TOKEN_ID',
};

/**
 * Runs every code block of the README, docs/ and the typed client's README that a reader would
 * run, in order, with the variables each leaves for the next, against the app listening on a
 * port (in-process, on a fresh SQLite database, as `WEBHOOK_ALLOW_HTTP=true
 * WEBHOOK_ALLOW_PRIVATE=true npm start` runs it, the README's way to try webhooks on one machine).
 * A block that is not run says why, in `<!-- not run: … -->` before its fence. What the run
 * changes in a block's text is `adapted`'s, and the values it fills in are `shellGivens`'s: the
 * app's address among them, `BASE`, which every block calls (never port 3000, maybe taken).
 */
describe('the docs, as a reader runs them', () => {
  let run: string;
  let work: string;
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let port: number;
  /** The reader's `BASE`: where the app listens. */
  let base: string;
  let adminToken: string;
  let session: ShellSession;
  let receiverPort: number;
  let receiver: Child | undefined;
  let lastStdout = '';
  let failed: string | null = null;
  const filled = new Set<string>();

  beforeAll(async () => {
    await buildApp();
    // The type-check is synchronous and takes seconds: run before the app starts, it holds up
    // no webhook delivery in flight in this process (whose own 10 s timeout would then fire).
    checked = typeErrors(ROOT, new Map(snippets.map((s) => [s.path, snippetSource(s.i)])));
    run = mkdtempSync(join(tmpdir(), 'latchkey-docs-'));
    work = join(run, 'work');
    mkdirSync(join(work, 'tmp'), { recursive: true });
    // `npm install jose standardwebhooks` in the reader's folder, as the docs say: this repository's.
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
    mkdirSync(join(run, 'scripts'));
    writeFileSync(join(run, 'curl.log'), '');
    db = await createTestDatabase('sqlite');
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // The address it listens on, so that the addresses it hands out (a status list's, its own
      // resource's) are BASE's, as a reader's default PUBLIC_BASE_URL is their BASE.
      PORT: String(port),
      PUBLIC_BASE_URL: base,
      ...db.env,
    });
    const started = await startApp(config, { logs: false });
    app = started.app;
    adminToken = started.bootstrapToken!;
    await app.listen(port, '127.0.0.1');
    receiverPort = await freePort();
    session = await ShellSession.open(
      work,
      join(run, 'scripts'),
      { ...db.env, BASE: base, DOCS_RUN: run, LATCHKEY_REPO: ROOT, LOG_LEVEL: 'warn' },
      SHELL_PRELUDE,
    );
  });

  afterAll(async () => {
    await session?.close();
    await receiver?.stop(2_000);
    await app?.close();
    await db?.drop();
    if (run) rmSync(run, { recursive: true, force: true });
  });

  /** The one change to a block's text: /tmp/ is the run's own, as runs of other checkouts share it. */
  const adapted = (text: string) => text.replaceAll('/tmp/', `${work}/tmp/`);

  /** What the reader fills in where a block leaves a value to them. */
  const shellGivens: Record<string, () => Promise<string>> = {
    // "wherever your Latchkey listens"
    BASE: () => Promise.resolve(base),
    // "the token printed at first start"
    ADMIN: () => Promise.resolve(adminToken),
    // "their identity_id, from GET /api/v1/members": a member, as the reader has one.
    MEMBER_ID: async () => {
      const { OWNER, BIZ } = await session.values(['OWNER', 'BIZ']);
      const res = await api('POST', '/api/v1/members', OWNER, BIZ, {
        email: 'ops@acme.test',
        role: 'member',
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { data: { member: { identity_id: string } } }).data.member
        .identity_id;
    },
    // The receiver on this machine, as the README says to try it.
    HOOK_URL: () => Promise.resolve(`http://127.0.0.1:${receiverPort}/`),
  };

  function api(method: string, path: string, token: string, biz: string, body?: object) {
    return fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'x-business-id': biz,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  it('runs or marks every block: each not run says why, or is named with the suite that runs it', () => {
    const unaccounted = ALL.filter(
      (b) => b.notRun === null && !runElsewhere(b) && !RUNNABLE.has(b.lang),
    ).map((b) => `${where(b)} (${b.lang || 'no language'}) is neither run nor marked`);
    const reasonless = ALL.filter((b) => b.notRun === '').map((b) => `${where(b)}: no reason`);
    // A block marked not run may hold the same words (an example of a failure, say): the suite
    // named runs the one unmarked block that holds them.
    const owned = RUN_ELSEWHERE.map((o) => ({
      ...o,
      blocks: ALL.filter((b) => b.file === o.file && b.text.includes(o.holds) && b.notRun === null),
    }))
      .filter((o) => o.blocks.length !== 1)
      .map((o) => `${o.file}: "${o.holds}" should name one unmarked block`);
    const runners = RUN_ELSEWHERE.filter(
      (o) =>
        !existsSync(join(ROOT, o.by)) || !readFileSync(join(ROOT, o.by), 'utf8').includes(o.reads),
    ).map((o) => `${o.by} does not read ${o.reads}`);
    expect([...unaccounted, ...reasonless, ...owned, ...runners]).toEqual([]);
    expect(STEPS.length).toBeGreaterThan(10);
  });

  it('names port 3000 in no block it runs, but on the one line that sets BASE', () => {
    const setsBase = [
      /^\s*(export\s+)?BASE=http:\/\/localhost:3000(\s+#.*)?$/,
      /^const BASE = process\.env\.BASE \?\? 'http:\/\/localhost:3000';(\s*\/\/.*)?$/,
    ];
    const wrong = STEPS.flat().flatMap((b) => {
      const naming = b.text
        .split('\n')
        .map((text, n) => ({ text, at: `${b.file}:${b.line + 1 + n}` }))
        .filter((l) => /:3000\b|\bPORT=3000\b/.test(l.text));
      const sets = naming.filter((l) => setsBase.some((r) => r.test(l.text)));
      return [
        ...naming.filter((l) => !sets.includes(l)).map((l) => `${l.at}: ${l.text.trim()}`),
        ...(sets.length > 1 ? [`${where(b)} sets BASE ${sets.length} times`] : []),
      ];
    });
    expect(wrong).toEqual([]);
  });

  it.each(STEPS.map((blocks, i) => ({ i, blocks, name: where(blocks[0]), lang: blocks[0].lang })))(
    'runs $name ($lang)',
    async ({ i, blocks, lang }) => {
      if (failed) throw new Error(`not run: ${failed} failed before it`);
      failed = where(blocks[0]);
      if (SHELL.has(lang)) await runShell(blocks[0], `block-${i}`);
      else if (lang === 'js') await saveJavaScript(blocks[0]);
      else await runTypeScript(blocks, i);
      failed = null;
    },
    120_000,
  );

  async function runShell(block: CodeBlock, name: string) {
    const needed = assignedNames(block.text).filter((n) => n in shellGivens);
    const givens: Record<string, string> = {};
    for (const n of needed) givens[n] = await shellGivens[n]();
    const {
      script,
      lines,
      expects,
      filled: used,
    } = shellScript(block, adapted(block.text), name, givens);
    used.forEach((n) => filled.add(n));
    const { stdout } = await session.run(script, name, 90_000);
    lastStdout = stdout;
    const file = join(run, 'scripts', `${name}.sh`);
    // Every call answered 2xx, but where the command says what it prints (a refusal's code).
    const calls = curlCalls(join(run, 'curl.log'), file, lines);
    const wrong = calls.filter((c) => !/^2\d\d$/.test(c.status) && !expects.has(c.line!.first));
    expect(wrong.map((c) => `line ${c.line?.first}: ${c.status}\n${stdout}`)).toEqual([]);
    for (const [line, value] of expects) {
      const printed = readFileSync(join(run, `expect-${name}-${line}`), 'utf8').trim();
      expect({ line, printed }).toEqual({ line, printed: value });
    }
  }

  /**
   * A JavaScript file the reader saves, that a later block runs: named on its first line
   * (`// issuer.mjs: …`). The README's receiver, which the reader starts by hand, is started here.
   */
  async function saveJavaScript(block: CodeBlock) {
    if (block.text.includes("require('standardwebhooks')")) return startReceiver(block);
    const name = /^\/\/ ([\w.-]+\.[cm]?js)\b/.exec(block.text)?.[1];
    if (!name) throw new Error(`${where(block)}: no file name on its first line (// name.js: …)`);
    writeFileSync(join(work, name), block.text);
  }

  /** The README's receiver, saved as receiver.js and run with the secret printed above it. */
  async function startReceiver(block: CodeBlock) {
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(lastStdout)?.[0];
    if (!secret) throw new Error(`no whsec_ secret printed before ${where(block)}`);
    writeFileSync(join(work, 'receiver.js'), block.text);
    receiver = Child.spawn('receiver', process.execPath, ['receiver.js', String(receiverPort)], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LATCHKEY_WEBHOOK_SECRET: secret },
    });
    await receiver.waitFor(new RegExp(`listening on ${receiverPort}`), PATIENCE_MS);
    // It listens on the port it was given, and refuses what Latchkey did not sign.
    const forged = await fetch(`http://127.0.0.1:${receiverPort}/`, {
      method: 'POST',
      headers: {
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
      },
      body: '{"type":"token.revoked","timestamp":"2026-01-01T00:00:00Z","data":{}}',
    });
    expect(forged.status).toBe(400);
  }

  /** Each document's TypeScript as a module at the root (`docs-snippet-<step>.ts`; never written). */
  const snippets = STEPS.flatMap((blocks, i) => {
    if (blocks[0].lang !== 'ts') return [];
    const code = blocks.map((b) => b.text).join('\n');
    const names = Object.keys(TS_GIVENS).filter((n) => new RegExp(`\\b${n}\\b`).test(code));
    return [{ i, names, path: join(ROOT, `docs-snippet-${i}.ts`) }];
  });
  /** A step's TypeScript as the module it is checked (and, `adapt`ed, run) as. */
  const snippetSource = (step: number, adapt: (t: string) => string = (t) => t) => {
    const { names } = snippets.find((s) => s.i === step)!;
    return snippetModule(adapt(STEPS[step].map((b) => b.text).join('\n')), names);
  };
  /** Every step's type errors, all checked at once before the app starts (`beforeAll`). */
  let checked = new Map<string, string[]>();

  /** A document's TypeScript, as one module: type-checked (all at once), then run. */
  async function runTypeScript(blocks: CodeBlock[], i: number) {
    const { names, path } = snippets.find((s) => s.i === i)!;
    expect(checked.get(path)).toEqual([]);
    const source = snippetSource(i, adapted);
    const values = await session.values(names.map((n) => TS_GIVENS[n]));
    const givens = Object.fromEntries(names.map((n) => [n, values[TS_GIVENS[n]]]));
    const answers: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      answers.push(`${(input as Request).method ?? init?.method} ${res.url} ${res.status}`);
      return res;
    };
    const printed: unknown[][] = [];
    try {
      const console = { log: (...a: unknown[]) => printed.push(a) };
      await runSnippet(path, source, givens, require, console, { BASE: base });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => !/ 2\d\d$/.test(a))).toEqual([]);
  }

  it('fills in each value it knows, and knows each value a block leaves to the reader', () => {
    expect([...filled].sort()).toEqual(Object.keys(shellGivens).sort());
  });

  it("the README's receiver takes Latchkey's signed deliveries", async () => {
    const { OWNER, BIZ, HOOK } = await session.values(['OWNER', 'BIZ', 'HOOK']);
    await receiver!.waitFor(/^webhook\.test /m, PATIENCE_MS);
    const res = await api('GET', `/api/v1/webhooks/${HOOK}/deliveries`, OWNER, BIZ);
    const attempts = ((await res.json()) as { data: { items: { status_code: number }[] } }).data
      .items;
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.filter((a) => a.status_code !== 204)).toEqual([]);
  });

  it('prints on the first start what the README shows', async () => {
    const block = ALL.find((b) => b.text.includes('Platform admin token (shown once)'))!;
    const cwd = join(run, 'first-start');
    mkdirSync(cwd);
    const firstPort = await freePort();
    // As the README's reader starts it: on a terminal, from the folder its ./data is made in.
    const child = spawnApp({
      name: 'first-start',
      cwd,
      terminal: true,
      env: { PORT: String(firstPort) },
    });
    try {
      await child.waitFor(/Latchkey listening on/, 60_000);
    } finally {
      await child.stop(5_000);
    }
    const printed = child
      .output('stdout')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/\r/g, '')
      .replace(/^\n+/, '')
      .split('\n');
    const whole = block.text.replace('localhost:3000', `localhost:${firstPort}`).split('\n');
    // A fresh clone builds first, and says so (on stderr, on the same terminal); this run's
    // checkout is built, so those lines are held to the build's own messages instead.
    const messages = buildMessages();
    const building = whole.findIndex((l) => !messages.some((m) => m.test(l)));
    expect(whole.slice(0, 2)).toEqual([
      'Building (sources changed since the last build)...',
      'Built … files with SWC.',
    ]);
    // The server's output starts with a blank line, which `printed` leaves out.
    const shown = whole.slice(whole.findIndex((l, n) => n >= building && l !== ''));
    const time = /\[\d\d:\d\d:\d\d\.\d{3}\]/g;
    const pattern = (line: string) =>
      new RegExp(
        `^${escapeRegExp(line)
          .replace(/…/g, '.+')
          .replace(/\\\[\d\d:\d\d:\d\d\\\.\d{3}\\\]/g, time.source)}$`,
      );
    const lines = printed.slice(0, shown.length);
    expect(lines.map((l, n) => (pattern(shown[n]).test(l) ? shown[n] : l))).toEqual(shown);
  });
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Each message `npm start`'s build prints (scripts/build-if-stale.js, build-console.js), as a pattern. */
function buildMessages(): RegExp[] {
  const source = ['build-if-stale.js', 'build-console.js']
    .map((f) => readFileSync(join(ROOT, 'scripts', f), 'utf8'))
    .join('\n');
  const written = /(?:process\.stderr\.write|note)\((['`])(.*?)\1\)/g;
  const interpolation = /\$\{[^}]*\}/g;
  return [...source.matchAll(written)]
    .map((m) => m[2].replace(/\\n$/, ''))
    .filter((text) => /[A-Za-z]/.test(text.replace(interpolation, '')))
    .map((text) => new RegExp(`^${text.split(interpolation).map(escapeRegExp).join('.+')}$`));
}
