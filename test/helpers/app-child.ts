import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** The built server: call `buildApp()` (helpers/app-process) first. */
const ENTRY = join(ROOT, 'dist', 'src', 'main.js');

/** A loopback port that was free a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One process of the built app, on a port of its own. */
export interface AppChild {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The platform admin token, when this start created the admin. */
  platformToken: string | null;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
  output(): string;
}

/** Starts `node dist/src/main.js` with only PATH, HOME and `env`, and waits until it listens. */
export async function startAppChild(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<AppChild> {
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'silent',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(() => undefined);
  let out = '';
  const collect = (chunk: Buffer) => (out = (out + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no start in ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
      const check = () => {
        if (!out.includes('Latchkey listening on')) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout!.on('data', check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the app exited before it listened:\n${out}`));
      });
    });
  } catch (e) {
    await kill();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    platformToken: /Platform admin token \(shown once\): (\S+)/.exec(out)?.[1] ?? null,
    kill,
    output: () => out,
  };
}
