import { scoped } from '../harness/latchkey-client';
import type { ConsoleScreens, ConsoleWorld, View, Who } from './console-views';

/**
 * The people screens and dialogs (custom roles, SSO group rules, invitations, a member's custom
 * role), for the roles that reach them: walked by test/console-screens with the rest.
 */
export function peopleViews(screens: ConsoleScreens, world: ConsoleWorld, who: Who): View[] {
  const roles = () => screens.screen('/admin/roles', /^roles$/i);
  const members = () => screens.screen('/admin/members', /^members$/i);

  /** A role to change and delete: made once, whichever walk gets here first (409 after). */
  async function withRole(): Promise<void> {
    const res = await world.client.request('POST', '/api/v1/custom-roles', {
      headers: scoped(world.owner.ownerToken, world.owner.businessId),
      body: { name: 'walk-deployer', base_role: 'member', scopes: ['deploy:*'] },
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`custom role: ${res.status}`);
    await roles();
  }

  if (who === 'member') {
    return [
      {
        name: 'the roles screen, refused',
        show: async () => {
          await screens.screen('/admin/roles', /^not available$/i);
          await screens.ui.alert().waitFor();
        },
      },
    ];
  }
  if (who !== 'owner') return [];
  return [
    { name: 'roles', list: true, show: withRole },
    {
      name: 'the new-role dialog',
      show: async () => {
        await roles();
        await screens.openDialog('New role');
      },
    },
    {
      name: 'the change-scopes dialog',
      show: async () => {
        await withRole();
        await screens.openDialog('Change scopes');
      },
    },
    {
      name: 'the delete-role confirmation',
      show: async () => {
        await withRole();
        await screens.openDialog('Delete');
      },
    },
    {
      name: 'the add-group-rule dialog',
      show: async () => {
        await roles();
        await screens.openDialog('Add rule');
      },
    },
    {
      name: 'the invite-by-email dialog',
      show: async () => {
        await members();
        await screens.openDialog('Invite by email');
      },
    },
    {
      name: 'the custom-role dialog',
      show: async () => {
        await members();
        await screens.openDialog('Custom role');
        await screens.ui.settled();
      },
    },
  ];
}
