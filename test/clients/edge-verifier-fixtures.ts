import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EdgeVerifier, type EdgeVerifierOptions } from '../../packages/client/src/verifier';
import { FakeLatchkey } from './fake-latchkey';

/**
 * What the EdgeVerifier specs of test/clients share: a Latchkey of the test's own
 * (test/clients/fake-latchkey.ts, on 127.0.0.1), one call per token, then its status list; a clock
 * the test moves; and the verifier under test.
 */

export const T0 = Date.parse('2026-01-05T12:00:00Z');
export const SECOND = 1000;

export interface EdgeVerifierSetup {
  /** The clock both the fake Latchkey and the verifier read; a test may set it. */
  clock: number;
  latchkey: FakeLatchkey;
  /** The verifier under test, made with the default options; a test may replace it. */
  sut: EdgeVerifier;
  /** A verifier of this Latchkey and clock, with these options. */
  verifier: (options?: Partial<EdgeVerifierOptions>) => EdgeVerifier;
  /** Moves the clock on by `ms`. */
  later: (ms: number) => number;
}

/**
 * Called in a describe: before each test, a new clock at T0, a new Latchkey started and a verifier
 * of it; after each, that Latchkey stopped. The fields of what it returns are each test's.
 */
export function useEdgeVerifier(): EdgeVerifierSetup {
  const t = {
    clock: T0,
    verifier: (options: Partial<EdgeVerifierOptions> = {}) =>
      new EdgeVerifier({ baseUrl: t.latchkey.origin, now: () => t.clock, ...options }),
    later: (ms: number) => (t.clock += ms),
  } as EdgeVerifierSetup;

  beforeEach(async () => {
    t.clock = T0;
    t.latchkey = await new FakeLatchkey(() => t.clock).start();
    t.sut = t.verifier();
  });

  afterEach(() => t.latchkey.stop());

  return t;
}

/**
 * A verifier with a grace of 600 s that has checked a valid token and a revoked one, the list
 * last fetched a minute on, after the revocation (its check refused the revoked token): the tokens,
 * and when that list was fetched, from which the grace runs once Latchkey cannot be reached.
 */
export async function validAndRevokedUnderGrace(
  t: EdgeVerifierSetup,
): Promise<{ token: string; revoked: string; fetchedAt: number }> {
  t.sut = t.verifier({ offlineGraceSeconds: 600 });
  const [token] = t.latchkey.issue();
  const [revoked, row] = t.latchkey.issue();
  await t.sut.verify(token);
  await t.sut.verify(revoked);
  row.status = 1;
  t.later(60 * SECOND);
  await t.sut.verify(token);
  expect(await t.sut.verify(revoked)).toMatchObject({ reason: 'revoked' });
  return { token, revoked, fetchedAt: t.clock };
}

/** An HTTP server elsewhere (another origin) that counts what reaches it. */
export async function countingServer(): Promise<{
  origin: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count++;
    res.writeHead(200).end('');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
