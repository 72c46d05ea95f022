import { uniqueLabel } from '../factories/unique';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a token secret looks like. */
export const TOKEN_RE = /^lk_[0-9A-Za-z]{36}$/;

/** A label no other test of the run uses: for names and emails, which are unique. */
export const uniq = uniqueLabel;

/** Asserts that an ISO timestamp lies about `days` days from now (within two minutes). */
export function expectExpiresInDays(iso: string | null, days: number): void {
  expect(iso).toEqual(expect.any(String));
  const delta = new Date(iso as string).getTime() - (Date.now() + days * DAY_MS);
  expect(Math.abs(delta)).toBeLessThan(2 * 60 * 1000);
}
