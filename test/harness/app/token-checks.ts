import type { Response } from 'supertest';
import { dbDate, expectError } from './assertions';
import type { TestApp } from './test-app';

/** The columns of an api_tokens row that the revocation, rotation and last-use specs read. */
export interface TokenRow {
  id: string;
  business_id: string | null;
  identity_id: string;
  name: string;
  scopes: unknown;
  created_at: unknown;
  expires_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
  revoked_by: string | null;
  revoked_by_id: string | null;
  revocation_reason: string | null;
  rotated_from_id: string | null;
}

/**
 * Reads of api_tokens in SQL. Takes the app lazily, since a suite boots it in `beforeAll`, after
 * these are bound.
 */
export function tokenRows(app: () => TestApp) {
  async function tokenRow(id: string): Promise<TokenRow> {
    const rows = await app().sql<TokenRow>(
      `SELECT id, business_id, identity_id, name, scopes, created_at, expires_at, last_used_at,
              revoked_at, revoked_by, revoked_by_id, revocation_reason, rotated_from_id
         FROM api_tokens WHERE id = ?`,
      [id],
    );
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  async function expectUnrevokedInDb(id: string): Promise<void> {
    const row = await tokenRow(id);
    expect({
      revoked_at: row.revoked_at,
      revoked_by: row.revoked_by,
      revoked_by_id: row.revoked_by_id,
      revocation_reason: row.revocation_reason,
    }).toEqual({
      revoked_at: null,
      revoked_by: null,
      revoked_by_id: null,
      revocation_reason: null,
    });
  }

  async function successorsOf(id: string): Promise<number> {
    const rows = await app().sql<{ id: string }>(
      'SELECT id FROM api_tokens WHERE rotated_from_id = ?',
      [id],
    );
    return rows.length;
  }

  return { tokenRow, expectUnrevokedInDb, successorsOf };
}

/** Asserts a 422 whose detail has an issue located at `loc`. */
export function expectValidation(res: Response, loc: (string | number)[]): void {
  expectError(res, 422, 'VALIDATION_ERROR');
  const locs = (res.body.detail as { loc: (string | number)[] }[]).map((d) => d.loc);
  expect(locs).toContainEqual(loc);
}

/** An RFC 6749 §5.2 invalid_request answer, and nothing else. */
export function expectInvalidRequest(res: Response): void {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
}

/** Asserts that a timestamp (ISO string or DB value) lies within `toleranceMs` of `expectedMs`. */
export function expectNear(value: unknown, expectedMs: number, toleranceMs = 10_000): void {
  const date = dbDate(value);
  expect(date).not.toBeNull();
  expect(Math.abs((date as Date).getTime() - expectedMs)).toBeLessThan(toleranceMs);
}

/**
 * The secret with its last character changed: the same length and prefix, never the secret
 * itself (appending a fixed letter is the secret again whenever it already ends in that letter).
 */
export function tamperedSecret(secret: string): string {
  return `${secret.slice(0, -1)}${secret.endsWith('a') ? 'b' : 'a'}`;
}
