import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver that never answers: it accepts each TCP connection and holds it, reading
 * nothing back, as a dead or hostile receiver does. It counts the connections it holds, now and
 * at most, so a test or a benchmark can tell how many sends one endpoint had in flight.
 */
export class HangingReceiver {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted since the start. */
  accepted = 0;
  /** The most connections held at once. */
  peak = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      this.peak = Math.max(this.peak, this.sockets.size);
      // Reads the request so the sender's write completes, and answers nothing.
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Connections held now. */
  get open(): number {
    return this.sockets.size;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Drops every connection held, so each of those sends fails at once; new ones hang again. */
  drop(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Drops every connection held and stops listening. */
  async stop(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
