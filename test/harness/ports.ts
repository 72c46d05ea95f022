import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * A loopback port for a server a test or bench is about to start, free a moment ago.
 *
 * The OS's own pick (`listen(0)`) comes from the ephemeral range, which every outgoing connection
 * also draws from: a Postgres or Redis client in the suite beside this one could take the port
 * between this check and the server's listen (a `.ci/run` lost the README's first-start test to
 * that). So ports come from below the ephemeral range, where outgoing connections never take
 * one: from a block chosen by the process id (each jest lane has a worker pool of its own, so
 * worker ids repeat), taken in turn from a random start, so two workers seldom offer the same.
 */
export async function freePort(): Promise<number> {
  const block = portBlock();
  if (!block) return osPort();
  for (let tried = 0; tried < block.size; tried++) {
    const port = block.first + (block.next++ % block.size);
    if (await free(port)) return port;
  }
  return osPort();
}

const BLOCK_SIZE = 800;
const LOWEST = 10_000;

interface Block {
  first: number;
  size: number;
  next: number;
}

let block: Block | null | undefined;

function portBlock(): Block | null {
  if (block !== undefined) return block;
  const ephemeralLow = Number(
    readIfThere('/proc/sys/net/ipv4/ip_local_port_range').trim().split(/\s+/)[0] || 32_768,
  );
  const blocks = Math.floor((ephemeralLow - LOWEST) / BLOCK_SIZE);
  if (blocks < 2) return (block = null);
  block = {
    first: LOWEST + (process.pid % blocks) * BLOCK_SIZE,
    size: BLOCK_SIZE,
    next: Math.floor(Math.random() * BLOCK_SIZE),
  };
  return block;
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Whether nothing listens on `port`, on any address (the app listens on 0.0.0.0). */
function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
