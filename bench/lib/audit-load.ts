/**
 * `npm run bench:audit`'s requests to the app: a page's latency at a cursor, a full NDJSON
 * export streamed and counted, and appends by concurrent writers.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { keepAliveAgent } from '../../test/harness/http';
import { BusinessSetup, LatchkeyClient, scoped } from '../../test/harness/latchkey-client';
import { percentile } from '../../test/harness/stats';

const PAGE_SAMPLES = 1_000;
export const WRITERS = 50;
const APPENDS = 5_000;
const APPEND_MAX_MS = 60_000;

/** p50 and p99 of PAGE_SAMPLES pages of 50 at `cursor`, after 50 to warm up. */
export async function pageLatency(
  client: LatchkeyClient,
  owner: BusinessSetup,
  cursor: string | undefined,
  action?: string,
) {
  const query = new URLSearchParams({ limit: '50' });
  if (cursor) query.set('cursor', cursor);
  if (action) query.set('action', action);
  const path = `/api/v1/audit-events?${query.toString()}`;
  const headers = scoped(owner.ownerToken, owner.businessId);
  for (let i = 0; i < 50; i++)
    await client.request('GET', path, { headers, agent: keepAliveAgent });
  const ms: number[] = [];
  for (let i = 0; i < PAGE_SAMPLES; i++) {
    const res = await client.request<{ data: { items: unknown[] } }>('GET', path, {
      headers,
      agent: keepAliveAgent,
    });
    if (res.status !== 200 || res.body.data.items.length !== 50) {
      throw new Error(`page: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    ms.push(res.ms);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** Streams the export, counting lines, without holding it. */
export function streamExport(
  baseUrl: string,
  owner: BusinessSetup,
): Promise<{ lines: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      new URL('/api/v1/audit-events/export?format=ndjson', baseUrl),
      { headers: scoped(owner.ownerToken, owner.businessId) },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`export: ${res.statusCode}`));
        let lines = 0;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        });
        res.on('end', () => resolve({ lines, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** Creates tokens from WRITERS concurrent writers; each creation appends one event to the chain. */
export async function appendThroughput(client: LatchkeyClient, owner: BusinessSetup) {
  let started = 0;
  let ok = 0;
  const began = performance.now();
  const writer = async () => {
    while (started < APPENDS && performance.now() - began < APPEND_MAX_MS) {
      const i = started++;
      const res = await client.request('POST', '/api/v1/tokens', {
        headers: scoped(owner.ownerToken, owner.businessId),
        body: { name: `append-${i}` },
        agent: keepAliveAgent,
      });
      if (res.status === 201) ok++;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  const seconds = (performance.now() - began) / 1000;
  return { appends: ok, seconds, perSecond: ok / seconds };
}
