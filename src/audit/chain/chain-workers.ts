import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SegmentResult } from './chain-segment';
import type { SegmentJob, SegmentReply } from './chain-segment.worker';

/**
 * The compiled worker: beside this file in the built app, or, when this file runs from the
 * TypeScript sources, the build's copy in dist/ (`npm run build`; the test suites build first).
 */
const WORKER = [
  join(__dirname, 'chain-segment.worker.js'),
  join(__dirname, '..', '..', '..', 'dist', 'src', 'audit', 'chain', 'chain-segment.worker.js'),
].find((path) => existsSync(path));

/** Runs one stretch of a verify in a worker thread. */
export function runSegmentWorker(job: SegmentJob): Promise<SegmentResult> {
  if (!WORKER) {
    return Promise.reject(new Error('audit verify worker: not built (npm run build)'));
  }
  const worker = new Worker(WORKER, { workerData: job });
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
