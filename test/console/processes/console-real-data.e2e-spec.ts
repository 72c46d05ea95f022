import { hasChromium } from '../../harness/browser/swagger-ui';
import { ConsoleUi, openConsole } from '../../harness/browser/console-ui';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';
import { Dataset, seedDataset } from '../console-dataset';
import type { View } from '../console-views';
import { walkViews } from '../console-walk';

/** Every walk shows and checks each list twice (1280 and 390 px), a Tab walk included. */
const WALK_TIMEOUT_MS = 400_000;

if (hasChromium()) {
  /**
   * The list screens on a business filled as teams fill it (console-dataset.ts): long emails and
   * business names, machine holders, tokens bound to a key, and every action a row can offer.
   * At 1280 and 390 px, axe finds nothing serious, no table outgrows its frame, no header, cell
   * or button is cut (a Rotate beyond the frame, a header read "Actio"), and nothing scrolls
   * sideways on a phone.
   */
  describe('the admin console’s lists on a realistic business', () => {
    const consoleApp = useConsoleApp('console-real-data');
    let data: Dataset;

    beforeAll(async () => {
      data = await seedDataset(consoleApp.client, consoleApp.app.platformToken!);
    }, TIMEOUT_MS);

    /** A list screen, loaded in `ui`: its heading, then its table. */
    const list = (ui: ConsoleUi, name: string, path: string, heading: RegExp): View => ({
      name,
      list: true,
      show: async () => {
        await ui.open(path);
        await ui.page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await ui.settled();
        await ui.page.locator('main table').first().waitFor();
      },
    });

    /** Walks the views `views` makes, signed in with `token`, in a Chromium of its own. */
    async function walk(
      token: string,
      who: 'owner' | 'platform admin',
      views: (ui: ConsoleUi) => View[],
    ): Promise<string[]> {
      const opened = await openConsole(consoleApp.app.url);
      try {
        await opened.ui.signIn(token);
        const failures = await walkViews(opened.ui, who, views(opened.ui));
        return [...failures, ...opened.cspViolations];
      } finally {
        await opened.close();
      }
    }

    it(
      'an owner’s Tokens, Members, Machines, Requests and Usage: nothing cut, at 1280 and 390 px',
      async () => {
        const failures = await walk(data.owner.ownerToken, 'owner', (ui) => [
          list(ui, 'tokens', '/admin/tokens', /^tokens$/i),
          list(ui, 'members', '/admin/members', /^members$/i),
          list(ui, 'machines', '/admin/machines', /^machine identities$/i),
          list(ui, 'requests', '/admin/requests', /^requests$/i),
          list(ui, 'usage', '/admin/usage', /^usage$/i),
          {
            name: 'a new token’s dialog, with the scopes in use to pick',
            show: async () => {
              await list(ui, 'tokens', '/admin/tokens', /^tokens$/i).show();
              await ui.page.getByRole('button', { name: 'New token', exact: true }).click();
              await ui.page
                .getByRole('group', { name: 'Scopes in use in this business' })
                .waitFor();
            },
          },
          {
            name: 'a request’s approve dialog',
            show: async () => {
              await list(ui, 'requests', '/admin/requests', /^requests$/i).show();
              await ui.page
                .getByRole('row')
                .filter({ hasText: data.requestName })
                .getByRole('button', { name: 'Approve', exact: true })
                .click();
              await ui.page.getByRole('region', { name: 'Against the token policy' }).waitFor();
            },
          },
        ]);
        expect(failures).toEqual([]);
      },
      WALK_TIMEOUT_MS,
    );

    it(
      'a new token offers the scopes the business uses, and a click adds one to those typed',
      async () => {
        const opened = await openConsole(consoleApp.app.url);
        try {
          const { ui } = opened;
          await ui.signIn(data.owner.ownerToken);
          await ui.open('/admin/tokens');
          await ui.page.getByRole('button', { name: 'New token', exact: true }).click();
          const picker = ui.page.getByRole('group', { name: 'Scopes in use in this business' });
          // From the tokens it holds, and from the policy: the scopes that need an approver.
          for (const scope of ['payments.settlements:read', 'orders:read', 'deploy:*']) {
            await picker.getByRole('button', { name: `Add scope ${scope}` }).waitFor();
          }
          const field = ui.page.getByLabel('Scopes', { exact: true });
          await field.fill('billing:new');
          await picker.getByRole('button', { name: 'Add scope orders:read' }).click();
          await expect(field.inputValue()).resolves.toBe('billing:new, orders:read');
          await expect(
            picker.getByRole('button', { name: 'Add scope orders:read' }).count(),
          ).resolves.toBe(0);
        } finally {
          await opened.close();
        }
      },
      TIMEOUT_MS,
    );

    it(
      'a token’s page: every fact, its status list’s included, lines up with the rest',
      async () => {
        const opened = await openConsole(consoleApp.app.url);
        try {
          const { ui } = opened;
          await ui.signIn(data.owner.ownerToken);
          await ui.open(`/admin/tokens/${data.ownTokenId}`);
          await ui.page.getByText('Status list', { exact: true }).waitFor();
          await ui.settled();
          const lefts = await ui.page.$$eval('main dl.facts > div', (rows) =>
            rows.map((row) => ({
              dt: Math.round(row.querySelector('dt')!.getBoundingClientRect().left),
              dd: Math.round(row.querySelector('dd')!.getBoundingClientRect().left),
            })),
          );
          expect(lefts.length).toBeGreaterThan(5);
          expect(new Set(lefts.map((l) => l.dt)).size).toBe(1);
          expect(new Set(lefts.map((l) => l.dd)).size).toBe(1);
        } finally {
          await opened.close();
        }
      },
      TIMEOUT_MS,
    );

    it(
      'a platform admin’s All tokens and Businesses: nothing cut, at 1280 and 390 px',
      async () => {
        const failures = await walk(consoleApp.app.platformToken!, 'platform admin', (ui) => [
          list(ui, 'all tokens', '/admin/platform/tokens', /^all tokens$/i),
          list(ui, 'businesses', '/admin/platform/businesses', /^businesses$/i),
        ]);
        expect(failures).toEqual([]);
      },
      WALK_TIMEOUT_MS,
    );
  });
}
