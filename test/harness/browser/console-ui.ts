/**
 * The admin console (/admin) driven as a person uses it, in headless Chromium through
 * playwright-core: test/console/processes/console.e2e-spec.ts and test/console/processes/console-screens.e2e-spec.ts check these
 * steps, and scripts/console-screenshots.ts photographs the screens they reach, so docs/console/
 * shows what the tests prove works.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT } from '../app-process';
import { PATIENCE_MS } from '../patience';
import { launchChromium } from './swagger-ui';

/** Ignored by git: what the browser showed where a step failed. */
const FAILED_SHOTS = join(REPO_ROOT, 'test-results', 'console');

/** A phone's width: the console must not scroll sideways at it. */
export const PHONE = { width: 390, height: 844 } as const;

/** The one DOM property tabTo reads, typed here because tsconfig leaves out the DOM library. */
interface FocusableElement {
  ownerDocument: { activeElement: unknown };
}

/** What a keyboard user must be able to reach, besides anything shown with a pointer cursor. */
const CONTROLS =
  'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], ' +
  '[role=link], [role=checkbox], [role=switch], [role=tab], [role=menuitem], [contenteditable=true]';

/**
 * Marks the visible, enabled controls (in the open modal dialog, if one is), starts recording
 * what gets the focus, and answers how many Tab presses may be spent walking to them: twice the
 * stops the focusable elements make, a date or time field making one per part.
 */
const MARK_CONTROLS = `(() => {
  const scope = document.querySelector('dialog[open]') ?? document.body;
  const shown = (el) =>
    el.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
    el.getClientRects().length > 0 && !el.closest('[inert]');
  const controls = [...scope.querySelectorAll(${JSON.stringify(CONTROLS)})].filter(
    (el) => shown(el) && !el.matches(':disabled') && el.getAttribute('aria-disabled') !== 'true',
  );
  const pointer = (el) => el && getComputedStyle(el).cursor === 'pointer';
  for (const el of scope.querySelectorAll('*')) {
    if (!pointer(el) || pointer(el.parentElement) || !shown(el)) continue;
    if (el.closest(${JSON.stringify(CONTROLS)}) || el.querySelector(${JSON.stringify(CONTROLS)})) continue;
    if (el.tagName === 'LABEL' && el.control) continue;
    controls.push(el);
  }
  document.querySelectorAll('[data-kb]').forEach((el) => el.removeAttribute('data-kb'));
  controls.forEach((el, i) => el.setAttribute('data-kb', String(i)));
  const walk = { reached: new Set(), first: null, moves: 0, cycled: false, total: controls.length };
  walk.onFocus = (e) => {
    const el = e.target;
    walk.moves += 1;
    if (walk.first === el && walk.moves > 1) walk.cycled = true;
    walk.first ??= el;
    const id = el.getAttribute?.('data-kb');
    if (id !== null && id !== undefined) walk.reached.add(id);
  };
  document.removeEventListener('focusin', window.__tabWalk?.onFocus, true);
  document.addEventListener('focusin', walk.onFocus, true);
  window.__tabWalk = walk;
  let stops = 0;
  for (const el of scope.querySelectorAll('*')) {
    if (el.tabIndex < 0 || !shown(el)) continue;
    stops += /^(date|time|datetime-local|month|week)$/.test(el.type ?? '') ? 8 : 1;
  }
  return controls.length === 0 ? 0 : Math.min(2 * stops + 10, 800);
})()`;

/** Whether the walk has reached every control, or come round to where it started. */
const WALK_DONE =
  '(() => { const w = window.__tabWalk; return w.reached.size === w.total || w.cycled; })()';

