import type { Test } from 'supertest';
import type { Caller } from './api';
import type { TestApp } from './test-app';

/** `PUT /api/v1/token-policy` as `caller`. */
export const putPolicy = (t: TestApp, caller: Caller, body: object): Test =>
  t.http().put('/api/v1/token-policy').set(caller).send(body);

/** `GET /api/v1/token-policy` as `caller`. */
export const getPolicy = (t: TestApp, caller: Caller): Test =>
  t.http().get('/api/v1/token-policy').set(caller);

/** `GET /api/v1/token-policy/violations` as `caller`. */
export const listViolations = (t: TestApp, caller: Caller, query: object = {}): Test =>
  t.http().get('/api/v1/token-policy/violations').set(caller).query(query);

/** The (loc, rule) of each entry of a 422 POLICY_VIOLATION's detail. */
export function breachesOf(body: {
  code: string;
  detail: { loc: string[]; ctx: { rule: string } }[];
}): [string, string][] {
  expect(body.code).toBe('POLICY_VIOLATION');
  return body.detail.map((d) => [d.loc.join('.'), d.ctx.rule]);
}

const DAY = 86_400_000;

/** Days from now to an ISO time (or null), rounded to a tenth. */
export const daysLeft = (iso: string | null): number | null =>
  iso === null ? null : Math.round(((Date.parse(iso) - Date.now()) / DAY) * 10) / 10;

/** An ISO time `days` days from now. */
export const inDays = (days: number): string => new Date(Date.now() + days * DAY).toISOString();
