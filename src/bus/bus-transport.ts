/** What a cross-process transport tells the bus. */
export interface BusTransportEvents {
  message(raw: string): void;
  /** Called on every change: true once subscribed, false while messages may be missed. */
  connection(up: boolean): void;
}

/** Carries invalidations between instances (Redis pub/sub, or PostgreSQL LISTEN/NOTIFY). */
export interface BusTransport {
  readonly name: 'redis' | 'postgres';
  readonly connected: boolean;
  /** Connects, and waits for the first attempt to succeed or fail (bounded); never throws. */
  start(): Promise<void>;
  /** Sends one message; the bus tracks the promise and logs a failure. */
  publish(payload: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Makes the configured transport, once the bus has its events to give it. */
export type BusTransportFactory = (channel: string, events: BusTransportEvents) => BusTransport;
