import { bootTestApp, TestApp } from '../harness/app/test-app';
import type { WebhookReceiver } from '../harness/app/webhook-receiver';
import type { Driver } from '../setup/servers';

/**
 * The instances a suite of a once-across-instances job (expiry notices, the inactivity sweep)
 * runs on, with `receiver` started for its webhooks: the app and, on PostgreSQL, a second
 * instance on the same database, so the job runs on both at once. SQLite is one process's
 * database, so there is no second there.
 */
export async function bootJobInstances(
  driver: Driver,
  receiver: WebhookReceiver,
): Promise<[TestApp, TestApp | undefined]> {
  await receiver.start();
  const env = { WEBHOOK_POLL_MS: '50' };
  const first = await bootTestApp(driver, env);
  return [first, driver === 'postgres' ? await bootTestApp(driver, env, first.db) : undefined];
}

/** Closes what `bootJobInstances` started. */
export async function closeJobInstances(
  [first, second]: [TestApp | undefined, TestApp | undefined],
  receiver: WebhookReceiver,
): Promise<void> {
  await second?.close({ keepDatabase: true });
  await first?.close();
  await receiver.stop();
}
