import net from 'node:net';
import { closeServer, listenOnLoopback } from '../harness/loopback';

/** One client connection and its upstream twin. */
interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
  /** A side closed while the proxy was silent; the other side learns it when it speaks. */
  closing: boolean;
}

/**
 * A TCP proxy on loopback that can go silent: `silence()` stops forwarding in both directions
 * without closing anything, as a firewall that lost a flow's state, or a partition, does. New
 * connections are still accepted, and then hear nothing. What arrives meanwhile is dropped, so
 * a query sent into the silence is never answered, even later; closes are held, and passed on
 * by `speak()`, which forwards again.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly pipes = new Set<Pipe>();
  private silent = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on a free 127.0.0.1 port; answers it. */
  async listen(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    this.port = await listenOnLoopback(this.server);
    return this.port;
  }

  /** Connections open through the proxy (each client with its upstream). */
  get connections(): number {
    return this.pipes.size;
  }

  silence(): void {
    this.silent = true;
  }

  speak(): void {
    this.silent = false;
    for (const pipe of this.pipes) if (pipe.closing) this.end(pipe);
  }

  async close(): Promise<void> {
    for (const pipe of this.pipes) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    this.pipes.clear();
    await closeServer(this.server);
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    const pipe: Pipe = { client, upstream, closing: false };
    this.pipes.add(pipe);
    client.on('data', (chunk: Buffer) => {
      if (!this.silent) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!this.silent) client.write(chunk);
    });
    const closed = () => {
      if (this.silent) pipe.closing = true;
      else this.end(pipe);
    };
    client.on('close', closed).on('error', closed);
    upstream.on('close', closed).on('error', closed);
  }

  /** Ends both sides once what was written to them is flushed. */
  private end(pipe: Pipe): void {
    this.pipes.delete(pipe);
    for (const socket of [pipe.client, pipe.upstream]) {
      if (socket.destroyed) continue;
      socket.end(() => socket.destroy());
      // A peer that never reads must not keep the socket, and the test, open.
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }
}
