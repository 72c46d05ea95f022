/**
 * Writes the app's OpenAPI document, the one /docs-json serves, to a file (default
 * dist/openapi.json) for `redocly lint`. It boots the real app on a throwaway SQLite database and
 * never listens: the document is read from the routes' own decorators, so it cannot drift.
 *
 *   node dist/scripts/openapi.js [out-file]   (built by npm run build)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startApp } from '../src/app.factory';
import { loadConfig } from '../src/config/load-config';
import { buildOpenApiDocument } from '../src/docs/swagger';

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'dist/openapi.json');
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-openapi-'));
  try {
    const config = loadConfig({ LOG_LEVEL: 'silent', SQLITE_PATH: join(dir, 'openapi.sqlite') });
    const { app } = await startApp(config, { logs: false });
    try {
      const document = buildOpenApiDocument(app);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`OpenAPI document written to ${out}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
