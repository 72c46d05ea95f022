import type { Response } from 'supertest';

export const BEARER_CHALLENGE = 'Bearer error="invalid_token"';

/** Asserts the error envelope, its status and its code. */
export function expectError(
  res: Response,
  status: number,
  code: string,
  detail: unknown = status === 422 ? expect.any(Array) : expect.any(String),
): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.body).toEqual({
    success: false,
    message: expect.any(String),
    code,
    detail,
    request_id: expect.any(String),
  });
}

/** A 401 for the bearer token, with the RFC 6750 challenge. */
export function expectBearerError(res: Response, code = 'INVALID_TOKEN'): void {
  expectError(res, 401, code);
  expect(res.headers['www-authenticate']).toBe(BEARER_CHALLENGE);
}

/** A timestamp column read back: PostgreSQL gives a Date, SQLite a UTC `YYYY-MM-DD hh:mm:ss.sss`. */
export function dbDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/** A Date as the driver's timestamp column stores it, for raw SQL parameters. */
export function dbTime(driver: 'sqlite' | 'postgres', date: Date): Date | string {
  return driver === 'postgres' ? date : date.toISOString().replace('T', ' ').replace('Z', '');
}

export { sleep } from '../stats';
