/**
 * The admin console (/admin) driven as a person uses it, in headless Chromium through
 * playwright-core: test/console.e2e-spec.ts checks these steps, and scripts/console-screenshots.ts
 * photographs the screens they reach, so docs/console/ shows what the tests prove works.
 */
import type { Locator, Page } from 'playwright-core';
import { launchChromium } from './swagger-ui';

/** The screens a business owner reaches from the navigation, by link name and path. */
export const BUSINESS_SCREENS = [
  { link: 'Tokens', path: '/admin/tokens', heading: /tokens/i },
  { link: 'Members', path: '/admin/members', heading: /members/i },
  { link: 'Machines', path: '/admin/machines', heading: /machine/i },
  { link: 'Webhooks', path: '/admin/webhooks', heading: /webhooks/i },
  { link: 'Audit log', path: '/admin/audit', heading: /audit/i },
] as const;

/** The screens only a platform token reaches. */
export const PLATFORM_SCREENS = [
  { link: 'Businesses', path: '/admin/platform/businesses', heading: /businesses/i },
  { link: 'Platform admins', path: '/admin/platform/admins', heading: /admins/i },
  { link: 'All tokens', path: '/admin/platform/tokens', heading: /tokens/i },
  { link: 'Platform audit', path: '/admin/platform/audit', heading: /audit/i },
] as const;

/** A phone's width: the console must not scroll sideways at it. */
export const PHONE = { width: 390, height: 844 } as const;

/**
 * Installed before any of the page's scripts, on every navigation: reports each Content Security
 * Policy violation on the console, where watchCsp hears it.
 */
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('[csp] ' + e.effectiveDirective + ' refused ' + (e.blockedURI || 'inline') +
    ' at ' + (e.sourceFile || e.documentURI) + ':' + e.lineNumber);
}, true);`;

/**
 * Collects every Content Security Policy violation on the page from now on: those the page's
 * listener reports, and Chromium's own "Refused to …" console errors. The caller empties the
 * list it gets after each test, and fails if anything was in it.
 */
export async function watchCsp(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.addInitScript(CSP_LISTENER);
  page.on('console', (message) => {
    const text = message.text();
    if (text.startsWith('[csp] ') || /Content Security Policy/i.test(text)) seen.push(text);
  });
  return seen;
}

export class ConsoleUi {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {}

  async open(path = '/admin/'): Promise<void> {
    await this.page.goto(`${this.baseUrl}${path}`);
  }

  /** Signs in by pasting a token, as a person does, and waits for the signed-in navigation. */
  async signIn(token: string): Promise<void> {
    await this.open();
    await this.page.getByLabel('Token', { exact: true }).fill(token);
    await this.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await this.page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await this.page.getByLabel('Token', { exact: true }).waitFor();
  }

  nav(name: string): Locator {
    return this.page.getByRole('navigation').getByRole('link', { name, exact: true });
  }

  /** Follows a navigation link and waits for the screen's heading. */
  async go(link: string, heading: RegExp): Promise<void> {
    await this.nav(link).click();
    await this.page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  button(name: string): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  /** The error box that shows the API's message and request id. */
  alert(): Locator {
    return this.page.getByRole('alert').first();
  }

  /** Waits until nothing on the page says it is loading. */
  async settled(): Promise<void> {
    await this.page
      .getByRole('status')
      .filter({ hasText: /loading/i })
      .first()
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => undefined);
  }

  /** Whether the page scrolls sideways (its content wider than the window). */
  scrollsSideways(): Promise<boolean> {
    // Strings, not functions: this file is compiled without the DOM's types.
    return this.page.evaluate<boolean>(
      'document.documentElement.scrollWidth > document.documentElement.clientWidth',
    );
  }

  /**
   * The interactive elements a keyboard cannot reach: visible buttons, links, inputs, selects
   * and text areas that are taken out of the tab order, each as the start of its HTML.
   */
  unreachableByKeyboard(): Promise<string[]> {
    return this.page.evaluate<string[]>(`
      Array.from(document.querySelectorAll('button, a[href], input, select, textarea'))
        .filter((el) => el.offsetParent !== null && !el.disabled && el.tabIndex < 0)
        .map((el) => el.outerHTML.slice(0, 120))
    `);
  }

  /** The text of the focused element. */
  focusedText(): Promise<string> {
    return this.page.evaluate<string>("(document.activeElement?.textContent ?? '').trim()");
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path, fullPage: true });
  }
}

/** Chromium open on the console: its driver, and the CSP violations heard since last emptied. */
export interface ConsoleBrowser {
  ui: ConsoleUi;
  page: Page;
  /** Every CSP violation so far; a test empties it (`splice(0)`) and expects nothing. */
  cspViolations: string[];
  close(): Promise<void>;
}

/**
 * Launches headless Chromium for the console at `baseUrl`: the clipboard readable and writable
 * for that origin (Copy is tested by reading it back), and every CSP violation collected.
 */
export async function openConsole(baseUrl: string): Promise<ConsoleBrowser> {
  const browser = await launchChromium();
  try {
    const { page } = browser;
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    const cspViolations = await watchCsp(page);
    return { ui: new ConsoleUi(page, baseUrl), page, cspViolations, close: browser.close };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
