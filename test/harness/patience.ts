/**
 * How long a test waits for what is on its way (a delivery, a flushed count, a log line, a
 * message) before it gives up: a bound on a hang, never a measure of speed, so a machine busy
 * with other work only makes a run slower (docs/testing.md, "No clock a busy machine can break").
 * A wait whose bound makes its point (a cache's TTL, a receiver's timeout) keeps that bound.
 */
export const PATIENCE_MS = 60_000;

/** The moment a wait that starts now gives up. */
export function patienceDeadline(): number {
  return Date.now() + PATIENCE_MS;
}
