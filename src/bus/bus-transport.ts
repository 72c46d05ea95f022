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
  /** Fire and forget: a lost message costs at most one TTL of staleness elsewhere. */
  publish(payload: string): void;
  /** Waits for the publishes under way, so a process that exits (the CLI) does not drop them. */
  settle(): Promise<void>;
  close(): Promise<void>;
}
