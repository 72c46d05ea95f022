import { ERROR_STATUS } from '../harness/app/error-status';
import { bootTestApp, TestApp } from '../harness/app/test-app';

type Operation = { operationId?: string; responses: Record<string, { description?: string }> };

/** Every (operation, status, code) the OpenAPI document names in an error answer. */
function documentedErrors(spec: { paths: Record<string, Record<string, Operation>> }) {
  const rows: [string, number, string][] = [];
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      for (const [status, response] of Object.entries(op.responses)) {
        const listed = /Error codes: ([A-Z_]+(?:, [A-Z_]+)*)/.exec(response.description ?? '');
        for (const code of listed?.[1].split(', ') ?? []) {
          rows.push([`${method.toUpperCase()} ${path}`, Number(status), code]);
        }
      }
    }
  }
  return rows;
}

describe('The error catalog and the OpenAPI document', () => {
  let t: TestApp;
  let rows: [string, number, string][];
  beforeAll(async () => {
    t = await bootTestApp('sqlite');
    rows = documentedErrors((await t.http().get('/docs-json').expect(200)).body);
  });
  afterAll(() => t?.close());

  it('documents error codes on many operations', () => {
    expect(rows.length).toBeGreaterThan(50);
  });

  it('documents each code under a status the code answers with', () => {
    const wrong = rows.filter(([, status, code]) => {
      const statuses = (ERROR_STATUS as Record<string, readonly number[]>)[code];
      return !statuses?.includes(status);
    });
    expect(wrong).toEqual([]);
  });
});
