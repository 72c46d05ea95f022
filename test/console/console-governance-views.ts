import { scoped } from '../harness/latchkey-client';
import type { ConsoleScreens, ConsoleWorld, View, Who } from './console-views';

/** Tokens made for these views, named apart across walks that run at once. */
let made = 0;

/**
 * The governance screens and dialogs (the token policy, its violations, pausing, narrowing, uses and
 * meta), for the roles that reach them: walked by test/console-screens with the rest.
 */
export function governanceViews(screens: ConsoleScreens, world: ConsoleWorld, who: Who): View[] {
  const page = screens.ui.page;
  const dialog = page.getByRole('dialog');
  const policy = () => screens.screen('/admin/token-policy', /^token policy$/i);
  const violations: View = {
    name: 'policy violations',
    list: true,
    show: () => screens.screen('/admin/token-policy/violations', /^policy violations$/i),
  };
  const busy = () => screens.screen(`/admin/tokens/${world.busy.id}`, /busy-token/);

  /** A token with uses, a refill and meta, paused: its page shows all of them, and Enable. */
  async function pausedMetered(): Promise<string> {
    const { owner, client } = world;
    const token = await client.createToken(owner, `paused-${++made}`, {
      uses_limit: 100,
      refill: { interval: 'monthly', amount: 50 },
      meta: { plan: 'gold', limits: { seats: 5 } },
    });
    const res = await client.request('POST', `/api/v1/tokens/${token.id}/disable`, {
      headers: scoped(owner.ownerToken, owner.businessId),
      body: { reason: 'under review' },
    });
    if (res.status !== 200) throw new Error(`disable: ${res.status}`);
    return token.id;
  }

  if (who === 'owner') {
    return [
      { name: 'the token policy', show: policy },
      {
        name: 'the edit-policy dialog',
        show: async () => {
          await policy();
          await screens.openDialog('Edit policy');
        },
      },
      violations,
      {
        name: 'the disable dialog',
        show: async () => {
          await busy();
          await screens.openDialog('Disable');
        },
      },
      {
        name: 'the edit-token dialog',
        show: async () => {
          await busy();
          await screens.openDialog('Edit');
        },
      },
      {
        name: 'the edit-token dialog with an error at a field',
        show: async () => {
          await busy();
          await screens.openDialog('Edit');
          await dialog.getByLabel('Meta', { exact: true }).fill('{not json');
          await screens.ui.button('Save changes').click();
          await dialog.locator('.field-error').waitFor();
        },
      },
      {
        name: 'a paused token with uses and meta',
        show: async () => {
          const id = await pausedMetered();
          await screens.screen(`/admin/tokens/${id}`, /paused-/);
          await screens.ui.button('Enable').waitFor();
        },
      },
    ];
  }
  if (who === 'member') {
    return [
      {
        name: 'the token policy, read-only',
        show: async () => {
          await policy();
          await page.getByText('Only an owner can change the policy.').waitFor();
        },
      },
      violations,
    ];
  }
  return [];
}
