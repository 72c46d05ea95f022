import { scoped } from '../harness/latchkey-client';
import { governanceViews } from './console-governance-views';
import { peopleViews } from './console-people-views';
import type { ConsoleScreens, ConsoleWorld, View, Who } from './console-views';

/**
 * The Requests screen and its dialogs (a token asked for, a request approved or denied, each with
 * its case against the policy), for everyone in a business: walked by test/console-screens with
 * the rest.
 */
export function requestViews(screens: ConsoleScreens, world: ConsoleWorld, who: Who): View[] {
  if (who !== 'owner' && who !== 'member') return [];
  const requests = () => screens.screen('/admin/requests', /^requests$/i);

  /** A pending request of the owner's, to show in the list and deny: one, however many walks. */
  async function withRequest(): Promise<void> {
    const headers = scoped(world.owner.ownerToken, world.owner.businessId);
    const open = await world.client.request<{ data: { items: { name: string }[] } }>(
      'GET',
      '/api/v1/token-requests?status=pending',
      { headers },
    );
    if (!open.body.data.items.some((r) => r.name === 'walk-release')) {
      const res = await world.client.request('POST', '/api/v1/token-requests', {
        headers,
        body: { name: 'walk-release', scopes: ['deploy:prod'], justification: 'The walk' },
      });
      if (res.status !== 201) throw new Error(`token request: ${res.status}`);
    }
    await requests();
  }

  const views: View[] = [
    {
      name: 'the request-a-token dialog',
      show: async () => {
        await requests();
        await screens.openDialog('Request a token');
      },
    },
  ];
  if (who === 'member') return [{ name: 'requests', list: true, show: requests }, ...views];
  return [
    { name: 'requests', list: true, show: withRequest },
    ...views,
    {
      name: 'the approve-request dialog',
      show: async () => {
        await withRequest();
        await screens.openDialog('Approve');
        await screens.ui.page.getByRole('region', { name: 'Against the token policy' }).waitFor();
      },
    },
    {
      name: 'the deny-request dialog',
      show: async () => {
        await withRequest();
        await screens.openDialog('Deny');
      },
    },
  ];
}

/** The views kept apart from console-views.ts, which the walk adds to its own. */
export const moreViews = [governanceViews, peopleViews, requestViews];
