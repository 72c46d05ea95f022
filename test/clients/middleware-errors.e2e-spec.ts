import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIDDLEWARE_ERRORS } from '../../packages/client/src/middleware/refusals';
import { ERROR_TABLE } from './middleware-fixtures';

/**
 * One table of codes for every client: middleware-errors.json is what the TypeScript middlewares
 * hold (MIDDLEWARE_ERRORS), what docs/clients.md shows, row for row, and what the Python client's
 * suite checks its WSGI middleware against (clients/python/tests/test_errors.py). Each row's
 * behaviour is asserted per framework in middleware-setup-cases.ts.
 */

const DOC = join(__dirname, '..', '..', 'docs', 'clients.md');

/** The rows of the table under `| code | status | message | when |` in docs/clients.md. */
function documentedRows() {
  const lines = readFileSync(DOC, 'utf8').split('\n');
  const header = lines.indexOf('| code | status | message | when |');
  expect(header).toBeGreaterThan(0);
  const rows = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [code, status, message, when] = line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim());
    rows.push({ code: code.replace(/^`|`$/g, ''), status: Number(status), message, when });
  }
  return rows;
}

describe('the error table of the client middlewares', () => {
  it('docs/clients.md shows it row for row', () => {
    expect(documentedRows()).toEqual(
      ERROR_TABLE.map(({ code, status, message, when }) => ({ code, status, message, when })),
    );
  });

  it('the TypeScript middlewares hold it word for word, in its order', () => {
    expect(Object.entries(MIDDLEWARE_ERRORS)).toEqual(
      ERROR_TABLE.map((row) => [row.code, [row.status, row.message]]),
    );
  });

  it('names each code once, with a status of its kind', () => {
    const codes = ERROR_TABLE.map((row) => row.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const { code, status } of ERROR_TABLE) {
      expect([code, [401, 403, 429, 500, 503].includes(status)]).toEqual([code, true]);
      expect([code, /^[A-Z_]+$/.test(code)]).toEqual([code, true]);
    }
  });
});
