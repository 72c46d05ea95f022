import net from 'node:net';
import { closeServer, listenOnLoopback } from '../../test/harness/loopback';

/** What went through the proxy since the last reset. */
export interface StatementCounts {
  /** Statements executed (simple queries and extended-protocol Binds). */
  statements: number;
  /** Of those, the ones that read: their text starts with SELECT or WITH. */
  reads: number;
  /** Reads by the first table named after FROM, for a readable breakdown. */
  readsByTable: Record<string, number>;
}

const READ = /^\s*(select|with)\b/i;
const FIRST_TABLE = /\bfrom\s+"?([a-z_][a-z0-9_]*)"?/i;

/**
 * A TCP proxy in front of PostgreSQL that counts the statements a client executes, by reading
 * the frontend side of the wire protocol (Query, Parse and Bind messages). It lets a benchmark
 * count the database reads an instance makes without pg_stat_statements, exactly and at once.
 */
export class PgCountingProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private counts: StatementCounts = { statements: 0, reads: 0, readsByTable: {} };
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port; returns it. */
  async listen(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    this.port = await listenOnLoopback(this.server);
    return this.port;
  }

  reset(): void {
    this.counts = { statements: 0, reads: 0, readsByTable: {} };
  }

  snapshot(): StatementCounts {
    return { ...this.counts, readsByTable: { ...this.counts.readsByTable } };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await closeServer(this.server);
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(client).add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const statementsByName = new Map<string, string>();
    let pending: Buffer = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (!started) {
          // The startup packet (and an SSL or GSS request before it) has no type byte.
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          pending = pending.subarray(length);
          if (code !== 80877103 && code !== 80877104) started = true;
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        const type = String.fromCharCode(pending[0]);
        const body = pending.subarray(5, 1 + length);
        pending = pending.subarray(1 + length);
        if (type === 'Q') this.count(cstrings(body, 1)[0]);
        else if (type === 'P') {
          const [name, text] = cstrings(body, 2);
          statementsByName.set(name, text);
        } else if (type === 'B') {
          const [, statement] = cstrings(body, 2);
          this.count(statementsByName.get(statement) ?? '');
        }
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  private count(text: string): void {
    this.counts.statements++;
    if (!READ.test(text)) return;
    this.counts.reads++;
    const table = FIRST_TABLE.exec(text)?.[1] ?? '?';
    this.counts.readsByTable[table] = (this.counts.readsByTable[table] ?? 0) + 1;
  }
}

/** The first `n` NUL-terminated strings of a message body. */
function cstrings(body: Buffer, n: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const end = body.indexOf(0, at);
    if (end < 0) break;
    out.push(body.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}
