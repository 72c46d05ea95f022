import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/app-process';
import { PHONE } from '../../harness/browser/console-ui';
import { scoped } from '../../harness/latchkey-client';
import { hasChromium, VIEWPORT } from '../../harness/browser/swagger-ui';
import { CONSOLE_TIMEOUT_MS as TIMEOUT_MS, useConsoleApp } from '../console-app';

interface Envelope<T> {
  data: T;
}

/** An owner's navigation, each link and the heading its screen opens on. */
const NAV: [string, RegExp][] = [
  ['Overview', /^overview$/i],
  ['Tokens', /^tokens$/i],
  ['Usage', /^usage$/i],
  ['Token policy', /^token policy$/i],
  ['Members', /^members$/i],
  ['Machines', /^machine identities$/i],
  ['Webhooks', /^webhooks$/i],
  ['Streams', /^streams$/i],
  ['Audit log', /^audit log$/i],
];

/** The main actions, where each is, and the icon each must wear. */
const ACTIONS: [path: string, heading: RegExp, button: string][] = [
  ['/admin/tokens', /^tokens$/i, 'New token'],
  ['/admin/tokens', /^tokens$/i, 'Revoke'],
  ['/admin/tokens', /^tokens$/i, 'Rotate'],
  ['/admin/members', /^members$/i, 'Add member'],
  ['/admin/machines', /^machine identities$/i, 'New machine identity'],
  ['/admin/webhooks', /^webhooks$/i, 'New endpoint'],
  ['/admin/audit', /^audit log$/i, 'Verify chain'],
  ['/admin/audit', /^audit log$/i, 'Export NDJSON'],
  ['/admin/audit', /^audit log$/i, 'Sign out'],
];

/** Every source file of the console, as [path, text]. */
function consoleSources(dir = join(REPO_ROOT, 'console', 'src')): [string, string][] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return consoleSources(path);
    return /\.tsx?$/.test(name) ? [[path, readFileSync(path, 'utf8')] as [string, string]] : [];
  });
}

