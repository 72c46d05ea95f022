import { hasChromium } from '../../harness/browser/swagger-ui';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';
import { Dataset, seedDataset } from '../console-dataset';
import { walkViews } from '../console-walk';
import { waitFor } from '../../harness/patience';

if (hasChromium()) {
  /**
   * One meaning of "requests" across the console, on a realistic business whose busiest token
   * made 30 of the API's requests and 1 of the console's: the Overview's usage card and the
   * chart beside it count the API's requests alike and say the console's apart; Analytics shows
   * the API's verifications by default, and the console's own (this browsing among them) on a
   * toggle, each view saying which it counts. Browsing the console moves none of the API's
   * numbers.
   */
  describe('the admin console’s counts of requests', () => {
    const consoleApp = useConsoleApp('console-counts');
    let data: Dataset;

    beforeAll(async () => {
      data = await seedDataset(consoleApp.client, consoleApp.app.platformToken!);
      // The dataset waited for its usage; verification counts are written every five seconds.
      await new Promise((r) => setTimeout(r, 5_500));
    }, TIMEOUT_MS);

    /** Waits until `read` answers what `ok` accepts, and answers it. */
    async function until(read: () => Promise<string>, ok: RegExp): Promise<string> {
      let last = '';
      await waitFor(
        () => `${String(ok)}: last "${last}"`,
        async () => ok.test((last = await read())),
      );
      return last;
    }

    it(
      'the Overview’s usage card and its chart count the API’s requests alike, the console’s apart',
      async () => {
        const { ui } = consoleApp;
        const page = ui.page;
        await ui.signIn(data.owner.ownerToken);
        const usage = page.getByRole('region', { name: 'Usage' });
        await ui.step('counts-overview', async () => {
          const day = usage
            .locator('dl.facts > div')
            .filter({ has: page.getByRole('term').getByText('Last 24 hours', { exact: true }) })
            .getByRole('definition');
          await until(
            () => day.innerText(),
            /^\d+ API requests · the console’s own \d+ apart · \d+ refused \(4xx\)/,
          );
          const caption = usage.locator('figcaption');
          await expect(caption.innerText()).resolves.toContain(
            '30 API requests, at most 30 in an hour (the console’s own 1 apart)',
          );
          await page.locator('label.segment', { hasText: 'Console’s own' }).first().click();
          await expect(caption.innerText()).resolves.toContain(
            '1 console requests, at most 1 in an hour (the API’s 30 apart)',
          );
        });
        await ui.signOut();
      },
      TIMEOUT_MS,
    );

    it(
      'Analytics counts the API’s verifications by default, says so, and the console’s own on a toggle',
      async () => {
        const { ui } = consoleApp;
        const page = ui.page;
        await ui.signIn(data.owner.ownerToken);
        const top = () =>
          page
            .getByRole('region', { name: 'Top tokens' })
            .getByRole('row')
            .filter({ hasText: data.ownTokenName });
        await ui.step('counts-analytics', async () => {
          await ui.go('Analytics', /^analytics$/i);
          await page.locator('label.segment', { hasText: '1 hour' }).click();
          await page.getByRole('heading', { level: 2, name: /: api calls$/i }).waitFor();
          await page.getByRole('note').filter({ hasText: 'The API’s calls' }).waitFor();
          await until(() => top().innerText(), /\b30\b/);
          // Browsing more moves none of the API's counts.
          await page.reload();
          await page.locator('label.segment', { hasText: '1 hour' }).click();
          await until(() => top().innerText(), /\b30\b/);

          await page.locator('label.segment', { hasText: 'Console’s own' }).click();
          await page.getByRole('heading', { level: 2, name: /: console’s own$/i }).waitFor();
          await page
            .getByRole('note')
            .filter({ hasText: 'The console’s own calls alone' })
            .waitFor();
          await until(() => top().innerText(), /\b1\b/);
        });
        // The toggle's view is checked as every screen is: axe, nothing cut, at both widths.
        const failures = await walkViews(ui, 'owner', [
          {
            name: 'analytics, the console’s own',
            show: async () => {
              await ui.open('/admin/analytics');
              await page.locator('label.segment', { hasText: 'Console’s own' }).click();
              await page.getByRole('heading', { level: 2, name: /: console’s own$/i }).waitFor();
              await ui.settled();
            },
          },
          {
            name: 'overview',
            show: async () => {
              await ui.open('/admin/');
              await page.getByRole('region', { name: 'Usage' }).locator('figcaption').waitFor();
            },
          },
        ]);
        expect(failures).toEqual([]);
        await ui.signOut();
      },
      TIMEOUT_MS,
    );
  });
}
