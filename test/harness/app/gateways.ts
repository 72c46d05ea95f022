import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, request, Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from '../child';
import { closeServer, listenOnLoopback } from '../loopback';
import { freePort } from '../ports';

/**
 * Real gateways in front of Latchkey (test/timed/gateways.e2e-spec.ts): Debian's nginx and Caddy, each
 * started as a child on a free port with the whole file docs/gateways.md prints, changed only in
 * its addresses and the paths it writes to (`DOC_PLACEHOLDERS`, `nginxPaths`), so the page
 * cannot drift from what is tested; an upstream that echoes what it received; and a client that
 * calls from an address of its own on the loopback network (127.0.0.0/8 is all local), so
 * Latchkey can tell the gateway's clients apart by the address the gateway forwards.
 */

export const GATEWAY_BINARIES = { nginx: '/usr/sbin/nginx', caddy: '/usr/bin/caddy' } as const;
export type GatewayKind = keyof typeof GATEWAY_BINARIES;

/** The gateways this machine lacks (`apt-get install nginx caddy`; `.ci/run` installs them). */
export function missingGateways(): GatewayKind[] {
  return (Object.keys(GATEWAY_BINARIES) as GatewayKind[]).filter(
    (kind) => !existsSync(GATEWAY_BINARIES[kind]),
  );
}

const DOC = join(__dirname, '..', '..', '..', 'docs', 'gateways.md');

/** What the page's configurations name, which a test run replaces with its own. */
export const DOC_PLACEHOLDERS = {
  latchkey: 'latchkey:3000',
  app: 'app:8000',
  business: '3f2b8c1e-5d4a-4c3b-9a2e-1f0e9d8c7b6a',
  secret: 'REPLACE-WITH-VERIFY_GATEWAY_SECRET',
  nginxListen: 'listen 8080;',
  caddySite: ':8080 {',
} as const;

/**
 * The resource (RFC 8707) each of the page's configurations names in `X-Latchkey-Resource`. Kept
 * as written, not replaced: the tests bind tokens' audiences to it.
 */
export const DOC_RESOURCE = 'https://api.example.com';

/** The fenced block under `<!-- gateway-config:<kind> … -->` in docs/gateways.md. */
export function documentedConfig(kind: GatewayKind, doc = readFileSync(DOC, 'utf8')): string {
  const marker = doc.indexOf(`<!-- gateway-config:${kind} `);
  if (marker < 0) throw new Error(`docs/gateways.md has no gateway-config:${kind} marker`);
  const fence = /```[a-z]*\n([\s\S]*?)\n```/.exec(doc.slice(marker));
  if (!fence) throw new Error(`docs/gateways.md: no fenced block after gateway-config:${kind}`);
  return fence[1];
}

/** Replaces each of `swaps` in `text`, every occurrence; fails if one is not there at all. */
function substitute(kind: GatewayKind, text: string, swaps: [string, string][]): string {
  for (const [from, to] of swaps) {
    if (!text.includes(from)) {
      throw new Error(`docs/gateways.md's ${kind} block no longer names ${JSON.stringify(from)}`);
    }
    text = text.split(from).join(to);
  }
  return text;
}

export interface GatewaySetup {
  latchkeyPort: number;
  upstreamPort: number;
  businessId: string;
  secret: string;
}

export interface RunningGateway {
  kind: GatewayKind;
  port: number;
  /** What the gateway wrote on stdout and stderr, for a failure's message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * What a run changes in the page's whole nginx.conf beyond the addresses: the paths nginx writes
 * to, into the run's folder (nginx needs no root then, and leaves nothing behind). The temporary
 * files' folders are nginx's built-in `/var/lib/nginx/…`, which the file does not name: they are
 * set in its `http` block.
 */
function nginxPaths(dir: string): [string, string][] {
  return [
    ['pid /run/nginx.pid;', `pid ${dir}/nginx.pid;`],
    ['error_log /var/log/nginx/error.log;', `error_log ${dir}/error.log notice;`],
    ['access_log /var/log/nginx/access.log;', `access_log ${dir}/access.log;`],
    [
      '\nhttp {\n',
      `\nhttp {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((name) => `    ${name}_temp_path ${dir}/${name}_temp;\n`)
        .join('')}`,
    ],
  ];
}

/** Resolves once something accepts connections on the port, or fails after `timeoutMs`. */
async function accepting(port: number, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (!child.running || Date.now() > deadline) {
      throw new Error(`${child.name} did not listen on ${port}:\n${child.tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts nginx or Caddy with the page's configuration, in front of Latchkey and the upstream. */
export async function startGateway(
  kind: GatewayKind,
  setup: GatewaySetup,
): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), `latchkey-${kind}-`));
  const port = await freePort();
  const common: [string, string][] = [
    [DOC_PLACEHOLDERS.latchkey, `127.0.0.1:${setup.latchkeyPort}`],
    [DOC_PLACEHOLDERS.app, `127.0.0.1:${setup.upstreamPort}`],
    // Swapped for itself: only so a block that stops naming it fails here, saying so.
    [DOC_RESOURCE, DOC_RESOURCE],
  ];
  let child: Child;
  if (kind === 'nginx') {
    const file = substitute(kind, documentedConfig(kind), [
      ...common,
      [DOC_PLACEHOLDERS.nginxListen, `listen 127.0.0.1:${port};`],
      [DOC_PLACEHOLDERS.business, setup.businessId],
      [DOC_PLACEHOLDERS.secret, setup.secret],
      ...nginxPaths(dir),
    ]);
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, `${file}\n`);
    // In the foreground, and one process: no workers to switch to another user, as root or not.
    child = Child.spawn('nginx', GATEWAY_BINARIES.nginx, [
      '-p',
      dir,
      '-c',
      conf,
      '-g',
      'daemon off; master_process off;',
    ]);
  } else {
    const block = substitute(kind, documentedConfig(kind), [
      ...common,
      [DOC_PLACEHOLDERS.caddySite, `http://127.0.0.1:${port} {`],
    ]);
    const file = join(dir, 'Caddyfile');
    // Its data (certificates, locks) goes to the run's folder, through XDG_DATA_HOME below.
    writeFileSync(file, `${block}\n`);
    mkdirSync(join(dir, 'home'));
    child = Child.spawn(
      'caddy',
      GATEWAY_BINARIES.caddy,
      ['run', '--config', file, '--adapter', 'caddyfile'],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: join(dir, 'home'),
          XDG_CONFIG_HOME: join(dir, 'home'),
          XDG_DATA_HOME: join(dir, 'home'),
          LATCHKEY_BUSINESS_ID: setup.businessId,
          LATCHKEY_GATEWAY_SECRET: setup.secret,
        },
      },
    );
  }
  try {
    await accepting(port, child, 15_000);
  } catch (e) {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    kind,
    port,
    output: () => child.tail(),
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the upstream received, as it echoes it. */
export interface Echoed {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** The API behind the gateway: answers 200 with what it received, and keeps count. */
export class EchoUpstream {
  private server: Server | undefined;
  received: Echoed[] = [];

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
        this.received.push(seen);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(seen));
      });
    });
    return listenOnLoopback(this.server);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The upstream's echo, when the request got through. */
  echoed: Echoed | null;
}

/** One request to the gateway from `from` (a 127.x.y.z address), on a connection of its own. */
export function callGateway(
  port: number,
  from: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers, localAddress: from, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let echoed: Echoed | null = null;
          if (res.statusCode === 200 && res.headers['content-type'] === 'application/json') {
            echoed = JSON.parse(text) as Echoed;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, echoed });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${path} within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
