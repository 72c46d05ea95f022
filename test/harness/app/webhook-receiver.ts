import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PATIENCE_MS } from '../patience';

export interface Received {
  /** The path and query it was sent to, so endpoints on one receiver are told apart. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed: `{type, timestamp, data}`; empty for a body that is not JSON (a SET). */
  json: { type: string; timestamp: string; data: Record<string, unknown> };
  at: number;
}

/** What the receiver answers a delivery with. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answers this much later (an attempt still in flight meanwhile). */
  delayMs?: number;
}

/**
 * A webhook receiver on 127.0.0.1 that keeps every delivery and answers what `answer` says
 * (200 by default), for the webhook suites.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  answer: (r: Received) => Answer = () => ({ status: 200, body: 'ok' });
  /** While true, deliveries are kept but never answered (a receiver that hangs). */
  hold = false;
  private server: Server | null = null;
  private waiters: (() => void)[] = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const received: Received = {
          url: req.url ?? '',
          headers: req.headers,
          body,
          json: parsedOrEmpty(body),
          at: Date.now(),
        };
        this.received.push(received);
        for (const wake of this.waiters.splice(0)) wake();
        if (this.hold) return;
        const answer = this.answer(received);
        setTimeout(() => {
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? '');
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hook`;
  }

  /** The deliveries of one type. */
  ofType(type: string): Received[] {
    return this.received.filter((r) => r.json.type === type);
  }

  /** Waits until `until` holds over what was received, or fails after `timeoutMs`. */
  async waitFor(until: (all: Received[]) => boolean, timeoutMs = PATIENCE_MS): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (!until(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const types = this.received.map((r) => r.json.type).join(', ');
        throw new Error(`webhook receiver: timed out; received [${types}]`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

function parsedOrEmpty(body: string): Received['json'] {
  try {
    return JSON.parse(body) as Received['json'];
  } catch {
    return { type: '', timestamp: '', data: {} };
  }
}
