/**
 * The baseline of the framework-overhead benchmark: bare Fastify (the version Nest's adapter
 * uses), one route answering the same body as /health/live. Started as its own process by
 * bench/lib/verify-floor.ts from its build, dist/bench/fastify-hello.js, with PORT set.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/health/live', () => ({ status: 'ok' }));
app
  .listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' })
  .then((address) => process.stdout.write(`fastify hello listening on ${address}\n`))
  .catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
