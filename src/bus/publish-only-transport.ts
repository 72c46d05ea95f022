import type { BusTransport } from './bus-transport';

/**
 * A transport for a process that only publishes (the CLI): it never listens, and loads and
 * opens the configured transport on its first publish, so a command that changes no token
 * opens no Redis connection (nor a LISTEN session) and loads no client library for the bus.
 *
 * It counts as never connected: a process that hears no other instance must not trust a cache
 * of its own (the verifier cache reads through while the bus is down).
 */
export class PublishOnlyTransport implements BusTransport {
  readonly connected = false;
  private opened: Promise<BusTransport> | null = null;

  constructor(
    readonly name: BusTransport['name'],
    private readonly open: () => Promise<BusTransport>,
  ) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** The first publish opens the transport; the bus tracks the promise and logs a failure. */
  async publish(payload: string): Promise<unknown> {
    this.opened ??= this.open();
    return (await this.opened).publish(payload);
  }

  /** Closes what a publish opened, after its sends (the bus awaits them before this). */
  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = null;
    await (await opened?.catch(() => null))?.close();
  }
}
