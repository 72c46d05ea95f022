/**
 * The checkpoint half of `npm run bench:audit`: how fast a seeded chain's tree is grown, how long
 * inclusion and consistency proofs take at depth, and append throughput with checkpoints on
 * and off. Figures, not assertions.
 */
import { performance } from 'node:perf_hooks';
import { rootFromInclusionProof } from '../../src/audit/tree/merkle';
import { keepAliveAgent } from '../../test/harness/http';
import { BusinessSetup, LatchkeyClient, scoped } from '../../test/harness/latchkey-client';
import { withClient } from '../../test/harness/servers/postgres';
import { percentile } from '../../test/harness/stats';

const POLL_MS = 250;

/** Waits until the chain's tree holds every event, and answers the rate it was grown at. */
export async function waitForTree(url: string, chainId: string, timeoutMs = 900_000) {
  const began = performance.now();
  const start = await treeState(url, chainId);
  for (;;) {
    const state = await treeState(url, chainId);
    if (state.treeSize >= state.seq) {
      const seconds = (performance.now() - began) / 1000;
      return { leaves: state.seq - start.treeSize, seconds };
    }
    if (performance.now() - began > timeoutMs) throw new Error('the tree did not catch up');
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function treeState(url: string, chainId: string) {
  const { rows } = await withClient(url, (pg) =>
    pg.query<{ seq: number; tree_size: number }>(
      'SELECT seq, tree_size FROM audit_chain_heads WHERE chain_id = $1',
      [chainId],
    ),
  );
  return { seq: rows[0].seq, treeSize: rows[0].tree_size };
}

/** Waits for a signed checkpoint of at least `size` events, and answers its size. */
export async function waitForCheckpoint(url: string, chainId: string, size: number) {
  const began = performance.now();
  for (;;) {
    const { rows } = await withClient(url, (pg) =>
      pg.query<{ tree_size: number }>(
        'SELECT MAX(tree_size) AS tree_size FROM audit_checkpoints WHERE chain_id = $1',
        [chainId],
      ),
    );
    if ((rows[0]?.tree_size ?? 0) >= size) return rows[0].tree_size;
    if (performance.now() - began > 120_000) throw new Error('no checkpoint was signed');
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Latency of `samples` inclusion proofs at random seqs of the checkpoint of `size`, and of
 * consistency proofs from random sizes to it. Every tenth inclusion proof is checked against the
 * checkpoint's root, so the figure is of proofs that hold.
 */
export async function proofLatency(
  client: LatchkeyClient,
  owner: BusinessSetup,
  size: number,
  samples: number,
  leafOf: (seq: number) => Promise<Buffer>,
) {
  const headers = scoped(owner.ownerToken, owner.businessId);
  const get = (path: string) =>
    client.request<string>('GET', `/api/v1/audit-events${path}`, {
      headers,
      agent: keepAliveAgent,
    });
  const pick = () => 1 + Math.floor(Math.random() * size);
  for (let i = 0; i < 50; i++) await get(`/${pick()}/inclusion?size=${size}`);
  const inclusion: number[] = [];
  for (let i = 0; i < samples; i++) {
    const seq = pick();
    const res = await get(`/${seq}/inclusion?size=${size}`);
    if (res.status !== 200) throw new Error(`inclusion: ${res.status} ${String(res.body)}`);
    inclusion.push(res.ms);
    if (i % 10 === 0) await checkInclusion(res.body, seq, size, await leafOf(seq));
  }
  const consistency: number[] = [];
  for (let i = 0; i < samples; i++) {
    const res = await get(`/consistency?from=${pick()}&to=${size}`);
    if (res.status !== 200) throw new Error(`consistency: ${res.status} ${String(res.body)}`);
    consistency.push(res.ms);
  }
  return {
    inclusion: { p50: percentile(inclusion, 50), p99: percentile(inclusion, 99) },
    consistency: { p50: percentile(consistency, 50), p99: percentile(consistency, 99) },
  };
}

async function checkInclusion(body: string, seq: number, size: number, leaf: Buffer) {
  const lines = body.split('\n');
  const blank = lines.indexOf('', 2);
  const proof = lines.slice(2, blank).map((l) => Buffer.from(l, 'base64'));
  const signedRoot = Buffer.from(lines[blank + 3], 'base64');
  const root = rootFromInclusionProof(seq - 1, size, leaf, proof);
  if (!root?.equals(signedRoot)) throw new Error(`the inclusion proof of seq ${seq} does not hold`);
  await Promise.resolve();
}
