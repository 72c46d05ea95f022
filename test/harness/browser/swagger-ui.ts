/**
 * Swagger UI (/docs) driven as a person uses it, in the system's headless Chromium, through
 * playwright-core (which downloads no browser). test/console/processes/swagger-ui.e2e-spec.ts checks these steps and
 * scripts/screenshots.ts (`npm run docs:screenshots`) photographs them, so the pictures in docs/
 * show exactly what the test proves works.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { keptByWorker } from '../worker-kept';
import { PATIENCE_MS } from '../patience';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it when it is missing. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Debian's build of Chromium's headless shell (`apt-get install chromium-headless-shell`), the
 * browser Playwright itself runs headless: the same Blink and V8 without the desktop browser
 * around them. The browser suites spent 42% less of Chromium's CPU in it than in
 * `chromium --headless` (docs/testing.md), so it drives the pages wherever it is installed, as
 * `.ci/run` installs it.
 */
export const HEADLESS_SHELL_PATH = '/usr/bin/chromium-headless-shell';

/** The browser the suites and the screenshot scripts drive: the headless shell, else Chromium. */
export function browserPath(): string {
  return existsSync(HEADLESS_SHELL_PATH) ? HEADLESS_SHELL_PATH : CHROMIUM_PATH;
}

export function hasChromium(): boolean {
  return existsSync(browserPath());
}

/**
 * Without the networking flags Chromium stalls on a closed network, waiting for component
 * updates, sync and field trials that never answer. The sandbox needs user namespaces, which
 * containers rarely give.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Small enough for committed screenshots, wide enough that Swagger UI does not wrap. */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/** A browser step waits as long as the tests do: two shared cores may be busy with other work. */
const STEP_TIMEOUT_MS = PATIENCE_MS;

