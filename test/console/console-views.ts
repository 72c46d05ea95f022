import { ConsoleUi } from '../harness/browser/console-ui';
import { BusinessSetup, IssuedToken, LatchkeyClient } from '../harness/latchkey-client';
import { moreViews } from './console-request-views';

/**
 * Every screen and dialog of the admin console, for each role, and what test/console-screens
 * checks on each (console-walk.ts). Walks run at once, each driving a Chromium of its own.
 */

export type Who = 'signed out' | 'owner' | 'member' | 'platform admin';

/** A screen, or a state of one (a dialog open, a secret shown), and how to reach it. */
export interface View {
  name: string;
  show(): Promise<void>;
  /** A screen that leads with a list: checked for what a list must do (console-walk.ts). */
  list?: true;
}

/** What the seeded business holds that the views open. */
export interface ConsoleWorld {
  client: LatchkeyClient;
  owner: BusinessSetup;
  /** A token of the owner's with traffic: its page has a usage chart and addresses. */
  busy: IssuedToken;
  machineId: string;
  webhookId: string;
}

/** Tokens made on the screens, named apart across walks that run at once. */
let made = 0;

export class ConsoleScreens {
  constructor(
    readonly ui: ConsoleUi,
    private readonly world: ConsoleWorld,
  ) {}

  /** Opens a path, and waits for its heading and for loading to end. */
  async screen(path: string, heading: RegExp): Promise<void> {
    await this.ui.open(path);
    await this.ui.page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await this.ui.settled();
  }

  /** Clicks a button and waits for the modal dialog it opens. */
  async openDialog(button: string): Promise<void> {
    await this.ui.button(button).first().click();
    await this.ui.page.getByRole('dialog').waitFor();
  }

