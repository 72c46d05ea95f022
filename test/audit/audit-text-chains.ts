import { createHash } from 'node:crypto';
import { canonicalJson } from '../../src/audit/codec/canonical-json';
import { asMember, asPlatform } from '../harness/app/api';
import { EventLine, GENESIS } from './audit-chain';
import type { TestApp } from '../harness/app/test-app';
import { uniqueLabel } from '../factories/unique';

export interface Target {
  type: string;
  id: string | null;
  label: string | null;
}

/** sha256(prev_hash || JCS(the line without prev_hash and hash)). */
export function lineHash(line: EventLine): string {
  const event: Record<string, unknown> = { ...line };
  delete event.prev_hash;
  delete event.hash;
  return createHash('sha256')
    .update(line.prev_hash + canonicalJson(event), 'utf8')
    .digest('hex');
}

/**
 * The first line of an export that does not hold, checked offline; null when all do. From
 * `fromSeq` on, when given: the lines before it are taken as they are (they are another
 * property's, which reports its own failure).
 */
export function firstBrokenLine(lines: EventLine[], fromSeq = 1): EventLine | null {
  let prev = fromSeq === 1 ? GENESIS : lines[fromSeq - 2]?.hash;
  for (const [i, line] of lines.entries()) {
    if (i + 1 < fromSeq) continue;
    if (line.seq !== i + 1 || line.prev_hash !== prev || lineHash(line) !== line.hash) return line;
    prev = line.hash;
  }
  return null;
}

/** A chain's name no other test of the run uses. */
export const unique = uniqueLabel;

export interface Chain {
  name: string;
  base: string;
  headers: Record<string, string>;
}

/**
 * Reads of an audit chain through the API: what the server says of it, and what its export says
 * offline. Takes the app lazily, since a suite boots it in `beforeAll`, after these are bound.
 */
export function auditChains(app: () => TestApp) {
  const platformChain = (): Chain => ({
    name: 'platform',
    base: '/platform/v1/audit-events',
    headers: asPlatform(app()),
  });
  const businessChain = (b: { id: string; ownerToken: string }): Chain => ({
    name: `business ${b.id}`,
    base: '/api/v1/audit-events',
    headers: asMember(b.ownerToken, b.id),
  });

  async function exportLines(chain: Chain): Promise<EventLine[]> {
    const res = await app()
      .http()
      .get(`${chain.base}/export`)
      .query({ format: 'ndjson' })
      .set(chain.headers)
      .buffer(true)
      .parse((stream, done) => {
        let body = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (body += chunk));
        stream.on('end', () => done(null, body));
      });
    expect({ chain: chain.name, status: res.status }).toEqual({ chain: chain.name, status: 200 });
    // JSON escapes every newline inside a line, so "\n" alone separates them (not U+2028).
    return (res.body as string)
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as EventLine);
  }

  async function verify(chain: Chain) {
    const res = await app().http().get(`${chain.base}/verify`).set(chain.headers);
    return { chain: chain.name, status: res.status, ...res.body?.data };
  }

  /** The server verifies the chain, and its NDJSON export checks offline, line for line. */
  async function expectChainHolds(chain: Chain): Promise<void> {
    expect(await verify(chain)).toEqual({
      chain: chain.name,
      status: 200,
      valid: true,
      checked: expect.any(Number),
      first_invalid_seq: null,
      // No checkpoint is signed in these suites: the chain alone is judged.
      checkpoints_checked: 0,
      last_valid_checkpoint: null,
      checkpoint_checked: false,
      signed_through_seq: 0,
    });
    const lines = await exportLines(chain);
    expect({ chain: chain.name, broken: firstBrokenLine(lines) }).toEqual({
      chain: chain.name,
      broken: null,
    });
    expect((await verify(chain)).checked).toBe(lines.length);
  }

  /** The chain's events from `fromSeq` on check offline: the platform chain is shared. */
  async function expectChainHoldsFrom(chain: Chain, fromSeq: number): Promise<void> {
    const lines = await exportLines(chain);
    expect({ chain: chain.name, broken: firstBrokenLine(lines, fromSeq) }).toEqual({
      chain: chain.name,
      broken: null,
    });
  }

  const nextSeq = async (chain: Chain) => (await exportLines(chain)).length + 1;

  /** The one event with this actor or target id, as the platform API (every chain) shows it. */
  async function eventBy(
    filter: 'actor_id' | 'target_id',
    id: string,
    action?: string,
  ): Promise<EventLine> {
    const res = await app()
      .http()
      .get('/platform/v1/audit-events')
      .query({ [filter]: id, ...(action ? { action } : {}) })
      .set(asPlatform(app()));
    expect({ status: res.status, found: res.body?.data?.items?.length }).toEqual({
      status: 200,
      found: 1,
    });
    return res.body.data.items[0] as EventLine;
  }

  return {
    platformChain,
    businessChain,
    verify,
    expectChainHolds,
    expectChainHoldsFrom,
    nextSeq,
    eventBy,
  };
}