/** The marked controls the walk never reached; stops recording and removes the marks. */
const UNREACHED = `(() => {
  const walk = window.__tabWalk;
  document.removeEventListener('focusin', walk.onFocus, true);
  const missed = [...document.querySelectorAll('[data-kb]')]
    .filter((el) => !walk.reached.has(el.getAttribute('data-kb')))
    .map((el) => el.outerHTML.replace(/ data-kb="\\d+"/, '').slice(0, 160));
  document.querySelectorAll('[data-kb]').forEach((el) => el.removeAttribute('data-kb'));
  return missed;
})()`;

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
      .waitFor({ state: 'detached', timeout: PATIENCE_MS })
      .catch(() => undefined);
  }

  /**
   * Whether what is shown scrolls sideways: the page wider than the window, or an open dialog
   * wider than the window or than itself. A table scrolling inside its own region is allowed.
   */
  scrollsSideways(): Promise<boolean> {
    // Strings, not functions: this file is compiled without the DOM's types.
    return this.page.evaluate<boolean>(`(() => {
      const root = document.documentElement;
      if (root.scrollWidth > root.clientWidth) return true;
      const dialog = document.querySelector('dialog[open]');
      if (!dialog) return false;
      const box = dialog.getBoundingClientRect();
      return box.left < 0 || box.right > root.clientWidth || dialog.scrollWidth > dialog.clientWidth;
    })()`);
  }

  /**
   * The buttons of the list's Actions column and of the screen's head that are not wholly in
   * view: cut by the window, by a frame that scrolls (the table's), or by their own width (a
   * label that does not fit, "Revo…"). Each as its text and where it was cut.
   */
  clippedActions(): Promise<string[]> {
    return this.page.evaluate<string[]>(`(() => {
      const out = [];
      const buttons = document.querySelectorAll('.col-actions button, .col-actions a, .page-actions button, .page-actions a');
      for (const el of buttons) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        const name = (el.textContent || '').trim();
        if (box.left < 0 || box.right > document.documentElement.clientWidth + 0.5) {
          out.push(name + ': outside the window');
          continue;
        }
        if (el.scrollWidth > el.clientWidth + 1) out.push(name + ': its label is cut');
        for (let up = el.parentElement; up; up = up.parentElement) {
          const style = getComputedStyle(up);
          if (!/(auto|scroll|hidden|clip)/.test(style.overflowX)) continue;
          const frame = up.getBoundingClientRect();
          if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) {
            out.push(name + ': cut by ' + up.tagName.toLowerCase() + '.' + up.className);
            break;
          }
        }
      }
      return out;
    })()`);
  }

  /**
   * Where the list starts, in px from the top of the window: its first row (or its "no rows yet"
   * line), which must be in the first screen on a phone. Null when the screen shows none.
   */
  listTop(): Promise<number | null> {
    return this.page.evaluate<number | null>(`(() => {
      const first = document.querySelector('main table tbody tr, main .empty');
      return first ? first.getBoundingClientRect().top + window.scrollY : null;
    })()`);
  }

  /** The uuids the lists show as text: holders, businesses, actors should be named instead. */
  uuidsInLists(): Promise<string[]> {
    return this.page.evaluate<string[]>(`(() => {
      const text = [...document.querySelectorAll('main table')].map((t) => t.innerText).join('\\n');
      return text.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
    })()`);
  }

  /**
   * Walks the tab order with Tab presses and answers the visible controls it never reached, each
   * as the start of its HTML. Controls are links, buttons, inputs, selects, text areas, summaries,
   * elements with a control's role, and anything else the pointer shows as clickable
   * (cursor: pointer) that is no control's label. While a modal dialog is open, only its own.
   * The walk stops once every control was reached, when the order comes round to where it
   * started, or after a budget of presses (each date-time field takes one per part).
   */
  async unreachableByTab(): Promise<string[]> {
    const budget = await this.page.evaluate<number>(MARK_CONTROLS);
    for (let pressed = 0; pressed < budget;) {
      for (let i = 0; i < 8 && pressed < budget; i++, pressed++) {
        await this.page.keyboard.press('Tab');
      }
      if (await this.page.evaluate<boolean>(WALK_DONE)) break;
    }
    return this.page.evaluate<string[]>(UNREACHED);
  }

  /** Whether `target` has the focus. */
  isFocused(target: Locator): Promise<boolean> {
    return target.evaluate((el: FocusableElement) => el === el.ownerDocument.activeElement);
  }

  /** Presses Tab until `target` has the focus; fails if it does not get it within `max` presses. */
  async tabTo(target: Locator, max = 60): Promise<void> {
    for (let i = 0; i < max; i++) {
      await this.page.keyboard.press('Tab');
      if (await this.isFocused(target)) return;
    }
    throw new Error(`${String(target)} was not reached in ${max} presses of Tab`);
  }

  /** Runs a step of a test, keeping a screenshot (`<name>-failed.png`) when it fails. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      mkdirSync(FAILED_SHOTS, { recursive: true });
      await this.screenshot(join(FAILED_SHOTS, `${name}-failed.png`)).catch(() => undefined);
      throw e;
    }
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