  /** The views `who` can reach, in the order a walk takes them. */
  views(who: Who): View[] {
    const all: Record<Who, () => View[]> = {
      'signed out': () => [{ name: 'sign in', show: () => this.screen('/admin/', /^sign in/i) }],
      owner: () => {
        const page = this.ui.page;
        const dialog = page.getByRole('dialog');
        return [
          { name: 'overview', show: () => this.screen('/admin/', /^overview$/i) },
          { name: 'tokens', list: true, show: () => this.screen('/admin/tokens', /^tokens$/i) },
          {
            name: 'the new-token dialog',
            show: async () => {
              await this.screen('/admin/tokens', /^tokens$/i);
              await this.openDialog('New token');
            },
          },
          {
            name: 'a new token’s one-time secret',
            show: async () => {
              await this.screen('/admin/tokens', /^tokens$/i);
              await this.openDialog('New token');
              await dialog.getByLabel('Name', { exact: true }).fill(`made-${++made}`);
              await this.ui.button('Create token').click();
              await page.getByLabel('Secret', { exact: true }).waitFor();
            },
          },
          {
            name: 'bulk revoke’s dry run',
            show: async () => {
              await this.screen('/admin/tokens', /^tokens$/i);
              await this.openDialog('Bulk revoke');
              await dialog.getByLabel('Every token of the business', { exact: true }).check();
              await dialog.getByLabel('Reason', { exact: true }).fill('leaked CI logs');
              await this.ui.button('Preview bulk revoke').click();
              await this.ui.button('Confirm bulk revoke').waitFor();
            },
          },
          {
            name: 'risky tokens',
            list: true,
            show: () => this.screen('/admin/tokens/risky', /^risky tokens$/i),
          },
          {
            name: 'usage across tokens',
            list: true,
            show: async () => {
              await this.screen('/admin/usage', /^usage$/i);
              await page.getByRole('region', { name: 'Requests per token' }).waitFor();
            },
          },
          {
            name: 'a token’s usage chart and addresses',
            show: async () => {
              await this.screen(`/admin/tokens/${this.world.busy.id}`, /busy-token/);
              await page.getByRole('group', { name: /requests per hour, [1-9]/i }).waitFor();
              await page.getByRole('region', { name: 'Client addresses', exact: true }).waitFor();
            },
          },
          {
            name: 'the revoke dialog',
            show: async () => {
              await this.screen(`/admin/tokens/${this.world.busy.id}`, /busy-token/);
              await this.openDialog('Revoke');
            },
          },
          {
            name: 'the rotate dialog',
            show: async () => {
              await this.screen(`/admin/tokens/${this.world.busy.id}`, /busy-token/);
              await this.openDialog('Rotate');
            },
          },
          {
            name: 'a rotation’s new secret',
            show: async () => {
              const spare = await this.world.client.createToken(
                this.world.owner,
                `rotate-me-${++made}`,
              );
              await this.screen(`/admin/tokens/${spare.id}`, /rotate-me/);
              await this.openDialog('Rotate');
              await this.ui.button('Confirm rotate').click();
              await dialog.getByLabel('Secret', { exact: true }).waitFor();
            },
          },
          { name: 'members', list: true, show: () => this.screen('/admin/members', /^members$/i) },
          {
            name: 'the add-member dialog',
            show: async () => {
              await this.screen('/admin/members', /^members$/i);
              await this.openDialog('Add member');
            },
          },
          {
            name: 'the re-issue confirmation',
            show: async () => {
              await this.screen('/admin/members', /^members$/i);
              await this.openDialog('Re-issue first token');
            },
          },
          {
            name: 'the change-role dialog',
            show: async () => {
              await this.screen('/admin/members', /^members$/i);
              await this.openDialog('Change role');
            },
          },
          {
            name: 'the remove-member confirmation',
            show: async () => {
              await this.screen('/admin/members', /^members$/i);
              await this.openDialog('Remove');
            },
          },
          {
            name: 'machines',
            list: true,
            show: () => this.screen('/admin/machines', /^machine identities$/i),
          },
          {
            name: 'a machine’s trust rules',
            list: true,
            show: async () => {
              await this.screen(`/admin/machines/${this.world.machineId}`, /^machine identity$/i);
              await page.getByRole('region', { name: 'Trust rules' }).waitFor();
            },
          },
          {
            name: 'the new-trust-rule dialog',
            show: async () => {
              await this.screen(`/admin/machines/${this.world.machineId}`, /^machine identity$/i);
              await this.openDialog('New trust rule');
            },
          },
          {
            name: 'the delete-trust-rule confirmation',
            show: async () => {
              await this.screen(`/admin/machines/${this.world.machineId}`, /^machine identity$/i);
              await this.openDialog('Delete');
            },
          },
          {
            name: 'webhooks',
            list: true,
            show: () => this.screen('/admin/webhooks', /^webhooks$/i),
          },
          {
            name: 'the new-endpoint dialog',
            show: async () => {
              await this.screen('/admin/webhooks', /^webhooks$/i);
              await this.openDialog('New endpoint');
            },
          },
          {
            name: 'a webhook’s deliveries',
            list: true,
            show: async () => {
              await this.screen(`/admin/webhooks/${this.world.webhookId}`, /^webhook endpoint$/i);
              await page.getByRole('rowheader', { name: 'webhook.test' }).first().waitFor();
            },
          },
          {
            name: 'a delivery’s payload',
            show: async () => {
              await this.screen(`/admin/webhooks/${this.world.webhookId}`, /^webhook endpoint$/i);
              await this.openDialog('Payload');
              await dialog.getByLabel('Payload', { exact: true }).waitFor();
            },
          },
          {
            name: 'audit log',
            list: true,
            show: () => this.screen('/admin/audit', /^audit log$/i),
          },
          {
            name: 'an audit event',
            show: async () => {
              await this.screen('/admin/audit', /^audit log$/i);
              await page
                .getByRole('region', { name: 'Audit events' })
                .getByRole('button')
                .first()
                .click();
              await dialog.waitFor();
            },
          },
        ];
      },
      member: () => [
        { name: 'overview', show: () => this.screen('/admin/', /^overview$/i) },
        {
          name: 'their tokens',
          list: true,
          show: async () => {
            await this.screen('/admin/tokens', /^tokens$/i);
            await this.ui.page.getByRole('region', { name: 'Tokens', exact: true }).waitFor();
          },
        },
        {
          name: 'an admin screen, refused',
          show: async () => {
            await this.screen('/admin/members', /^not available$/i);
            await this.ui.alert().waitFor();
          },
        },
      ],
      'platform admin': () => [
        {
          name: 'overview, with the business picker',
          show: async () => {
            await this.screen('/admin/', /^overview$/i);
            await this.ui.page.getByLabel('Business', { exact: true }).waitFor();
          },
        },
        {
          name: 'businesses',
          list: true,
          show: () => this.screen('/admin/platform/businesses', /^businesses$/i),
        },
        {
          name: 'platform admins',
          list: true,
          show: () => this.screen('/admin/platform/admins', /^platform admins$/i),
        },
        {
          name: 'all tokens',
          list: true,
          show: () => this.screen('/admin/platform/tokens', /^all tokens$/i),
        },
        {
          name: 'the revoke-by-value dialog',
          show: async () => {
            await this.screen('/admin/platform/tokens', /^all tokens$/i);
            await this.openDialog('Revoke by value');
          },
        },
        {
          name: 'platform audit log',
          list: true,
          show: () => this.screen('/admin/platform/audit', /^platform audit log$/i),
        },
      ],
    };
    const more = moreViews.flatMap((views) => views(this, this.world, who));
    return [...all[who](), ...more];
  }
}