if (hasChromium()) {
  /**
   * The console on a phone and in its forms, in headless Chromium against the built app: the
   * navigation behind a menu button at 390 px; a 422's summary in view in a tall dialog; the
   * new-token form refusing the days its hint refuses; every typed time in UTC; the Streams URL
   * hint saying what the server takes; and an icon on each main action. Any CSP violation fails.
   */
  describe('the admin console on a phone and in its forms', () => {
    const consoleApp = useConsoleApp('console-phone-forms');
    const page = () => consoleApp.browser.page;
    const ui = () => consoleApp.ui;
    const api = <T>(method: string, path: string, body?: object) =>
      consoleApp.client.request<Envelope<T>>(method, path, {
        headers: scoped(consoleApp.owner.ownerToken, consoleApp.owner.businessId),
        ...(body ? { body } : {}),
      });
    const menu = () => ui().button('Menu');
    const expanded = () => menu().getAttribute('aria-expanded');

    afterEach(async () => {
      await page().setViewportSize(VIEWPORT);
    });

    it(
      'at 390 px the navigation is behind Menu: it opens, shows every link whole, follows one, and Escape closes it',
      async () => {
        await ui().signIn(consoleApp.owner.ownerToken);
        await page().setViewportSize(PHONE);
        // Hidden until opened, so found by the id the button names, not by its role.
        const controls = await menu().getAttribute('aria-controls');
        await expect(
          page().locator(`nav[id="${controls}"][aria-label="Main"]`).count(),
        ).resolves.toBe(1);
        await expect(expanded()).resolves.toBe('false');
        await expect(ui().nav('Tokens').isVisible()).resolves.toBe(false);

        await menu().click();
        await expect(expanded()).resolves.toBe('true');
        // The focus moves into the menu, on its current link.
        await expect(ui().isFocused(ui().nav('Overview'))).resolves.toBe(true);
        await page().keyboard.press('Escape');
        await expect(expanded()).resolves.toBe('false');
        await expect(ui().isFocused(menu())).resolves.toBe(true);
        await expect(ui().nav('Tokens').isVisible()).resolves.toBe(false);

        const failures: string[] = [];
        for (const [label, heading] of NAV) {
          await menu().click();
          const link = ui().nav(label);
          const box = await link.boundingBox();
          if (!box || box.x < 0 || box.x + box.width > PHONE.width || box.width < 100) {
            failures.push(`${label}: not wholly shown (${JSON.stringify(box)})`);
          }
          await link.click();
          await page().getByRole('heading', { level: 1, name: heading }).waitFor();
          if ((await expanded()) !== 'false') failures.push(`${label}: the menu stayed open`);
          const focused = await page().evaluate<string | null>('document.activeElement?.id');
          if (focused !== 'main') failures.push(`${label}: the focus is on ${focused}, not main`);
        }
        expect(failures).toEqual([]);

        await page().setViewportSize(VIEWPORT);
        await expect(menu().isVisible()).resolves.toBe(false);
        await expect(ui().nav('Tokens').isVisible()).resolves.toBe(true);
      },
      TIMEOUT_MS,
    );

    it(
      'a 422 in a tall dialog, submitted from its first field, has its summary in view and focused',
      async () => {
        await page().setViewportSize({ width: 1280, height: 480 });
        await ui().signIn(consoleApp.owner.ownerToken);
        await ui().go('Tokens', /^tokens$/i);
        await ui().button('New token').click();
        const dialog = page().getByRole('dialog');
        await dialog.getByLabel('Scopes', { exact: true }).fill('NOT A SCOPE!');
        await dialog.getByLabel('Name', { exact: true }).fill('tall-dialog');
        await page().keyboard.press('Enter');
        const alert = dialog.getByRole('alert');
        await alert.waitFor();
        const [box, frame] = await Promise.all([alert.boundingBox(), dialog.boundingBox()]);
        expect(box!.y).toBeGreaterThanOrEqual(frame!.y);
        expect(box!.y + Math.min(box!.height, 40)).toBeLessThanOrEqual(frame!.y + frame!.height);
        await expect(
          alert.evaluate(
            (el: { closest(s: string): unknown; ownerDocument: { activeElement: unknown } }) =>
              el.closest('[tabindex="-1"]') === el.ownerDocument.activeElement,
          ),
        ).resolves.toBe(true);
      },
      TIMEOUT_MS,
    );

    it.each(['0', '7', '30', '-1'])(
      'the new-token form refuses %s days, beyond its hint (1 to 6 for a first token), before sending it',
      async (days) => {
        await ui().signIn(consoleApp.owner.ownerToken);
        await ui().go('Tokens', /^tokens$/i);
        await ui().button('New token').click();
        const dialog = page().getByRole('dialog');
        const field = dialog.getByLabel('Expires in (days)', { exact: true });
        const hint = await field.getAttribute('aria-describedby');
        await expect(page().locator(`[id="${hint}"]`).innerText()).resolves.toMatch(/^1 to 6:/);
        const name = `refused-${days}-days`;
        await dialog.getByLabel('Name', { exact: true }).fill(name);
        await field.fill(days);
        await ui().button('Create token').click();
        await expect(
          field.evaluate((el: { matches(s: string): boolean }) => el.matches(':invalid')),
        ).resolves.toBe(true);
        await expect(dialog.isVisible()).resolves.toBe(true);
        const list = await api<{ items: unknown[] }>('GET', `/api/v1/tokens?name=${name}`);
        expect(list.body.data.items).toEqual([]);
      },
      TIMEOUT_MS,
    );

    it(
      'the edit dialog shows and saves a token’s expiry in UTC, whatever the browser’s zone',
      async () => {
        const made = await consoleApp.client.createToken(consoleApp.owner, 'utc-expiry', {
          expires_in_days: 5,
        });
        const cdp = await page().context().newCDPSession(page());
        await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Pacific/Auckland' });
        try {
          await ui().signIn(consoleApp.owner.ownerToken);
          await ui().open(`/admin/tokens/${made.id}`);
          await ui().button('Edit').click();
          const field = page().getByRole('dialog').getByLabel('Expires (UTC)', { exact: true });
          const token = await api<{ expires_at: string }>('GET', `/api/v1/tokens/${made.id}`);
          await expect(field.inputValue()).resolves.toBe(token.body.data.expires_at.slice(0, 16));
          const sooner = new Date(Date.parse(token.body.data.expires_at) - 86_400_000);
          const typed = `${sooner.toISOString().slice(0, 11)}12:00`;
          await field.fill(typed);
          await ui().button('Save changes').click();
          await page().getByRole('dialog').waitFor({ state: 'detached' });
          const saved = await api<{ expires_at: string }>('GET', `/api/v1/tokens/${made.id}`);
          expect(saved.body.data.expires_at).toBe(`${typed}:00.000Z`);
        } finally {
          await cdp.send('Emulation.setTimezoneOverride', { timezoneId: '' });
          await cdp.detach();
        }
      },
      TIMEOUT_MS,
    );

    it('every datetime field of the console is the UTC one, and nothing formats in the local zone', () => {
      const found = consoleSources().flatMap(([path, text]) => {
        const where = path.slice(REPO_ROOT.length + 1);
        const out: string[] = [];
        if (/toLocale\w*String|DateTimeFormat|getHours|getDate\(/.test(text))
          out.push(`${where}: local time`);
        if (text.includes('datetime-local') && !where.endsWith('ui/forms/UtcDateTime.tsx')) {
          out.push(`${where}: a datetime-local of its own`);
        }
        return out;
      });
      expect(found).toEqual([]);
    });

    it(
      'the Streams URL hint says what the server takes: http and private addresses where the installation allows them',
      async () => {
        await ui().signIn(consoleApp.owner.ownerToken);
        await ui().go('Streams', /^streams$/i);
        await ui().button('New stream').click();
        const url = page().getByRole('dialog').getByLabel('Endpoint URL', { exact: true });
        const hint = await url.getAttribute('aria-describedby');
        const text = await page()
          .locator(`[id="${hint?.split(' ').pop()}"]`)
          .innerText();
        expect(text).toContain('WEBHOOK_ALLOW_HTTP');
        expect(text).toContain('WEBHOOK_ALLOW_PRIVATE');
        expect(text).not.toMatch(/https only/i);
      },
      TIMEOUT_MS,
    );

    it(
      'each main action wears an inline icon, hidden from assistive technology and in the text’s colour',
      async () => {
        await consoleApp.client.createToken(consoleApp.owner, 'icon-row');
        await ui().signIn(consoleApp.owner.ownerToken);
        const failures: string[] = [];
        for (const [path, heading, name] of ACTIONS) {
          await ui().open(path);
          await page().getByRole('heading', { level: 1, name: heading }).waitFor();
          // A row's action appears once the list has loaded: wait for it before counting.
          await ui().button(name).first().waitFor();
          const icon = ui().button(name).first().locator('svg');
          if ((await icon.count()) !== 1) {
            failures.push(`${name}: no icon`);
            continue;
          }
          const [hidden, stroke] = await Promise.all([
            icon.getAttribute('aria-hidden'),
            icon.getAttribute('stroke'),
          ]);
          if (hidden !== 'true' || stroke !== 'currentColor') {
            failures.push(`${name}: aria-hidden=${hidden}, stroke=${stroke}`);
          }
        }
        await page().setViewportSize(PHONE);
        if ((await menu().locator('svg[aria-hidden="true"]').count()) !== 1) {
          failures.push('Menu: no icon');
        }
        expect(failures).toEqual([]);
      },
      TIMEOUT_MS,
    );
  });
} else {
  describe('the admin console on a phone and in its forms', () => {
    it.todo('runs when /usr/bin/chromium is installed (bash .ci/run installs it)');
  });
}
