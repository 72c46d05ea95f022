/**
 * Tracing's cost: /api/v1/me (warm) on two like instances on the same database, one tracing every
 * request (HTTP and Nest spans, batched and encoded as in production) to a local OTLP sink that
 * answers 200, the other with tracing off; runs alternated.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BusinessSetup } from '../../test/harness/latchkey-client';
import { round } from '../../test/harness/stats';
import { meOffAndOn, type StartApp } from '../lib/alternated';
import { figure, leftToFullBench, notes, raw } from '../lib/figures';

/** An OTLP endpoint on loopback that answers 200 and counts what it was sent. */
async function startSink() {
  const sink = { posts: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (sink.bytes += chunk.length));
    req.on('end', () => {
      sink.posts++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    sink,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

export async function tracingCost(
  env: Record<string, string>,
  owner: BusinessSetup,
  start: StartApp,
): Promise<void> {
  const name =
    'tracing on: /api/v1/me with tracing on ÷ off, postgres (every request sampled, OTLP to a local sink)';
  if (leftToFullBench(name, '(information)')) return;
  const { sink, endpoint, close } = await startSink();
  try {
    // Stopping `on` flushes the spans still batched, so the sink has them all on return.
    const result = await meOffAndOn(
      'tracing',
      start,
      { off: env, on: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } },
      owner,
      2,
    );
    const { runs, offRps, onRps } = result;
    figure(
      name,
      `${round(onRps / offRps)} (${round(onRps, 0)} vs ${round(offRps, 0)} req/s; ` +
        `${sink.posts} exports, ${round(sink.bytes / 2 ** 20, 1)} MiB)`,
      '(information)',
      null,
    );
    if (sink.posts === 0) notes.push('tracing: the sink received no export, so no span was made');
    raw.tracing = { ...runs, sink_posts: sink.posts, sink_bytes: sink.bytes };
  } finally {
    await close();
  }
}
