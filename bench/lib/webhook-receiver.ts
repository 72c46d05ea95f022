/**
 * The receiver of `npm run bench:webhooks`, in the bench's own process on 127.0.0.1: answers 204
 * at once and notes when each webhook-id, and each event's target, first arrived.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export type Receiver = ReturnType<typeof startReceiver>;

export function startReceiver() {
  const firstSeen = new Map<string, number>();
  const byTarget = new Map<string, number>();
  let arrivals = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      arrivals++;
      const id = String(req.headers['webhook-id']);
      if (!firstSeen.has(id)) {
        firstSeen.set(id, now);
        noteTarget(byTarget, Buffer.concat(chunks), now);
      }
      res.writeHead(204).end();
    });
  });
  server.on('connection', () => connections++);
  return {
    firstSeen,
    byTarget,
    get arrivals() {
      return arrivals;
    },
    /** Connections opened to the receiver so far: kept-alive ones are counted once. */
    get connections() {
      return connections;
    },
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`),
        ),
      ),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** When the event's target (a token) was first seen, from a message's body. */
function noteTarget(byTarget: Map<string, number>, body: Buffer, now: number): void {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { data?: { target?: { id?: string } } };
    const target = parsed.data?.target?.id;
    if (target && !byTarget.has(target)) byTarget.set(target, now);
  } catch {
    // a seeded message's body: only its id matters
  }
}
