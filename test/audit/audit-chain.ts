import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import type { BusinessFixture } from '../factories/tenancy.factory';
import { asMember } from '../harness/app/api';
import type { TestApp } from '../harness/app/test-app';

export const GENESIS = '0'.repeat(64);

/** One line of an NDJSON export: an event, with its place in its chain. */
export interface EventLine {
  seq: number;
  prev_hash: string;
  hash: string;
  [field: string]: unknown;
}

/**
 * The chain rule, written here from the spec rather than imported: keys sorted by UTF-16 code
 * units, no whitespace (RFC 8785 for the strings, integers and nulls an event holds).
 */
export function jcs(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : 1,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jcs(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256(prev_hash || JCS(the line without prev_hash and hash)). */
export function lineHash(line: EventLine): string {
  const event: Record<string, unknown> = { ...line };
  delete event.prev_hash;
  delete event.hash;
  return createHash('sha256').update(line.prev_hash).update(jcs(event)).digest('hex');
}

/** Checks an NDJSON export offline; returns the first seq that does not hold, or null. */
export function checkOffline(lines: EventLine[]): number | null {
  let prev = GENESIS;
  for (const [i, line] of lines.entries()) {
    if (line.seq !== i + 1 || line.prev_hash !== prev || lineHash(line) !== line.hash) {
      return line.seq;
    }
    prev = line.hash;
  }
  return null;
}

/** The events of an NDJSON export: its lines, without the signed checkpoint that may end it. */
export function parseNdjson(text: string): EventLine[] {
  return splitExport(text).events;
}

/** An NDJSON export's events, and the checkpoint note of its last line when it has one. */
export function splitExport(text: string): { events: EventLine[]; checkpoint: string | null } {
  const lines = text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const last = lines[lines.length - 1];
  const trailer =
    last && Object.keys(last).length === 1 && typeof last.checkpoint === 'string'
      ? last.checkpoint
      : null;
  return {
    events: (trailer === null ? lines : lines.slice(0, -1)) as EventLine[],
    checkpoint: trailer,
  };
}

/** What `…/audit-events/verify` answers. */
export interface Verdict {
  valid: boolean;
  checked: number;
  first_invalid_seq: number | null;
  checkpoints_checked: number;
  last_valid_checkpoint: { tree_size: number; root_hash: string; signed_at: string } | null;
  checkpoint_checked: boolean;
  signed_through_seq: number;
}

/**
 * A business chain read through the API with its owner's token. Takes the app lazily, since a
 * suite boots it in `beforeAll`, after these are bound.
 */
export function auditReads(app: () => TestApp) {
  async function exportChain(biz: BusinessFixture, query = ''): Promise<Response> {
    return app()
      .http()
      .get(`/api/v1/audit-events/export${query}`)
      .set(asMember(biz.ownerToken, biz.id))
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(null, text));
      });
  }

  /** The whole verdict, checkpoints included. */
  async function verdict(biz: BusinessFixture): Promise<Verdict> {
    const res = await app()
      .http()
      .get('/api/v1/audit-events/verify')
      .set(asMember(biz.ownerToken, biz.id))
      .expect(200);
    return res.body.data as Verdict;
  }

  /** The chain's part of the verdict. */
  async function verify(biz: BusinessFixture) {
    const { valid, checked, first_invalid_seq } = await verdict(biz);
    return { valid, checked, first_invalid_seq };
  }

  return { exportChain, verify, verdict };
}
