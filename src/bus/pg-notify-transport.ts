import { Logger } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { loggableError } from '../common/errors/safe-error';
import type { Reader } from '../database/units/reader';
import type { BusTransport, BusTransportEvents } from './bus-transport';

const CONNECT_TIMEOUT_MS = 2000;
const MAX_RETRY_DELAY_MS = 1000;

/**
 * PostgreSQL LISTEN/NOTIFY for the revocation bus when there is no Redis: every process on the
 * database hears every invalidation, the CLI included. One dedicated connection listens (a pool
 * connection would be handed to other queries); notifications go out through the app's pool,
 * so publishing does not depend on this instance's listener being up.
 */
export class PgNotifyTransport implements BusTransport {
  readonly name = 'postgres';
  private readonly logger = new Logger(PgNotifyTransport.name);
  private client: Client | null = null;
  private up = false;
  private closing = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    /** The primary, outside any transaction: a notification goes out at once. */
    private readonly primary: Reader,
    private readonly events: BusTransportEvents,
  ) {}

  get connected(): boolean {
    return this.up;
  }

  start(): Promise<void> {
    return this.connect();
  }

  publish(payload: string): Promise<unknown> {
    return this.primary.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    this.setUp(false);
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('error', (e) => {
      this.logger.debug({ err: loggableError(e) }, 'listener');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    client.on('notification', (n: Notification) => {
      if (n.channel === this.channel && n.payload) this.events.message(n.payload);
    });
    try {
      await client.connect();
      // The channel is quoted: the prefix may hold ':' and '.', and case must be kept.
      await client.query(`LISTEN "${this.channel}"`);
    } catch (e) {
      this.logger.debug({ err: loggableError(e) }, 'listener connect failed');
      await client.end().catch(() => undefined);
      this.lost(client);
      return;
    }
    if (this.closing) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempt = 0;
    this.setUp(true);
  }

  private lost(client: Client): void {
    if (this.client !== null && this.client !== client) return; // an old connection's echo
    this.client = null;
    this.setUp(false);
    if (this.closing || this.retry) return;
    const delay = Math.min(++this.attempt * 50, MAX_RETRY_DELAY_MS);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, delay);
    this.retry.unref();
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    if (up) this.logger.log('revocation bus connected');
    else if (!this.closing)
      this.logger.warn('revocation bus disconnected: the token cache is bypassed until it is back');
    this.events.connection(up);
  }
}