export interface ChromiumSession {
  page: Page;
  /** Closes the session's context, and its browser unless the worker keeps it. */
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh context (no cookies, storage or permissions of another
 * session): on the worker's kept browser under jest, on one of its own elsewhere.
 */
export async function launchChromium(): Promise<ChromiumSession> {
  // Loaded here, not at the top, so test/setup can ask hasChromium() without loading a browser driver.
  const { chromium } = await import('playwright-core');
  const launch = () =>
    chromium.launch({
      executablePath: browserPath(),
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
  // The worker's one Chromium, kept for the suites after this one (about 1.5 s of CPU and 3 s
  // saved per suite); each suite opens a context of its own.
  const shared = await keptByWorker(
    'chromium',
    launch,
    (b) => b.close(),
    (b) => b.isConnected(),
  );
  const browser = shared ?? (await launch());
  let context: BrowserContext;
  try {
    context = await browser.newContext({ viewport: VIEWPORT });
  } catch (e) {
    if (!shared) await browser.close().catch(() => undefined);
    throw e;
  }
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  return {
    page,
    close: async () => {
      await context.close().catch(() => undefined);
      if (!shared) await browser.close().catch(() => undefined);
    },
  };
}

/** What Swagger UI shows under "Server response" once a request came back. */
export interface LiveResponse {
  status: number;
  /** The response body as displayed (Swagger UI pretty-prints JSON with two spaces). */
  body: string;
}

export interface TryItOutInput {
  /** Path parameters by name, e.g. `{ token_id: '…' }`. */
  path?: Record<string, string>;
  /** The request body, written as JSON into the body editor in place of the example. */
  body?: unknown;
}

/** The one DOM method used in the page, typed here because tsconfig leaves out the DOM library. */
interface ScrollableElement {
  scrollIntoView(options: { block: 'start' | 'center' | 'end' | 'nearest' }): void;
}

/** Opblock ids are `operations-<tag>-<operationId>`, both as in /docs-json. */
export function opblockSelector(tag: string, operationId: string): string {
  return `#operations-${tag}-${operationId}`;
}

/** The steps a person takes in Swagger UI, each waiting for what it needs on screen. */
export class SwaggerUi {
  constructor(readonly page: Page) {}

  /** Opens /docs and waits until the operations are rendered. */
  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/docs`, { waitUntil: 'domcontentloaded' });
    await this.page.locator('.opblock').first().waitFor();
  }

  /**
   * Opens the Authorize dialog and applies the bearer token and the `business-id` key, each in
   * its own form. Leaves the dialog open (for a screenshot); answers the schemes it shows as
   * authorized.
   */
  async authorize(credentials: { bearer: string; businessId: string }): Promise<string[]> {
    await this.page.locator('.auth-wrapper button.authorize').click();
    const dialog = this.page.locator('.modal-ux');
    await dialog.waitFor();
    await this.applyCredential('bearer', credentials.bearer);
    await this.applyCredential('business-id', credentials.businessId);
    const authorized = dialog
      .locator('.auth-container')
      .filter({ has: this.page.locator('h6', { hasText: /^Authorized$/ }) })
      .locator('h4 code');
    return authorized.allTextContents();
  }

  /** Closes the Authorize dialog; answers whether the top button now shows a closed lock. */
  async closeDialog(): Promise<boolean> {
    await this.page.locator('.modal-ux .btn-done').first().click();
    await this.page.locator('.modal-ux').waitFor({ state: 'detached' });
    return this.page.locator('.auth-wrapper button.authorize.locked').isVisible();
  }

  /** Expands an operation, clicks "Try it out", fills it in, clicks "Execute", reads the answer. */
  async tryItOut(opblock: string, input: TryItOutInput = {}): Promise<LiveResponse> {
    const op = this.operation(opblock);
    await op.scrollIntoViewIfNeeded();
    if (!((await op.getAttribute('class')) ?? '').split(/\s+/).includes('is-open')) {
      await op.locator('.opblock-summary-control').click();
    }
    await op.locator('.try-out__btn').click();
    for (const [name, value] of Object.entries(input.path ?? {})) {
      await op.locator(`tr[data-param-name="${name}"][data-param-in="path"] input`).fill(value);
    }
    if (input.body !== undefined) {
      await op.locator('textarea.body-param__text').fill(JSON.stringify(input.body, null, 2));
    }
    await op.locator('button.execute').click();
    const row = op.locator('.live-responses-table tbody tr.response').first();
    const status = row.locator('.response-col_status');
    await status.waitFor();
    const body = row
      .locator('.response-col_description > div')
      .filter({ has: this.page.locator('h5', { hasText: /^Response body$/ }) })
      .locator('pre')
      .first();
    return {
      status: Number((await status.innerText()).trim()),
      body: (await body.count()) > 0 ? await body.innerText() : '',
    };
  }

  /**
   * Scrolls an operation's request URL (the route, with its path filled in) to the top of the
   * window, so that a screenshot shows it above the live response, and the curl line (which
   * holds the bearer token) out of view.
   */
  async showResponse(opblock: string): Promise<void> {
    await this.operation(opblock)
      .locator('.responses-inner h4', { hasText: /^Request URL$/ })
      // Typed by hand: this project compiles without the DOM library.
      .evaluate((el: ScrollableElement) => el.scrollIntoView({ block: 'start' }));
  }

  /** A PNG of the window as it is (the viewport, not the whole page). */
  async screenshot(path: string): Promise<void> {
    mkdirSync(dirname(path), { recursive: true });
    await this.page.screenshot({ path, animations: 'disabled' });
  }

  private operation(opblock: string): Locator {
    return this.page.locator(opblock);
  }

  private async applyCredential(scheme: string, value: string): Promise<void> {
    const form = this.page
      .locator('.modal-ux .auth-container')
      .filter({ has: this.page.locator('h4 code', { hasText: new RegExp(`^${scheme}$`) }) });
    await form.locator('input').fill(value);
    await form.locator('button.authorize').click();
    await form.locator('button', { hasText: /^Logout$/ }).waitFor();
  }
}
