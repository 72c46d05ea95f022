import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SegmentResult } from './chain-segment';
import type { SegmentJob, SegmentReply } from './chain-segment.worker';

const BUILT = join(__dirname, 'chain-segment.worker.js');
const SOURCE = join(__dirname, 'chain-segment.worker.ts');

/**
 * Runs one stretch of a verify in a worker thread. The built app runs the compiled worker; from
 * the TypeScript sources (the test suites), the worker compiles its file with ts-node first.
 */
export function runSegmentWorker(job: SegmentJob): Promise<SegmentResult> {
  const worker = existsSync(BUILT)
    ? new Worker(BUILT, { workerData: job })
    : new Worker(
        `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(SOURCE)});`,
        { eval: true, workerData: job },
      );
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (reply: SegmentReply) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`audit verify worker: ${reply.message}`));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`audit verify worker exited with ${code}`));
    });
  });
}
