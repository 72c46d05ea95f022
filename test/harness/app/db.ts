import { hashSecret } from '../../../src/tokens/token-secret';
import type { TestApp } from './test-app';

/** The membership rows (`[{ role }]`, or none) of an identity in a business, read in SQL. */
export const membershipRoles = (t: TestApp, businessId: string, identityId: string) =>
  t.sql<{ role: string }>(
    'SELECT role FROM memberships WHERE business_id = ? AND identity_id = ?',
    [businessId, identityId],
  );

/** The id of the token row holding this secret's hash; asserts there is exactly one. */
export async function tokenIdOf(t: TestApp, secret: string): Promise<string> {
  const rows = await t.sql<{ id: string }>('SELECT id FROM api_tokens WHERE token_hash = ?', [
    hashSecret(secret),
  ]);
  expect(rows).toHaveLength(1);
  return rows[0].id;
}

/**
 * Turns PostgreSQL's append-only trigger on audit_events off (`on: false`), so a tamper test can
 * edit or delete events, or back on. SQLite has no such trigger.
 */
export async function auditAppendOnly(t: TestApp, on: boolean): Promise<void> {
  if (t.driver !== 'postgres') return;
  await t.sql(
    `ALTER TABLE audit_events ${on ? 'ENABLE' : 'DISABLE'} TRIGGER audit_events_append_only`,
  );
}
