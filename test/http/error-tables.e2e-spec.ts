import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ErrorTable } from '../../src/common/errors/error-codes';
import { ERROR_TABLES } from '../../src/docs/error-tables';
import { TenancyError } from '../../src/tenancy/tenancy-error';
import { TokenError } from '../../src/tokens/token-error';
import { ERROR_STATUS } from '../harness/app/error-status';

const SRC = join(__dirname, '..', '..', 'src');

/** Every module of src/ that may declare a feature's codes: `*-error.ts` and `error-codes.ts`. */
function errorModules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return errorModules(path);
    return /(-error|^error-codes)\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('ERROR_STATUS', () => {
  const tables: readonly ErrorTable[] = ERROR_TABLES;
  const rows = tables.flatMap((table) =>
    Object.entries(table).map(([code, { status }]) => [code, status] as const),
  );

  it.each(rows)('holds %s with its status %d', (code, status) => {
    expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS]).toContain(status);
  });

  it("lists every feature's error table (each *_ERRORS export of src/) in ERROR_TABLES", async () => {
    const declared: { table: string; listed: boolean }[] = [];
    for (const file of errorModules(SRC)) {
      const exported = (await import(file)) as Record<string, unknown>;
      for (const [name, table] of Object.entries(exported)) {
        if (!/_ERRORS$/.test(name)) continue;
        declared.push({
          table: `${relative(SRC, file)}: ${name}`,
          listed: tables.includes(table as ErrorTable),
        });
      }
    }
    expect(declared.length).toBeGreaterThanOrEqual(ERROR_TABLES.length);
    expect(declared.filter((d) => !d.listed)).toEqual([]);
  });

  it('holds nothing the features do not declare', () => {
    const declared = new Set(rows.map(([code, status]) => `${code} ${status}`));
    const held = Object.entries(ERROR_STATUS).flatMap(([code, statuses]) =>
      statuses.map((s) => `${code} ${s}`),
    );
    expect(held.sort()).toEqual([...declared].sort());
  });

  it('gives INVALID_TOKEN both of its meanings, and every other code one status', () => {
    const twofold = Object.entries(ERROR_STATUS).filter(([, statuses]) => statuses.length > 1);
    expect(twofold).toEqual([['INVALID_TOKEN', [401, 422]]]);
  });

  it('gives a code one message wherever it is declared', () => {
    const messages = new Map<string, Set<string>>();
    for (const table of tables) {
      for (const [code, { message }] of Object.entries(table)) {
        messages.set(code, (messages.get(code) ?? new Set()).add(message));
      }
    }
    expect([...messages].filter(([, m]) => m.size > 1)).toEqual([]);
  });

  it("lets a feature's error class take only that feature's codes", () => {
    // The compiler is the check (npm run typecheck covers specs): each line must not compile.
    const wrong = [
      // @ts-expect-error a tenancy code thrown as a token error
      () => new TokenError('LAST_OWNER', 'x'),
      // @ts-expect-error a token code thrown as a tenancy error
      () => new TenancyError('TOKEN_NOT_FOUND', 'x'),
      // @ts-expect-error an auth code thrown as a token error
      () => new TokenError('BUSINESS_SUSPENDED', 'x'),
    ];
    expect(wrong).toHaveLength(3);
  });
});
